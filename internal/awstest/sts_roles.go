package awstest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
)

// RoleGate stands in front of moto and refuses sts:AssumeRole of the roles it is told
// to, as STS answers when a role's trust policy does not name the caller (moto itself
// assumes any role). Every other request goes through; every AssumeRole request's
// parameters are recorded.
type RoleGate struct {
	URL   string
	proxy *httputil.ReverseProxy

	mu      sync.Mutex
	refused map[string]bool
	assumed []url.Values
}

// StartRoleGate serves a gate in front of moto until the test ends.
func StartRoleGate(t testing.TB, m *Moto) *RoleGate {
	t.Helper()
	u, err := url.Parse(m.URL)
	if err != nil {
		t.Fatal(err)
	}
	g := &RoleGate{proxy: httputil.NewSingleHostReverseProxy(u), refused: map[string]bool{}}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	return g
}

// Refuse makes every later AssumeRole of roleARN fail with AccessDenied.
func (g *RoleGate) Refuse(roleARN string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refused[roleARN] = true
}

// AssumeRoleCalls is the parameters of every AssumeRole request seen, refused included.
func (g *RoleGate) AssumeRoleCalls() []url.Values {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]url.Values(nil), g.assumed...)
}

func (g *RoleGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, service := CredentialScope(r.Header.Get("Authorization")); service == "sts" && r.Method == http.MethodPost {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if form.Get("Action") == "AssumeRole" {
			role := form.Get("RoleArn")
			g.mu.Lock()
			g.assumed = append(g.assumed, form)
			refused := g.refused[role]
			g.mu.Unlock()
			if refused {
				w.Header().Set("Content-Type", "text/xml")
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>`+
					`<Message>User: arn:aws:iam::123456789012:user/costbot is not authorized to perform: sts:AssumeRole on resource: %s</Message>`+
					`</Error><RequestId>4c9d7a1e-0000-4000-8000-costbot</RequestId></ErrorResponse>`, role)
				return
			}
		}
	}
	g.proxy.ServeHTTP(w, r)
}
