package configs

import (
	"net/netip"
	"strings"
)

// Services and MCP servers may not reach link-local addresses or the
// metadata endpoints of cloud providers: an agent file (or a name that
// resolves there) would otherwise read the credentials of the machine it
// runs on. Private and loopback addresses stay allowed (on-premises APIs,
// tests). The check is here so that loading a file and dialling (tools)
// refuse the same addresses.

// metadataAddrs are the well-known cloud metadata addresses outside the
// link-local ranges (those inside them, like 169.254.169.254 and
// 169.254.170.2, are refused with the ranges, but named here too).
var metadataAddrs = map[netip.Addr]bool{
	netip.MustParseAddr("169.254.169.254"): true, // AWS, GCP, Azure, OpenStack, Oracle, DigitalOcean…
	netip.MustParseAddr("169.254.170.2"):   true, // AWS ECS task metadata
	netip.MustParseAddr("fd00:ec2::254"):   true, // AWS IMDS over IPv6
	netip.MustParseAddr("100.100.100.200"): true, // Alibaba Cloud
	netip.MustParseAddr("192.0.0.192"):     true, // Oracle Cloud (legacy)
	netip.MustParseAddr("168.63.129.16"):   true, // Azure WireServer
}

// metadataNames are the host names of cloud metadata services.
var metadataNames = map[string]bool{
	"metadata.google.internal":   true,
	"metadata.goog":              true,
	"instance-data.ec2.internal": true,
	"metadata.tencentyun.com":    true,
}

// nat64 is the well-known NAT64 prefix: an IPv6 address in it reaches the
// IPv4 address in its last 32 bits.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// RefusedAddr says why a service may not reach ip ("a cloud metadata
// address", "a link-local address"), or "" when it may.
func RefusedAddr(ip netip.Addr) string {
	ip = ip.WithZone("").Unmap()
	if ip.Is6() && nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte(b[12:]))
	}
	switch {
	case metadataAddrs[ip]:
		return "a cloud metadata address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address"
	}
	return ""
}

// RefusedHost says why a service may not reach host (a name or a literal
// address, as in a URL, brackets allowed), or "" when nothing is known
// against it: a name may still resolve to a refused address, which the
// dialer checks.
func RefusedHost(host string) string {
	h := strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if metadataNames[h] {
		return "a cloud metadata name"
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		return RefusedAddr(ip)
	}
	return ""
}
