package config

import (
	"strings"
	"testing"
	"time"
)

func TestWebSettings(t *testing.T) {
	for _, tc := range []struct {
		name      string
		env       map[string]string
		dashboard string
		miniApp   bool
		ttl       time.Duration
		err       string
	}{
		{"defaults: the HTTP server's own address", nil, "http://127.0.0.1:8080", false, 7 * 24 * time.Hour, ""},
		{"a loopback address", map[string]string{"HTTP_ADDR": "127.0.0.1:9090"}, "http://127.0.0.1:9090", false, 7 * 24 * time.Hour, ""},
		{"an https public URL makes a Mini App", map[string]string{"WEB_PUBLIC_URL": "https://costs.example.org/", "WEB_SESSION_TTL": "12h"},
			"https://costs.example.org", true, 12 * time.Hour, ""},
		{"an http public URL is no Mini App", map[string]string{"WEB_PUBLIC_URL": "http://10.0.0.5:8080"}, "http://10.0.0.5:8080", false, 7 * 24 * time.Hour, ""},
		{"not a URL", map[string]string{"WEB_PUBLIC_URL": "costs.example.org"}, "", false, 0, "WEB_PUBLIC_URL: expected an http:// or https:// URL"},
		{"a session TTL too short", map[string]string{"WEB_SESSION_TTL": "5s"}, "", false, 0, "WEB_SESSION_TTL: expected a duration of"},
	} {
		c, err := Parse(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if c.DashboardURL() != tc.dashboard || c.MiniApp() != tc.miniApp || c.WebSessionTTL != tc.ttl {
			t.Errorf("%s: %q mini app %v ttl %v", tc.name, c.DashboardURL(), c.MiniApp(), c.WebSessionTTL)
		}
	}
	off := &Config{HTTPAddr: ""}
	if off.DashboardURL() != "" {
		t.Errorf("with the HTTP server off the dashboard has a URL: %q", off.DashboardURL())
	}
}
