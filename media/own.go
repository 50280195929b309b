package media

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
)

// The switch's own media ports are the pool's port range on any address
// the switch answers at. A party whose SDP points there would have the
// relay send to itself: each packet comes back as a new one, and three
// packets become hundreds of thousands a second. Offers and answers that
// do so are refused (CheckRemote), and the relay never sends to, nor
// latches to, one of those addresses (defence in depth).

// WithOwnAddresses adds addresses the switch answers at besides the pool's
// IP, such as the SIP listen address. An unspecified address (0.0.0.0,
// ::) stands for every address of the host's interfaces.
func WithOwnAddresses(addrs ...netip.Addr) PoolOption {
	return func(p *Pool) {
		for _, a := range addrs {
			p.addOwn(a)
		}
	}
}

// addOwn records a as one of the switch's addresses.
func (p *Pool) addOwn(a netip.Addr) {
	if !a.IsValid() {
		return
	}
	a = a.Unmap()
	if !a.IsUnspecified() {
		if !slices.Contains(p.own, a) {
			p.own = append(p.own, a)
		}
		return
	}
	ifAddrs, err := net.InterfaceAddrs()
	if err != nil {
		p.log.Warn("media: list interface addresses", "error", err)
		return
	}
	for _, ia := range ifAddrs {
		if pfx, err := netip.ParsePrefix(ia.String()); err == nil && !pfx.Addr().IsUnspecified() {
			p.addOwn(pfx.Addr())
		}
	}
}

// ownsIP reports whether a is an address of the switch: the pool's IP,
// any loopback address when that IP is loopback or unspecified (a packet
// for 127.0.0.2 stays on the host too), or an address WithOwnAddresses
// gave.
func (p *Pool) ownsIP(a netip.Addr) bool {
	a = a.Unmap()
	return a == p.ip || ((p.ip.IsLoopback() || p.ip.IsUnspecified()) && a.IsLoopback()) || slices.Contains(p.own, a)
}

// isOwn reports whether addr is one of the switch's own media ports.
func (p *Pool) isOwn(addr netip.AddrPort) bool {
	port := int(addr.Port())
	return port >= p.minPort && port <= p.maxPort && p.ownsIP(addr.Addr())
}

// CheckRemote refuses with ErrMediaLoop an address from SDP (Remote) that
// is one of the switch's own media ports; the switch answers such an
// offer or answer with 488 Not Acceptable Here. An unspecified address
// (c=0.0.0.0, hold) is not refused.
func (p *Pool) CheckRemote(addr netip.AddrPort) error {
	if p.isOwn(addr) {
		return fmt.Errorf("remote %s: %w", addr, ErrMediaLoop)
	}
	return nil
}
