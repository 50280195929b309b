package sip

import (
	"net"
	"net/netip"
)

// udpSources hands sipgo one net.Addr per source address instead of a new
// one per datagram. sipgo turns every datagram's source into a string (the
// key of its connection pool), and a *net.UDPAddr is itself allocated per
// read and builds that string anew each time: three allocations for every
// datagram the switch reads, where a phone or a trunk sends from the same
// address all the time. Only sipgo's read loop uses it.
type udpSources struct {
	byAddr map[netip.AddrPort]*udpSource
}

// maxUDPSources bounds what is remembered: past it the table starts over,
// so a flood from spoofed sources costs a map, not memory.
const maxUDPSources = 4096

func newUDPSources() *udpSources {
	return &udpSources{byAddr: map[netip.AddrPort]*udpSource{}}
}

// of is the source for a datagram's address.
func (u *udpSources) of(ap netip.AddrPort) *udpSource {
	if s, ok := u.byAddr[ap]; ok {
		return s
	}
	if len(u.byAddr) >= maxUDPSources {
		clear(u.byAddr)
	}
	// Through net.UDPAddr, so the string is the one ReadFrom's address
	// gives (an IPv4-mapped IPv6 address prints as IPv4).
	addr := net.UDPAddrFromAddrPort(ap)
	s := &udpSource{udp: addr, str: addr.String()}
	u.byAddr[ap] = s
	return s
}

// udpSource is a datagram's source address as sipgo reads it: its string
// is built once. Nothing writes to it: replies go through udp.
type udpSource struct {
	udp *net.UDPAddr
	str string
}

func (s *udpSource) Network() string { return "udp" }
func (s *udpSource) String() string  { return s.str }
