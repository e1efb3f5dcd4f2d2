package awstest

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// LightsailAccounts is Lightsail for several accounts: one fake Lightsail per account,
// and in front of them a server that sends each request to the fake of the account its
// SigV4 access key belongs to. It learns that account as AWS would, from STS: it asks
// moto's GetCallerIdentity with the same access key (moto checks no signature and keeps
// the account of every key it handed out, assumed roles included).
type LightsailAccounts struct {
	URL  string
	t    testing.TB
	moto *Moto

	mu       sync.Mutex
	accounts map[string]*Lightsail // by account ID
	keys     map[string]string     // access key -> account ID
}

// StartLightsailAccounts serves Lightsail per account until the test ends.
func StartLightsailAccounts(t testing.TB, m *Moto) *LightsailAccounts {
	t.Helper()
	la := &LightsailAccounts{t: t, moto: m, accounts: map[string]*Lightsail{}, keys: map[string]string{}}
	srv := httptest.NewServer(la)
	t.Cleanup(srv.Close)
	la.URL = srv.URL
	return la
}

// Account is the fake Lightsail of account id, started on first use.
func (la *LightsailAccounts) Account(id string) *Lightsail {
	la.mu.Lock()
	defer la.mu.Unlock()
	l, ok := la.accounts[id]
	if !ok {
		l = StartLightsail(la.t)
		l.mu.Lock()
		l.account = id
		l.mu.Unlock()
		la.accounts[id] = l
	}
	return l
}

func (la *LightsailAccounts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := accessKey(r.Header.Get("Authorization"))
	account, err := la.accountOf(key)
	if err != nil {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"__type":"UnrecognizedClientException","message":%q}`, err.Error())
		return
	}
	u, _ := url.Parse(la.Account(account).URL)
	httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, r)
}

// accountOf asks moto's STS which account key belongs to, once per key.
func (la *LightsailAccounts) accountOf(key string) (string, error) {
	la.mu.Lock()
	account, ok := la.keys[key]
	la.mu.Unlock()
	if ok {
		return account, nil
	}
	req, err := http.NewRequest(http.MethodPost, la.moto.URL+"/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+key+"/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	var out struct {
		Account string `xml:"GetCallerIdentityResult>Account"`
	}
	if resp.StatusCode != http.StatusOK || xml.Unmarshal(body, &out) != nil || out.Account == "" {
		return "", fmt.Errorf("the security token included in the request is invalid (STS: %d %s)", resp.StatusCode, body)
	}
	la.mu.Lock()
	la.keys[key] = out.Account
	la.mu.Unlock()
	return out.Account, nil
}

// accessKey reads the access key from "AWS4-HMAC-SHA256 Credential=AKID/20250101/...".
func accessKey(authorization string) string {
	_, cred, _ := strings.Cut(authorization, "Credential=")
	key, _, _ := strings.Cut(cred, "/")
	return key
}
