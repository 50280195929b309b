package media

import (
	"bytes"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"
	"golang.org/x/sys/unix"
)

// newIdlePool is a pool of pairs port pairs keeping up to idle of them,
// with the rules of reuse relaxed so a test can reuse a pair at once: no
// wait, and one ready pair is enough to pick from.
func newIdlePool(t *testing.T, pairs, idle int) *Pool {
	t.Helper()
	p := newTestPool(t, pairs, WithIdlePairs(idle))
	p.reuseAfter, p.minReuseChoice = 0, 1
	t.Cleanup(func() { p.Close() })
	return p
}

// relayed sets up a relay between two fresh legs of pool and phones at
// their SDP addresses.
func relayed(t *testing.T, pool *Pool, pa, pb *phone) *call {
	t.Helper()
	c := &call{a: must(pool.Allocate()), b: must(pool.Allocate()), pa: pa, pb: pb}
	c.a.SetSignalingSource(pa.addr().Addr())
	c.a.SetRemote(pa.addr())
	c.b.SetSignalingSource(pb.addr().Addr())
	c.b.SetRemote(pb.addr())
	c.relay = must(NewRelay(c.a, c.b))
	t.Cleanup(func() { c.relay.Close() })
	if err := c.relay.Start(); err != nil {
		t.Fatal(err)
	}
	return c
}

