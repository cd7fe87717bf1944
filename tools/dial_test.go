package tools

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// resolveTo is a fake resolver: every name resolves to addrs.
func resolveTo(addrs ...string) func(context.Context, string, string) ([]netip.Addr, error) {
	return func(context.Context, string, string) ([]netip.Addr, error) {
		var out []netip.Addr
		for _, a := range addrs {
			out = append(out, netip.MustParseAddr(a))
		}
		return out, nil
	}
}

// TestDialerRefusesResolvedAddresses: the check runs on the address a
// name resolves to, before connecting, so nothing reaches it.
func TestDialerRefusesResolvedAddresses(t *testing.T) {
	tests := []struct {
		name     string
		address  string
		resolves []string // nil: the system resolver (literal addresses only here)
		why      string
	}{
		{"a name resolving to the metadata address", "api.test:80", []string{"169.254.169.254"}, "a cloud metadata address"},
		{"a name resolving to a link-local address", "api.test:443", []string{"169.254.10.20"}, "a link-local address"},
		{"a name resolving to IPv6 link-local", "api.test:80", []string{"fe80::1"}, "a link-local address"},
		{"a name resolving to AWS IPv6 metadata", "api.test:80", []string{"fd00:ec2::254"}, "a cloud metadata address"},
		{"a name resolving to a mapped metadata address", "api.test:80", []string{"::ffff:169.254.169.254"}, "a cloud metadata address"},
		{"a name resolving to Alibaba's metadata address", "api.test:80", []string{"100.100.100.200"}, "a cloud metadata address"},
		{"a literal address, resolved by no one", "169.254.169.254:80", nil, "a cloud metadata address"},
		{"a literal IPv6 link-local address", "[fe80::1]:80", nil, "a link-local address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Dialer{}
			if tt.resolves != nil {
				d.LookupNetIP = resolveTo(tt.resolves...)
			}
			conn, err := d.DialContext(t.Context(), "tcp", tt.address)
			if err == nil {
				conn.Close()
				t.Fatal("connected")
			}
			var refused *RefusedError
			if !errors.Is(err, ErrRefused) || !errors.As(err, &refused) || refused.Why != tt.why {
				t.Fatalf("err = %v, want refused as %s", err, tt.why)
			}
			if !strings.Contains(err.Error(), tt.why+"; services may not reach link-local or cloud metadata addresses") {
				t.Errorf("unclear error: %v", err)
			}
		})
	}
}

// TestDialerAllowsLoopback: a name that resolves to a refused
// address and to loopback connects to loopback; loopback and private
// addresses pass the check.
func TestDialerAllowsLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	for _, d := range []*Dialer{{}, {LookupNetIP: resolveTo("127.0.0.1")}, {LookupNetIP: resolveTo("169.254.169.254", "127.0.0.1")}} {
		host := "127.0.0.1"
		if d.LookupNetIP != nil {
			host = "api.test"
		}
		conn, err := d.DialContext(t.Context(), "tcp", net.JoinHostPort(host, port))
		if err != nil {
			t.Fatalf("dial %s: %v", host, err)
		}
		conn.Close()
	}
	for _, addr := range []string{"127.0.0.1:80", "[::1]:80", "10.1.2.3:80", "172.16.0.1:80", "192.168.1.1:80", "[fc00::1]:80"} {
		if err := refuse("tcp", addr, nil); err != nil {
			t.Errorf("refuse(%s) = %v", addr, err)
		}
	}
}

// TestExecutorRefusesMetadata: a service whose host resolves to the
// metadata address fails with a clear error, and is not retried; the same
// service resolving to loopback is called end to end.
func TestExecutorRefusesMetadata(t *testing.T) {
	rec, srv := newAPI(t, jsonAnswer(200, `{"ok": true}`))
	u, _ := url.Parse(srv.URL)
	cat := compile(t, agentFor("http://api.test:"+u.Port(), `
  - intent: s
    method: GET
    retries: 2
    endpoint: BASE/x
    responseMessage: "OK"
`))
	tests := []struct {
		name     string
		resolves string
		want     string
		err      error
	}{
		{"resolves to the metadata address", "169.254.169.254", "FALLBACK", ErrRefused},
		{"resolves to loopback", "127.0.0.1", "OK", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(rec.all())
			ex := &Executor{Client: NewClient(&Dialer{LookupNetIP: resolveTo(tt.resolves)})}
			res := ex.Execute(t.Context(), cat.Service("s"), Input{})
			if res.Message != tt.want || !errors.Is(res.Err, tt.err) || (tt.err == nil) != (res.Err == nil) {
				t.Fatalf("message %q, err %v; want %q, %v", res.Message, res.Err, tt.want, tt.err)
			}
			if tt.err != nil {
				want := "address refused: api.test: 169.254.169.254 is a cloud metadata address"
				if !strings.Contains(res.Err.Error(), want) || res.Attempts != 1 || len(rec.all()) != before {
					t.Errorf("err %q (want %q), %d attempts, %d requests arrived", res.Err, want, res.Attempts, len(rec.all())-before)
				}
			}
		})
	}
}

// TestExecutorLoopbackByDefault: the shared client calls a loopback API.
func TestExecutorLoopbackByDefault(t *testing.T) {
	_, srv := newAPI(t, jsonAnswer(200, `{"ok": true}`))
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("httptest serves on %s", srv.URL)
	}
	cat := compile(t, agentFor(srv.URL, "  - intent: s\n    method: GET\n    endpoint: BASE/x\n    responseMessage: OK\n"))
	if res := (&Executor{}).Execute(t.Context(), cat.Service("s"), Input{}); res.Err != nil || res.Message != "OK" {
		t.Errorf("message %q, err %v", res.Message, res.Err)
	}
}
