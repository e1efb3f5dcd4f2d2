package config

import (
	"fmt"
	"net"
	"strings"
	"time"
)

// DefaultWebSessionTTL is how long a dashboard session lasts unless WEB_SESSION_TTL says.
const DefaultWebSessionTTL = 7 * 24 * time.Hour

// web reads WEB_PUBLIC_URL (optional: an http(s) URL, which needs the HTTP server on)
// and WEB_SESSION_TTL.
func (p *parser) web(httpAddr string) (string, time.Duration) {
	public := ""
	if v, ok := p.raw("WEB_PUBLIC_URL"); ok && strings.TrimSpace(v) != "" {
		public = p.url("WEB_PUBLIC_URL", "")
		if p.err == nil && httpAddr == "" {
			p.fail("WEB_PUBLIC_URL", "needs the HTTP server: set HTTP_ADDR too")
		}
	}
	return public, p.durationAtLeast("WEB_SESSION_TTL", DefaultWebSessionTTL, time.Minute)
}

// DashboardURL is where the web dashboard is reached: WEB_PUBLIC_URL, else the HTTP
// server's own address (localhost when it listens on every interface); "" when the HTTP
// server is off.
func (c *Config) DashboardURL() string {
	if c.WebPublicURL != "" {
		return c.WebPublicURL
	}
	if c.HTTPAddr == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(c.HTTPAddr)
	if err != nil {
		return ""
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return fmt.Sprintf("http://%s", net.JoinHostPort(host, port))
}

// MiniApp reports whether Telegram may open the dashboard as a Mini App, which needs
// an https URL.
func (c *Config) MiniApp() bool { return strings.HasPrefix(c.WebPublicURL, "https://") }
