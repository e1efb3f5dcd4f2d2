package bench

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"costbot/internal/awstest"
)

// replayCache answers a request it has seen before (same access key, region, service,
// method, URI, operation and body) with the answer moto gave then, and passes anything
// else to moto. Behind it the scan's calls cost the added latency and almost no emulator
// time, so the figures show costbot's fan-out rather than moto's throughput. The seeded
// accounts do not change during a benchmark, so a recorded answer stays right. The access
// key tells accounts apart: each account's requests carry the key its AssumeRole answer
// gave, and that answer is replayed too, so a later run presents the same key. The
// signature, its date and the session token are left out of the key.
type replayCache struct {
	next         http.Handler
	mu           sync.Mutex
	seen         map[string]recorded
	hits, misses int
}

func newReplayCache(target string) *replayCache {
	u, _ := url.Parse(target)
	return &replayCache{next: httputil.NewSingleHostReverseProxy(u), seen: map[string]recorded{}}
}

// counts is how many requests were replayed and how many went on to moto since the last
// call.
func (c *replayCache) counts() (hits, misses int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hits, misses = c.hits, c.misses
	c.hits, c.misses = 0, 0
	return hits, misses
}

// accessKeyID is the access key of a SigV4 Authorization header's credential scope.
func accessKeyID(authorization string) string {
	_, cred, ok := strings.Cut(authorization, "Credential=")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(cred, "/")
	return key
}

type recorded struct {
	status int
	header http.Header
	body   []byte
}

func (c *replayCache) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	// The region and service come from the signature: many requests (DescribeAlarms,
	// ListWebACLs ...) have the same body in every region.
	region, service := awstest.CredentialScope(r.Header.Get("Authorization"))
	key := accessKeyID(r.Header.Get("Authorization")) + " " + region + " " + service + " " + r.Method + " " + r.RequestURI + " " + r.Header.Get("X-Amz-Target") + " " + string(body)
	c.mu.Lock()
	got, ok := c.seen[key]
	if ok {
		c.hits++
	} else {
		c.misses++
	}
	c.mu.Unlock()
	if !ok {
		rw := httptest.NewRecorder()
		c.next.ServeHTTP(rw, r)
		got = recorded{rw.Code, rw.Header().Clone(), rw.Body.Bytes()}
		// An answer cut short (the caller gave up) is passed on but never replayed.
		complete := r.Context().Err() == nil &&
			(got.header.Get("Content-Length") == "" || got.header.Get("Content-Length") == strconv.Itoa(len(got.body)))
		if got.status < 300 && complete {
			c.mu.Lock()
			c.seen[key] = got
			c.mu.Unlock()
		}
	}
	for k, v := range got.header {
		w.Header()[k] = v
	}
	w.WriteHeader(got.status)
	w.Write(got.body)
}
