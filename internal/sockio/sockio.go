// Package sockio reads and writes a socket without the Go scheduler's
// system-call bookkeeping.
//
// The runtime's sockets are non-blocking: a read or write either moves
// bytes at once or fails with EAGAIN, and the network poller does the
// waiting. Yet every read and write through package net tells the
// scheduler that a system call begins and ends, and the first of them
// after the process was idle also wakes the runtime's monitor thread,
// which then polls every 20 µs while anything runs. A voice server makes
// thousands of small reads a second and is idle between them, so that
// bookkeeping was a quarter of its context switches and a tenth of its
// CPU. Wrap's connections make the same reads and writes as raw system
// calls, and still wait on the poller, with the connection's deadlines,
// when the socket is not ready.
package sockio

import (
	"context"
	"net"
	"net/http"
	"time"
)

// DialContext dials with d, as d.DialContext does, and wraps the
// connection: for an http.Transport's or a websocket.Dialer's own
// DialContext.
func DialContext(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return Wrap(c), nil
	}
}

// Client is an HTTP client for a server's many calls to a few providers:
// net/http's defaults, but with wrapped connections (TLS rides on them
// when the URL is https) and up to 256 of them kept idle per host, not 2,
// so that the calls asking one provider at once seldom dial anew.
func Client() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = DialContext(&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second})
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 512, 256
	return &http.Client{Transport: t}
}
