package tools

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/voiceagent/voiceagent/configs"
)

// RefusedError is a connection the Dialer refused, and why.
type RefusedError struct {
	Addr netip.Addr
	Why  string // "a link-local address", "a cloud metadata address"
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s is %s; services may not reach link-local or cloud metadata addresses", e.Addr, e.Why)
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Dialer connects to services and MCP servers, refusing link-local and
// cloud metadata addresses (configs.RefusedAddr). The check runs on the
// address being connected to, after names are resolved (a net.Dialer's
// Control), so a name that resolves there is refused as its address is;
// nothing is sent to a refused address. Loopback and private addresses are
// allowed. The zero value is ready to use.
type Dialer struct {
	// Timeout bounds a connection (0 means 5s); KeepAlive is the TCP
	// keep-alive period (0 means 30s).
	Timeout, KeepAlive time.Duration
	// LookupNetIP resolves a host name, like net.Resolver.LookupNetIP;
	// nil means the system's resolver, through net.Dialer. Tests give a
	// fake one.
	LookupNetIP func(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DialContext connects to address, like net.Dialer.DialContext.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	nd := &net.Dialer{Timeout: d.Timeout, KeepAlive: d.KeepAlive, Control: refuse}
	if nd.Timeout == 0 {
		nd.Timeout = 5 * time.Second
	}
	if nd.KeepAlive == 0 {
		nd.KeepAlive = 30 * time.Second
	}
	if d.LookupNetIP == nil {
		return nd.DialContext(ctx, network, address)
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	var addrs []netip.Addr
	if ip, perr := netip.ParseAddr(host); perr == nil {
		addrs = []netip.Addr{ip}
	} else if addrs, err = d.LookupNetIP(ctx, ipNetwork(network), host); err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	if len(addrs) == 0 {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}}
	}
	var errs []error
	for _, ip := range addrs {
		conn, err := nd.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// ipNetwork is the network to resolve names in for a dial's network.
func ipNetwork(network string) string {
	switch network {
	case "tcp4", "udp4":
		return "ip4"
	case "tcp6", "udp6":
		return "ip6"
	}
	return "ip"
}

// refuse is the net.Dialer's Control: it runs after resolution, before
// the connection is made.
func refuse(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot check address %q: %v", ErrRefused, address, err)
	}
	if why := configs.RefusedAddr(ap.Addr()); why != "" {
		return &RefusedError{Addr: ap.Addr(), Why: why}
	}
	return nil
}

// NewTransport returns an HTTP transport that connects through d (nil
// means a zero Dialer), with the settings of the executor's shared client.
// A proxy from the environment (HTTPS_PROXY…) is used as by
// http.DefaultTransport; the dialer then checks the proxy's address, and
// the proxy resolves the services' names.
func NewTransport(d *Dialer) *http.Transport {
	if d == nil {
		d = &Dialer{}
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// NewClient returns the HTTP client an Executor uses when it has none: it
// connects through d (nil means a zero Dialer) and follows no redirects: a
// service's answer is what its endpoint says, and a redirect must not carry
// its headers to another host. A 3xx goes to the responseConditions or the
// fallback like any status.
func NewClient(d *Dialer) *http.Client {
	return &http.Client{
		Transport:     NewTransport(d),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
