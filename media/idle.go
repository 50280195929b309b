package media

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"time"
)

// Idle pairs. Opening, binding and closing a call's four sockets (and
// adding them to and taking them from a reactor's epoll set) is most of
// what anchoring costs the switch per call, so a pool made WithIdlePairs
// keeps the sockets of a closed leg bound, as an idle pair, and hands them
// to a later leg. An idle pair stays in its reactor's epoll set, where a
// watch without a leg reads and drops whatever arrives: nothing piles up
// in its buffers. The pair changes hands by swapping the watch the
// reactor runs for each socket (pair.set): no system call per call, where
// fresh sockets cost a socket, bind, two epoll_ctl and a close each.
//
// What a reused pair must not do is hand the new call a packet meant for
// the old one. So:
//
//   - a pair is reused only reuseAfter after its leg closed, picked at
//     random among at least minReuseChoice pairs that waited that long
//     (fewer, and a fresh pair is bound from the range as without the
//     idle pairs: the port stays unguessable, and an idle pair is never
//     handed straight back);
//   - when it is, it is held (what arrives waits for the leg to start;
//     the first packet mutes the socket in the epoll set until then) and
//     drained, so it holds only what arrives from then on, as a freshly
//     bound socket would;
//   - for staleFor after the old leg closed, packets from the source the
//     old leg was latched to that carry the SSRC it last sent with are
//     refused (counted Refused), unless that source is the new party's
//     own SDP address: the old party's late stream is told apart from a
//     new call from the same host (a trunk, phones behind one NAT), and
//     even from the same phone port, which sends with a new SSRC;
//   - the strict latching of every leg (latch.go) applies as before.
//
// Descriptors: two per idle pair, at most the option's count, and in-use
// plus idle pairs never exceed the range, so the switch never holds more
// media descriptors than a full range of calls does.

const (
	// reuseAfter is how long an idle pair waits before it may be reused:
	// well past the packets in flight when the old call ended, and a
	// party that missed the first BYE has been sent it again.
	reuseAfter = time.Second
	// minReuseChoice is the fewest idle pairs a reused one is picked
	// among at random.
	minReuseChoice = 128
	// staleFor is how long a reused pair refuses the old party's stream:
	// as long as a SIP transaction lasts (64×T1), by when the old party
	// has had every retransmission of its BYE.
	staleFor = 32 * time.Second
)

// WithIdlePairs keeps the sockets of up to n closed legs bound for later
// legs instead of closing them (default 0: every leg's sockets are opened
// for it and closed with it). n is capped at the range's pairs. A pool
// with idle pairs should be closed (Pool.Close) when it is no longer used.
func WithIdlePairs(n int) PoolOption {
	return func(p *Pool) { p.maxIdle = n }
}

// idleState is what a pair needs once it has been idle.
type idleState struct {
	// drop reads and drops what arrives while the pair is idle; hold
	// keeps it waiting between the pair's reuse and its leg's start.
	drop, hold [2]watch
	released   time.Time // when it went idle
	// stale is what the last leg's party sent from (RTP, RTCP), for the
	// next leg to refuse.
	stale [2]staleSource
}

// staleSource is the latched source and last SSRC of a closed leg's
// socket, refused by the next leg on that socket until until.
type staleSource struct {
	addr  netip.AddrPort
	ssrc  uint32
	until int64 // unix nanoseconds
}

// refuses reports whether a packet from src with ssrc is the old party's.
func (s *staleSource) refuses(src netip.AddrPort, ssrc uint32) bool {
	// A pair whose last leg never latched has a zero staleSource: its
	// addr matches no source, so no clock is read for it.
	return s.addr == src && s.ssrc == ssrc && time.Now().UnixNano() < s.until
}

// rest makes the pair of closed leg l idle: its sockets stay in (or join)
// the reactor's epoll set with the dropping watches. When it returns, no
// handler of the leg runs.
func (pr *pair) rest(l *Leg, now time.Time) error {
	st := pr.idle
	if st == nil {
		st = &idleState{}
		for i, s := range pr.sockets() {
			st.drop[i] = watch{sock: s}
			st.hold[i] = watch{sock: s, hold: true}
		}
		pr.idle = st
	}
	for i := range st.drop {
		if err := pr.set(i, &st.drop[i]); err != nil {
			return err
		}
	}
	st.released = now
	until := now.Add(staleFor).UnixNano()
	for i, p := range [2]*path{&l.rtp, &l.rtcp} {
		st.stale[i] = staleSource{}
		if r := p.peer.Load(); r != nil && r.latched {
			// lastSSRC was written by the reactor, before the swap above
			// took the reactor's lock.
			st.stale[i] = staleSource{addr: r.addr, ssrc: p.lastSSRC, until: until}
		}
	}
	return nil
}

// wake readies an idle pair for a new leg: held (packets wait in its
// buffers until the leg starts, as on a freshly bound socket), then
// drained of what arrived before.
func (pr *pair) wake() {
	for i := range pr.idle.hold {
		_ = pr.set(i, &pr.idle.hold[i]) // a swap: the pair is in the epoll set
	}
	pr.rtp.drain()
	pr.rtcp.drain()
}

// takeIdle returns an idle pair to reuse, awake, or nil when a fresh one
// should be bound. Short of fresh pairs (the range used up, or every free
// port held by another program: force), it takes one that has not waited
// its turn rather than fail. The caller holds p.mu.
func (p *Pool) takeIdle(now time.Time, force bool) *pair {
	n := len(p.idle)
	if n == 0 {
		return nil
	}
	// p.idle is in the order the pairs went idle, except that picks swap
	// with the head, which stays among the ready ones: the ready pairs
	// are still a prefix.
	cutoff := now.Add(-p.reuseAfter)
	ready := sort.Search(n, func(i int) bool { return p.idle[i].idle.released.After(cutoff) })
	var pr *pair
	switch {
	case ready >= p.minReuseChoice:
		i := p.rand.IntN(ready)
		p.idle[0], p.idle[i] = p.idle[i], p.idle[0]
		pr = p.idle[0]
		p.idle[0] = nil
		p.idle = p.idle[1:]
	case len(p.free) == 0 || force:
		// No fresh pair to bind: one that waited its turn if any does,
		// else, as takeRandom does, one of the older half; the order
		// stays.
		i := p.rand.IntN(max(n/2, 1))
		if ready > 0 {
			i = p.rand.IntN(ready)
		}
		pr = p.idle[i]
		p.idle = slices.Delete(p.idle, i, i+1)
	default:
		return nil
	}
	pr.wake()
	return pr
}

// release takes back the pair of a closed leg: kept idle when there is
// room, else closed and its port freed.
func (p *Pool) release(l *Leg) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr := l.pair
	if p.inUse[l.port] != l {
		return pr.close() // not the pool's leg any more; cannot happen
	}
	delete(p.inUse, l.port)
	p.closed = p.closed.add(l.Stats())
	if !p.shut && len(p.idle) < p.maxIdle {
		if err := pr.rest(l, time.Now()); err == nil {
			p.idle = append(p.idle, pr)
			return nil
		}
	}
	p.free = append(p.free, l.port)
	return pr.close()
}

// Close closes the pool's idle pairs, and from now on Allocate returns
// ErrClosed and each leg's sockets are closed with the leg. Legs still
// open keep working until they close. Close is idempotent.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shut = true
	var errs []error
	for _, pr := range p.idle {
		errs = append(errs, pr.close())
		p.free = append(p.free, pr.port)
	}
	p.idle = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close pool: %w", err)
	}
	return nil
}

// Idle returns the number of idle pairs: bound, kept for later legs.
func (p *Pool) Idle() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}
