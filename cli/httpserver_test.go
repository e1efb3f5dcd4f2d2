package cli

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"costbot/internal/nettest"
)

// With the limits in force: an idle keep-alive connection is closed after IdleTimeout;
// beyond MaxConns a connection is closed at once, and a freed slot serves again.
func TestHTTPLimits(t *testing.T) {
	limits := defaultHTTPLimits
	limits.IdleTimeout = 300 * time.Millisecond
	limits.MaxConns = 3
	srv, err := startHTTP("127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }),
		limits, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := srv.Addr

	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if !nettest.KeptAlive(idle, addr) {
		t.Fatal("first request not served")
	}
	start := time.Now()
	idle.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := idle.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("idle connection read %d bytes, %v", n, err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("idle connection closed after %v, want about %v", took, limits.IdleTimeout)
	}

	// The cap, on a server whose idle connections outlast the test, so that no slot
	// frees itself while it runs.
	limits.IdleTimeout = time.Minute
	capped, err := startHTTP("127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }),
		limits, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer capped.Close()
	addr = capped.Addr
	held := make([]net.Conn, 0, limits.MaxConns)
	for range limits.MaxConns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if !nettest.KeptAlive(c, addr) {
			t.Fatal("a connection within the cap was not served")
		}
		held = append(held, c)
	}
	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if nettest.KeptAlive(extra, addr) {
		t.Errorf("connection %d was served beyond the cap of %d", limits.MaxConns+1, limits.MaxConns)
	}
	extra.Close()
	held[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		ok := nettest.KeptAlive(c, addr)
		c.Close()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a closed connection's slot was never given back")
		}
	}
	for _, c := range held[1:] {
		c.Close()
	}
}
