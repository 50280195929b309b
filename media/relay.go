package media

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
)

// Relay anchors the media of one call: what the A leg's party sends is
// sent to the B leg's party from B's sockets, and the other way round,
// RTP and RTCP alike, without decoding. A reactor reads each leg's
// sockets (see reactor_linux.go) into a reused buffer; forwarding takes
// no lock and allocates nothing.
type Relay struct {
	a, b *Leg
	taps taps

	fromA, fromB *forwarder // the legs' sinks
	// announcing holds a token while Announce runs: one at a time, and
	// Detach waits for it before the legs change owner. It and done are
	// made by the first Announce (announceChans): most calls hear none.
	announcing chan struct{}

	mu       sync.Mutex
	started  bool
	closed   bool
	detached bool
	silenced bool // Silence was called: Mute(false) no longer resumes forwarding

	done    chan struct{} // closed by Close and Detach: stops Announce
	stopped bool          // done is closed

	timedOut     chan struct{}
	timedOutOnce sync.Once
}

// NewRelay joins two legs allocated from a Pool into a relay, which from
// now on owns them: closing the relay closes both. A leg can belong to one
// Relay or Endpoint only (ErrLegInUse).
func NewRelay(a, b *Leg) (*Relay, error) {
	if a == nil || b == nil || a == b {
		return nil, fmt.Errorf("new relay: %w: need two distinct legs", ErrLegInUse)
	}
	if err := a.claim(); err != nil {
		return nil, fmt.Errorf("new relay: leg a: %w", err)
	}
	if err := b.claim(); err != nil {
		a.mu.Lock()
		a.claimed = false
		a.mu.Unlock()
		return nil, fmt.Errorf("new relay: leg b: %w", err)
	}
	r := &Relay{a: a, b: b, timedOut: make(chan struct{})}
	r.fromA = &forwarder{dir: FromA, to: b, taps: &r.taps}
	r.fromB = &forwarder{dir: FromB, to: a, taps: &r.taps}
	return r, nil
}

// A returns the A (caller's) leg.
func (r *Relay) A() *Leg { return r.a }

// B returns the B (callee's) leg.
func (r *Relay) B() *Leg { return r.b }

// Start begins relaying. Start it as soon as both legs exist (when the
// offer goes out to the B side) so early media flows and both legs latch;
// a leg latches once its party sends (strictly: see Leg), and packets for
// a leg with no address yet are dropped (Undeliverable).
func (r *Relay) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return fmt.Errorf("start relay: %w", ErrClosed)
	case r.started:
		return nil
	}
	r.started = true
	onTimeout := func() { r.timedOutOnce.Do(func() { close(r.timedOut) }) }
	if err := r.a.start(r.fromA, onTimeout); err != nil {
		return fmt.Errorf("start relay: leg a: %w", err)
	}
	if err := r.b.start(r.fromB, onTimeout); err != nil {
		return fmt.Errorf("start relay: leg b: %w", err)
	}
	return nil
}

// Answered arms the media timeout of both legs; call it when the call is
// answered (ringing without early media is not a media failure).
func (r *Relay) Answered() {
	r.a.armTimeout()
	r.b.armTimeout()
}

// SetHold puts both legs on hold or resumes them: use it when a re-INVITE
// or UPDATE makes the audio stream sendonly, recvonly or inactive
// (IsHold), since then both parties may stop sending.
func (r *Relay) SetHold(on bool) {
	r.a.SetHold(on)
	r.b.SetHold(on)
}

// TimedOut returns a channel closed when either leg's media timeout fires
// (see Leg.TimedOut); the switch hangs the call up then.
func (r *Relay) TimedOut() <-chan struct{} { return r.timedOut }

// AddTap adds a tap (a Recorder, a DTMFDetector...) that sees the RTP
// packets of both directions from now on, and returns a function that
// removes it. Taps may be added and removed while the relay runs.
func (r *Relay) AddTap(t Tap) (remove func()) { return r.taps.add(t) }

// Close stops relaying, closes both legs (returning their ports to the
// pool) and waits until no packet of the relay is being handled; an Announce in
// progress returns ErrClosed. Close the relay's taps (a Recorder) after
// it. Close is idempotent, and does nothing after Detach.
func (r *Relay) Close() error {
	r.mu.Lock()
	if r.detached {
		r.mu.Unlock()
		return nil // the legs have another owner now
	}
	r.closed = true
	r.mu.Unlock()
	r.stopAnnouncing()
	if err := errors.Join(r.a.Close(), r.b.Close()); err != nil {
		return fmt.Errorf("close relay: %w", err)
	}
	return nil
}

// Detach stops relaying without closing the legs and returns them, for
// the switch to join one to another Relay or Endpoint: a transfer keeps
// the transferee's leg and relays it to the transfer target's new leg; a
// dialer bridges a lead's leg from an Endpoint to an agent. Taps stop
// seeing packets, the media timeout is disarmed, and the counters go on.
// An Announce in progress is stopped (it returns ErrClosed) before the
// legs are handed over, so no prompt packet reaches the legs' new owner.
// The relay is closed afterwards; closing the legs is the caller's job.
func (r *Relay) Detach() (a, b *Leg, err error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, nil, fmt.Errorf("detach relay: %w", ErrClosed)
	}
	r.closed, r.detached = true, true
	r.mu.Unlock()
	r.stopAnnouncing()
	r.mu.Lock()
	announcing := r.announcing // nil: no Announce has run, and none will now
	r.mu.Unlock()
	if announcing != nil {
		announcing <- struct{}{} // wait for a running Announce to let go
		<-announcing
	}
	if err := errors.Join(r.a.detach(), r.b.detach()); err != nil {
		return nil, nil, fmt.Errorf("detach relay: %w", err)
	}
	return r.a, r.b, nil
}

// stopAnnouncing ends an Announce in progress and refuses new ones.
func (r *Relay) stopAnnouncing() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	r.stopped = true
	if r.done == nil {
		r.done = closedChan
		return
	}
	close(r.done)
}

// announceChans returns the announcing token and the done channel, made
// on first use.
func (r *Relay) announceChans() (announcing, done chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.announcing == nil {
		r.announcing = make(chan struct{}, 1)
	}
	if r.done == nil {
		r.done = make(chan struct{})
	}
	return r.announcing, r.done
}

// forwarder is the sink of one leg of a relay.
type forwarder struct {
	dir  Direction
	to   *Leg
	taps *taps
	// muted stops forwarding while an announcement plays: one atomic
	// load per packet, on a flag written only when an announcement
	// starts and ends.
	muted atomic.Bool
}

func (f *forwarder) onRTP(raw []byte, pkt *rtp.Packet) {
	if pkt == nil {
		_ = f.to.sendMuxedRTCP(raw)
		return
	}
	// Muted, the other party hears the announcement instead; the taps
	// still get the packet (the recording keeps what was said meanwhile).
	if !f.muted.Load() {
		_ = f.to.sendRTP(raw) // a failure is counted as Undeliverable
	}
	f.taps.deliver(f.dir, pkt)
}

func (f *forwarder) onRTCP(raw []byte) { _ = f.to.sendRTCP(raw) }
