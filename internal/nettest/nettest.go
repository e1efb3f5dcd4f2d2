// Package nettest holds what tests of costbot's HTTP server share about raw connections.
package nettest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// KeptAlive sends one keep-alive request for /healthz on c and reports whether it was
// answered: the server kept the connection open for another request.
func KeptAlive(c net.Conn, addr string) bool {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.SetDeadline(time.Time{})
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return true
}
