package media

import (
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
)

// Direction says which party sent a packet.
type Direction uint8

const (
	// FromA marks packets sent by the A leg's party: the caller in a
	// Relay, the remote party of an Endpoint.
	FromA Direction = iota
	// FromB marks packets sent by the B leg's party: the callee in a
	// Relay, the switch itself (prompts) on an Endpoint.
	FromB
)

// String returns "a" or "b".
func (d Direction) String() string {
	if d == FromB {
		return "b"
	}
	return "a"
}

// A Tap sees the RTP packets a Relay or Endpoint handles: every valid
// packet accepted from a leg's party (after latching), and on an Endpoint
// every packet its Player sends. RTCP is not tapped, nor the prompt
// Relay.Announce plays (a Recorder records it all the same).
//
// Packet runs on the reactor goroutine that read the packet, after the
// packet was forwarded. That goroutine serves the sockets of many calls,
// so a Tap delays every one of them: it must be quick and must not block
// (copy and hand off; a Recorder's file write goes to the page cache).
// Packets of the two directions may arrive on two reactors, so a Tap that
// sees both must be safe for concurrent use. A Tap must not close a leg,
// relay or endpoint: closing waits for the reactor, which waits for the
// Tap.
//
// Ownership: pkt and pkt.Payload belong to the caller and are reused for
// the next packet as soon as Packet returns. A Tap must copy whatever it
// keeps (for instance with append(dst[:0], pkt.Payload...)), and must not
// modify the packet.
type Tap interface {
	Packet(dir Direction, pkt *rtp.Packet)
}

// TapFunc adapts a function to a Tap.
type TapFunc func(dir Direction, pkt *rtp.Packet)

// Packet calls f(dir, pkt).
func (f TapFunc) Packet(dir Direction, pkt *rtp.Packet) { f(dir, pkt) }

// taps is a copy-on-write list of taps: readers load it without a lock.
type taps struct {
	mu   sync.Mutex // serializes writers
	list atomic.Pointer[[]*tapEntry]
}

type tapEntry struct{ t Tap }

// add installs t and returns a function that removes it.
func (ts *taps) add(t Tap) (remove func()) {
	e := &tapEntry{t: t}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	var next []*tapEntry
	if cur := ts.list.Load(); cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, e)
	ts.list.Store(&next)
	var once sync.Once
	return func() { once.Do(func() { ts.remove(e) }) }
}

func (ts *taps) remove(e *tapEntry) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	cur := ts.list.Load()
	if cur == nil {
		return
	}
	next := make([]*tapEntry, 0, len(*cur))
	for _, x := range *cur {
		if x != e {
			next = append(next, x)
		}
	}
	ts.list.Store(&next)
}

// deliver hands pkt to every tap.
func (ts *taps) deliver(dir Direction, pkt *rtp.Packet) {
	cur := ts.list.Load()
	if cur == nil {
		return
	}
	for _, e := range *cur {
		e.t.Packet(dir, pkt)
	}
}

// promptTap is a Tap that also takes the prompts Relay.Announce plays
// into a call. Those are not a party's audio, so ordinary taps (a
// DTMFDetector) never see them; a Recorder mixes them over what the
// parties say meanwhile, so the recording proves the announcement.
type promptTap interface {
	promptPacket(dir Direction, pkt *rtp.Packet)
}

// deliverPrompt hands a prompt's packet to the taps that take prompts; dir
// is the side the prompt stands in for (what the other party hears).
func (ts *taps) deliverPrompt(dir Direction, pkt *rtp.Packet) {
	cur := ts.list.Load()
	if cur == nil {
		return
	}
	for _, e := range *cur {
		if pt, ok := e.t.(promptTap); ok {
			pt.promptPacket(dir, pkt)
		}
	}
}
