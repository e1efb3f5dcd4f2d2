package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// httpLimits bound what one client can hold of the HTTP server (/healthz, /metrics and
// anything served beside them): slow or idle connections, huge headers, and how many
// connections are open at once.
type httpLimits struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	MaxConns          int
}

// defaultHTTPLimits suit a page or a scrape over a slow link, and nothing longer.
var defaultHTTPLimits = httpLimits{
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       15 * time.Second,
	WriteTimeout:      30 * time.Second,
	IdleTimeout:       60 * time.Second,
	MaxHeaderBytes:    8 << 10,
	MaxConns:          64,
}

// startHTTP serves h on addr within the limits; an empty addr turns it off.
func startHTTP(addr string, h http.Handler, limits httpLimits, log *slog.Logger) (*http.Server, error) {
	if addr == "" {
		log.Info("http server off (HTTP_ADDR is empty)")
		return nil, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("HTTP_ADDR %s: %w", addr, err)
	}
	srv := &http.Server{
		Addr:              l.Addr().String(),
		Handler:           h,
		ReadHeaderTimeout: limits.ReadHeaderTimeout,
		ReadTimeout:       limits.ReadTimeout,
		WriteTimeout:      limits.WriteTimeout,
		IdleTimeout:       limits.IdleTimeout,
		MaxHeaderBytes:    limits.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	go func() {
		if err := srv.Serve(capConns(l, limits.MaxConns)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "err", err)
		}
	}()
	log.Info("http listening", "addr", srv.Addr)
	return srv, nil
}

// capConns closes at once every connection beyond max open ones, so a client holding
// many cannot starve the others or the process.
func capConns(l net.Listener, max int) net.Listener {
	return &cappedListener{Listener: l, slots: make(chan struct{}, max)}
}

type cappedListener struct {
	net.Listener
	slots chan struct{}
}

func (l *cappedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &slotConn{Conn: c, release: func() { <-l.slots }}, nil
		default:
			c.Close()
		}
	}
}

// slotConn gives its slot back once, when closed.
type slotConn struct {
	net.Conn
	once    sync.Once
	release func()
}

// The slot is given back before the connection closes: a client that sees the close
// and dials again at once finds the slot free.
func (c *slotConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
