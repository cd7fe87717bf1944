package configs

import (
	"net/netip"
	"testing"
)

func TestRefusedHost(t *testing.T) {
	tests := []struct {
		host, want string
	}{
		{"169.254.169.254", "a cloud metadata address"},
		{"169.254.170.2", "a cloud metadata address"},
		{"[fd00:ec2::254]", "a cloud metadata address"},
		{"fd00:ec2::254", "a cloud metadata address"},
		{"100.100.100.200", "a cloud metadata address"},
		{"168.63.129.16", "a cloud metadata address"},
		{"::ffff:169.254.169.254", "a cloud metadata address"},
		{"64:ff9b::a9fe:a9fe", "a cloud metadata address"}, // NAT64 of 169.254.169.254
		{"169.254.0.1", "a link-local address"},
		{"169.254.255.255", "a link-local address"},
		{"fe80::1", "a link-local address"},
		{"fe80::1%eth0", "a link-local address"},
		{"[FEBF::1]", "a link-local address"},
		{"::ffff:169.254.3.4", "a link-local address"},
		{"metadata.google.internal", "a cloud metadata name"},
		{"Metadata.Google.Internal.", "a cloud metadata name"},
		{"metadata.goog", "a cloud metadata name"},
		{"instance-data.ec2.internal", "a cloud metadata name"},
		{"metadata.tencentyun.com", "a cloud metadata name"},
		// allowed: loopback, private, public, names
		{"127.0.0.1", ""},
		{"::1", ""},
		{"localhost", ""},
		{"10.0.0.1", ""},
		{"172.16.5.4", ""},
		{"192.168.1.1", ""},
		{"fc00::1", ""},
		{"fd00:ec2::253", ""},
		{"100.100.100.201", ""},
		{"169.253.255.255", ""},
		{"169.255.0.0", ""},
		{"fec0::1", ""},
		{"api.example.com", ""},
		{"metadata", ""}, // a name an on-premises host may have; the dialer checks where it goes
		{"metadata.google.internal.example.com", ""},
	}
	for _, tt := range tests {
		if got := RefusedHost(tt.host); got != tt.want {
			t.Errorf("RefusedHost(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}
}

func FuzzRefusedHost(f *testing.F) {
	for _, s := range []string{"169.254.169.254", "[fe80::1%eth0]", "metadata.goog.", "::ffff:1.2.3.4", "64:ff9b::1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		why := RefusedHost(host)
		if ip, err := netip.ParseAddr(host); err == nil && why != RefusedAddr(ip) {
			t.Errorf("RefusedHost(%q) = %q, RefusedAddr = %q", host, why, RefusedAddr(ip))
		}
	})
}