// portBindable reports whether another program could bind port now.
func portBindable(port int) bool {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func TestIdlePairs(t *testing.T) {
	payload := bytes.Repeat([]byte{0xd5}, 160)

	t.Run("a closed leg's sockets are kept and handed to a later leg", func(t *testing.T) {
		p := newIdlePool(t, 1, 1)
		a := must(p.Allocate())
		port, fd := a.Port(), a.rtp.sock.fd
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		if p.Idle() != 1 || p.Available() != 1 || p.InUse() != 0 {
			t.Fatalf("idle %d, available %d, in use %d after close", p.Idle(), p.Available(), p.InUse())
		}
		if portBindable(port) {
			t.Fatal("the idle pair's port was given up")
		}
		b := must(p.Allocate())
		defer b.Close()
		if b.Port() != port || b.rtp.sock.fd != fd {
			t.Errorf("got port %d fd %d, want the kept %d fd %d", b.Port(), b.rtp.sock.fd, port, fd)
		}
		if p.Idle() != 0 {
			t.Errorf("idle %d with the pair in use", p.Idle())
		}
	})

	t.Run("a closed leg sends no more through the kept sockets", func(t *testing.T) {
		p := newIdlePool(t, 1, 1)
		a := must(p.Allocate())
		a.SetRemote(newPhone(t).addr())
		a.Close()
		b := must(p.Allocate())
		defer b.Close()
		if err := a.sendRTP(payload); err == nil {
			t.Error("a closed leg sent on the socket now another leg's")
		}
	})

	t.Run("the old party's late packets do not reach the next call", func(t *testing.T) {
		p := newIdlePool(t, 2, 2)
		old := relayed(t, p, newPhone(t), newPhone(t))
		oldA := old.a.Addr()
		for range latchRun { // both legs latch to their parties
			old.pa.sendRTP(oldA, 0, payload)
			old.pb.recvRTP()
		}
		if !old.a.Latched() {
			t.Fatal("old leg not latched")
		}
		old.relay.Close()

		next := relayed(t, p, newPhone(t), newPhone(t)) // same host: loopback
		legA := next.a
		if legA.Addr() != oldA {
			legA = next.b
		}
		if legA.Addr() != oldA {
			t.Fatalf("the kept pair %v was not reused: %v, %v", oldA, next.a.Addr(), next.b.Addr())
		}
		party, other := next.pa, next.pb
		if legA == next.b {
			party, other = next.pb, next.pa
		}
		// The old party goes on with its stream (same source, same SSRC)
		// before the new party sends: refused, not relayed.
		for range 2 * latchRun {
			old.pa.sendRTP(oldA, 0, payload)
		}
		party.sendRTP(oldA, 0, payload)
		if got := other.recvRTP(); got.SSRC != party.ssrc {
			t.Fatalf("the next call's party got SSRC %x, want its own party's %x (the old one is %x)", got.SSRC, party.ssrc, old.pa.ssrc)
		}
		if s := legA.Stats(); s.Refused != 2*latchRun || s.RTPPacketsIn != 1 {
			t.Errorf("refused %d, in %d; want %d and 1", s.Refused, s.RTPPacketsIn, 2*latchRun)
		}
	})

	// endpointOn starts an Endpoint on the pool's next leg, whose SDP
	// address is sdp, and returns the leg and the SSRCs of the packets
	// its party gets through.
	endpointOn := func(t *testing.T, p *Pool, sdp *phone) (*Leg, chan uint32) {
		l := must(p.Allocate())
		l.SetRemote(sdp.addr())
		ep := must(NewEndpoint(l, PayloadPCMU))
		t.Cleanup(func() { ep.Close() })
		got := make(chan uint32, 64)
		ep.AddTap(TapFunc(func(_ Direction, pkt *rtp.Packet) { got <- pkt.SSRC }))
		if err := ep.Start(); err != nil {
			t.Fatal(err)
		}
		return l, got
	}
	// latchedAndClosed latches a leg of p to party, then closes it.
	latchedAndClosed := func(t *testing.T, p *Pool, party *phone) {
		l, _ := endpointOn(t, p, party)
		party.sendRTP(l.Addr(), 0, payload)
		waitFor(t, "latch", l.Latched)
		l.Close()
	}

	t.Run("the same phone port calling again gets through: its SDP gives that address", func(t *testing.T) {
		p := newIdlePool(t, 1, 1)
		pa := newPhone(t)
		latchedAndClosed(t, p, pa)
		b, got := endpointOn(t, p, pa)
		pa.sendRTP(b.Addr(), 0, payload) // even with the old SSRC
		if ssrc := <-got; ssrc != pa.ssrc {
			t.Errorf("got SSRC %x", ssrc)
		}
	})

	t.Run("the old party's address with a new SSRC is latching as usual", func(t *testing.T) {
		p := newIdlePool(t, 1, 1)
		pa := newPhone(t)
		latchedAndClosed(t, p, pa)
		b, got := endpointOn(t, p, newPhone(t)) // another SDP address on the same host
		pa.ssrc++                               // a new stream from the old source
		pa.sendRTP(b.Addr(), 0, payload)
		if ssrc := <-got; ssrc != pa.ssrc {
			t.Errorf("got SSRC %x", ssrc)
		}
		if s := b.Stats(); s.Refused != 0 {
			t.Errorf("refused %d", s.Refused)
		}
	})

	t.Run("packets that reach an idle pair are dropped, even from the next party's address", func(t *testing.T) {
		p := newIdlePool(t, 1, 1)
		a := must(p.Allocate())
		port := a.Addr()
		a.Close()
		next := newPhone(t)
		for range 50 { // a burst at the idle pair, from the next call's party
			next.sendRTP(port, 0, payload)
		}
		next.sendRaw(rtcpAddr(a), rtcpRR(next.ssrc))
		waitFor(t, "the idle pair to be read empty", func() bool {
			return pending(t, p.idle[0].rtp) == 0 && pending(t, p.idle[0].rtcp) == 0
		})
		b := must(p.Allocate())
		b.SetRemote(next.addr())
		got := make(chan uint16, 64)
		ep := must(NewEndpoint(b, PayloadPCMU))
		defer ep.Close()
		ep.AddTap(TapFunc(func(_ Direction, pkt *rtp.Packet) { got <- pkt.SequenceNumber }))
		// Sent after the pair was handed out, before the leg starts: it
		// waits in the socket, as on a freshly bound one.
		first := next.seq
		next.sendRTP(port, 0, payload)
		if err := ep.Start(); err != nil {
			t.Fatal(err)
		}
		if seq := <-got; seq != first {
			t.Errorf("first packet seen: sequence %d, want %d (sent after reuse)", seq, first)
		}
		if s := b.Stats(); s.RTPPacketsIn != 1 || s.RTCPPacketsIn != 0 {
			t.Errorf("in: %d RTP, %d RTCP; want 1, 0", s.RTPPacketsIn, s.RTCPPacketsIn)
		}
	})

	t.Run("a reused leg detached from its relay goes on to an endpoint, then rests again", func(t *testing.T) {
		p := newIdlePool(t, 2, 2)
		first := relayed(t, p, newPhone(t), newPhone(t))
		first.relay.Close()
		c := relayed(t, p, newPhone(t), newPhone(t)) // both pairs reused
		a, _, err := c.relay.Detach()
		if err != nil {
			t.Fatal(err)
		}
		c.pa.sendRTP(a.Addr(), 0, payload) // waits in the socket meanwhile
		got := make(chan uint32, 4)
		ep := must(NewEndpoint(a, PayloadPCMU))
		ep.AddTap(TapFunc(func(_ Direction, pkt *rtp.Packet) { got <- pkt.SSRC }))
		if err := ep.Start(); err != nil {
			t.Fatal(err)
		}
		if ssrc := <-got; ssrc != c.pa.ssrc {
			t.Errorf("got SSRC %x", ssrc)
		}
		ep.Close()
		c.b.Close()
		if p.Idle() != 2 || p.InUse() != 0 {
			t.Errorf("idle %d, in use %d", p.Idle(), p.InUse())
		}
	})

	t.Run("a detach that comes after the leg went idle leaves the pair draining", func(t *testing.T) {
		// A transfer's detach racing a hang-up's Close: the detach takes
		// the leg's watches, Close hands the pair to the pool, and only
		// then does the detach take the leg's sockets from the reactor.
		p := newIdlePool(t, 1, 1)
		a := must(p.Allocate())
		ep := must(NewEndpoint(a, PayloadPCMU))
		if err := ep.Start(); err != nil {
			t.Fatal(err)
		}
		a.mu.Lock()
		late := a.takeWatches()
		a.mu.Unlock()
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		a.unwatch(late)
		pr := p.idle[0]
		if pr.cur[0] != &pr.idle.drop[0] || pr.cur[1] != &pr.idle.drop[1] {
			t.Fatalf("idle pair runs %p, %p; want its drop watches", pr.cur[0], pr.cur[1])
		}
		next := newPhone(t)
		for range 20 {
			next.sendRTP(a.Addr(), 0, payload)
		}
		waitFor(t, "the idle pair to be read empty", func() bool { return pending(t, pr.rtp) == 0 })
		b := must(p.Allocate())
		defer b.Close()
		ep2 := must(NewEndpoint(b, PayloadPCMU))
		defer ep2.Close()
		if err := ep2.Start(); err != nil {
			t.Fatalf("the next leg on the pair does not start: %v", err)
		}
	})

	t.Run("the idle pairs are bounded; the others are closed", func(t *testing.T) {
		p := newIdlePool(t, 4, 2)
		var legs []*Leg
		for range 4 {
			legs = append(legs, must(p.Allocate()))
		}
		for _, l := range legs {
			l.Close()
		}
		if p.Idle() != 2 || p.Available() != 4 {
			t.Fatalf("idle %d, available %d; want 2, 4", p.Idle(), p.Available())
		}
		kept := 0
		for _, l := range legs {
			if !portBindable(l.Port()) {
				kept++
			}
		}
		if kept != 2 {
			t.Errorf("%d pairs still bound, want the 2 idle ones", kept)
		}
	})

	t.Run("closing the pool closes its idle pairs and stops keeping", func(t *testing.T) {
		p := newIdlePool(t, 3, 3)
		a, b := must(p.Allocate()), must(p.Allocate())
		a.Close()
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if p.Idle() != 0 || !portBindable(a.Port()) || !portBindable(a.Port()+1) {
			t.Errorf("idle %d, port %d bindable %v after Close", p.Idle(), a.Port(), portBindable(a.Port()))
		}
		_, err := p.Allocate()
		wantErr(t, err, ErrClosed)
		b.Close() // open at Close: closed with its leg
		if p.Idle() != 0 || !portBindable(b.Port()) {
			t.Errorf("a leg closed after the pool was kept")
		}
		if err := p.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

func TestIdlePairsReuseRules(t *testing.T) {
	t.Run("a pair that just went idle is not reused while fresh ones are free", func(t *testing.T) {
		p := newTestPool(t, 3, WithIdlePairs(3))
		t.Cleanup(func() { p.Close() })
		a := must(p.Allocate())
		a.Close()
		b := must(p.Allocate())
		defer b.Close()
		if b.Port() == a.Port() || p.Idle() != 1 {
			t.Errorf("port %d handed straight back (idle %d)", a.Port(), p.Idle())
		}
	})

	t.Run("fewer ready pairs than the choice needs: a fresh pair", func(t *testing.T) {
		p := newIdlePool(t, 3, 3)
		p.minReuseChoice = 2
		a := must(p.Allocate())
		a.Close()
		b := must(p.Allocate())
		defer b.Close()
		if b.Port() == a.Port() {
			t.Errorf("port %d reused with one pair to pick from", a.Port())
		}
	})

	t.Run("the range used up: a pair that waited its turn before those that just went idle", func(t *testing.T) {
		p := newTestPool(t, 5, WithIdlePairs(5))
		t.Cleanup(func() { p.Close() })
		p.minReuseChoice = 128 // never enough ready pairs to pick among
		var legs []*Leg
		for range 5 {
			legs = append(legs, must(p.Allocate()))
		}
		defer legs[4].Close()
		for _, l := range legs[:4] {
			l.Close()
		}
		// The oldest has waited its turn; the other three just went idle.
		age := func() *pair {
			p.mu.Lock()
			defer p.mu.Unlock()
			pr := p.idle[len(p.idle)-1]
			if pr.idle.released.Before(p.idle[0].idle.released) {
				return pr
			}
			p.idle = slices.Insert(p.idle[:len(p.idle)-1], 0, pr)
			pr.idle.released = pr.idle.released.Add(-time.Hour)
			return pr
		}
		p.mu.Lock()
		rested := p.idle[0]
		rested.idle.released = rested.idle.released.Add(-time.Hour)
		p.mu.Unlock()
		for range 20 {
			b := must(p.Allocate())
			if b.Port() != rested.port {
				t.Fatalf("port %d reused at once; want %d, which waited", b.Port(), rested.port)
			}
			b.Close()
			rested = age()
		}
	})

	t.Run("port range exhaustion gives ErrPoolExhausted; idle pairs are used before it", func(t *testing.T) {
		p := newTestPool(t, 2, WithIdlePairs(2))
		t.Cleanup(func() { p.Close() })
		a, b := must(p.Allocate()), must(p.Allocate())
		_, err := p.Allocate()
		wantErr(t, err, ErrPoolExhausted)
		a.Close()
		c, err := p.Allocate() // the only pair left has just gone idle
		if err != nil {
			t.Fatalf("allocate with an idle pair left: %v", err)
		}
		if c.Port() != a.Port() {
			t.Errorf("got %d, want the idle %d", c.Port(), a.Port())
		}
		_, err = p.Allocate()
		wantErr(t, err, ErrPoolExhausted)
		b.Close()
		c.Close()
		if p.Available() != p.Size() {
			t.Errorf("available %d of %d", p.Available(), p.Size())
		}
	})

	t.Run("free ports all held by other programs: an idle pair rather than ErrPoolExhausted", func(t *testing.T) {
		p := newTestPool(t, 3, WithIdlePairs(3))
		t.Cleanup(func() { p.Close() })
		a, b := must(p.Allocate()), must(p.Allocate())
		defer b.Close()
		third := p.first
		for third == a.Port() || third == b.Port() {
			third += 2
		}
		squat, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: third + 1})
		if err != nil {
			t.Fatal(err)
		}
		defer squat.Close()
		a.Close() // idle, and not yet its turn
		c, err := p.Allocate()
		if err != nil {
			t.Fatalf("allocate with an idle pair and only a held port free: %v", err)
		}
		defer c.Close()
		if c.Port() != a.Port() {
			t.Errorf("got %d, want the idle %d", c.Port(), a.Port())
		}
	})

	t.Run("many legs leak no pair and no socket", func(t *testing.T) {
		p := newIdlePool(t, 8, 4)
		for round := range 200 {
			var legs []*Leg
			for range 1 + round%8 {
				legs = append(legs, must(p.Allocate()))
			}
			for i, l := range legs {
				closer := interface{ Close() error }(l)
				if i%2 == 0 { // some started, some not
					ep := must(NewEndpoint(l, PayloadPCMU))
					if err := ep.Start(); err != nil {
						t.Fatal(err)
					}
					closer = ep
				}
				if err := closer.Close(); err != nil {
					t.Fatal(err)
				}
			}
		}
		if p.Available() != p.Size() || p.Idle() != 4 {
			t.Fatalf("available %d of %d, idle %d", p.Available(), p.Size(), p.Idle())
		}
		p.Close()
		for port := p.first; port < p.first+2*p.pairs; port++ {
			if !portBindable(port) {
				t.Errorf("port %d still bound after Close", port)
			}
		}
	})
}

// pending is the size of the next datagram queued on s (0: none).
func pending(t *testing.T, s *socket) int {
	t.Helper()
	n, err := unix.IoctlGetInt(s.fd, unix.SIOCINQ)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
