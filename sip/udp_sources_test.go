package sip

import (
	"net"
	"net/netip"
	"testing"
)

func TestUDPSourceIsWhatReadFromWouldGive(t *testing.T) {
	tests := []string{
		"127.0.0.1:5060",
		"[::1]:5070",
		"[::ffff:192.0.2.7]:5060", // an IPv4 phone on a dual-stack socket
		"[fe80::1%eth0]:5060",
	}
	u := newUDPSources()
	for _, tt := range tests {
		t.Run(tt, func(t *testing.T) {
			ap := netip.MustParseAddrPort(tt)
			want := net.UDPAddrFromAddrPort(ap)
			s := u.of(ap)
			if s.String() != want.String() || s.Network() != want.Network() {
				t.Errorf("source %s/%s, want %s/%s", s.Network(), s, want.Network(), want)
			}
			if s.udp.String() != want.String() {
				t.Errorf("reply address %s, want %s", s.udp, want)
			}
			if replyAddr(s) != net.Addr(s.udp) {
				t.Errorf("replies go to %v, want the source's UDP address", replyAddr(s))
			}
			if hostOf(s) != want.IP.String() {
				t.Errorf("host %q, want %q", hostOf(s), want.IP.String())
			}
			if u.of(ap) != s {
				t.Error("a second datagram from the source got another address")
			}
		})
	}
}

func TestUDPSourcesAreBounded(t *testing.T) {
	u := newUDPSources()
	for i := range maxUDPSources + 10 {
		u.of(netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 5060))
	}
	if n := len(u.byAddr); n > maxUDPSources {
		t.Errorf("%d sources remembered, want at most %d", n, maxUDPSources)
	}
}

func TestAKnownUDPSourceCostsNoAllocation(t *testing.T) {
	u := newUDPSources()
	ap := netip.MustParseAddrPort("127.0.0.1:5060")
	u.of(ap)
	if n := testing.AllocsPerRun(100, func() { _ = u.of(ap).String() }); n != 0 {
		t.Errorf("%v allocations per datagram from a known source, want 0", n)
	}
}
