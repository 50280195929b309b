package calls

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/media"
)

// hangTimeout only keeps a broken test from hanging; no test relies on
// it for its result.
const hangTimeout = 5 * time.Second

// fakeLeg is a leg whose dialog the test scripts. Its media is a real
// port on 127.0.0.1, so the engine's relays and endpoints run for real.
type fakeLeg struct {
	id       LegID
	m        *media.Leg
	progress chan Progress
	hangups  chan string
	endOnce  sync.Once
}

func newFakeLeg(t *testing.T, pool *media.Pool, id string) *fakeLeg {
	t.Helper()
	m, err := pool.Allocate()
	if err != nil {
		t.Fatal(err)
	}
	return &fakeLeg{id: LegID(id), m: m, progress: make(chan Progress, 16), hangups: make(chan string, 1)}
}

func (l *fakeLeg) ID() LegID         { return l.id }
func (l *fakeLeg) Media() *media.Leg { return l.m }
func (l *fakeLeg) PayloadTypes() (pt, te uint8) {
	return media.PayloadPCMU, media.DefaultTelephoneEvent
}
func (l *fakeLeg) Progress() <-chan Progress { return l.progress }

// Hangup ends the leg as a dialog does: canceled while ringing.
func (l *fakeLeg) Hangup(reason string) {
	select {
	case l.hangups <- reason:
	default:
	}
	l.end("canceled", 487)
}

func (l *fakeLeg) report(k ProgressKind) { l.progress <- Progress{Kind: k, At: time.Now()} }

func (l *fakeLeg) end(disp string, code int) {
	l.endOnce.Do(func() {
		l.progress <- Progress{Kind: ProgressEnded, Disposition: disp, Code: code, CDRLegID: "cdr-" + string(l.id)}
		close(l.progress)
	})
}

// fakeNetwork places fake legs; what happens to a leg depends on the
// number dialled, as a carrier's test numbers do.
type fakeNetwork struct {
	t     *testing.T
	pool  *media.Pool
	mu    sync.Mutex
	n     int
	legs  map[LegID]*fakeLeg
	place []Origination
}

func (n *fakeNetwork) Place(_ context.Context, o Origination) (Leg, error) {
	switch o.To {
	case "+15550000402":
		return nil, fmt.Errorf("no credit: %w", billing.ErrInsufficientCredit)
	case "+15550000403":
		return nil, fmt.Errorf("%w: calls.international not allowed", ErrRefused)
	}
	n.mu.Lock()
	n.n++
	l := newFakeLeg(n.t, n.pool, fmt.Sprintf("leg-%d", n.n))
	if n.legs == nil {
		n.legs = map[LegID]*fakeLeg{}
	}
	n.legs[l.id] = l
	n.place = append(n.place, o)
	n.mu.Unlock()
	go func() {
		l.report(ProgressRinging)
		switch o.To {
		case "+15550000486":
			l.end("busy", 486)
		case "+15550000480": // rings until the ring timeout
			time.AfterFunc(o.RingTimeout, func() { l.end("no-answer", 480) })
		case "+15550000183": // early media, then rings on
			l.report(ProgressEarlyMedia)
		case "ringing": // rings until hung up
		default:
			l.report(ProgressAnswered)
		}
	}()
	return l, nil
}

func (n *fakeNetwork) leg(id LegID) *fakeLeg {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.legs[id]
}

// engineRun is what most tests start with: an engine on a fake network,
// the test's context (done when the test ends) and a subscription to
// every leg the engine places.
type engineRun struct {
	*Engine
	net    *fakeNetwork
	ctx    context.Context
	events *stream
}

func newTestEngine(t *testing.T, opts ...media.PoolOption) *engineRun {
	t.Helper()
	return newTestEngineWith(t, nil, opts...)
}

func newTestEngineWith(t *testing.T, engineOpts []Option, poolOpts ...media.PoolOption) *engineRun {
	t.Helper()
	net := &fakeNetwork{t: t, pool: newTestPool(t, poolOpts...)}
	e := New(net, nil, engineOpts...)
	return &engineRun{Engine: e, net: net, ctx: t.Context(), events: subscribe(t.Context(), e, Filter{})}
}

// originate places a leg to `to`, failing the test if the engine refuses.
func (r *engineRun) originate(t *testing.T, o Origination) LegID {
	t.Helper()
	id, err := r.Originate(r.ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// answered places a leg that answers, with a phone on its media, and
// waits for the answer.
func (r *engineRun) answered(t *testing.T, o Origination) (LegID, *phone) {
	t.Helper()
	id := r.originate(t, o)
	ph := newPhone(t, r.net.leg(id).m)
	next(t, r.events, id, EventAnswered)
	return id, ph
}

func newTestPool(t *testing.T, opts ...media.PoolOption) *media.Pool {
	t.Helper()
	for range 50 {
		base := 30000 + 2*rand.IntN(4000)
		p, err := media.NewPool(netip.MustParseAddr("127.0.0.1"), base, base+39, opts...)
		if err == nil {
			return p
		}
	}
	t.Fatal("no media pool")
	return nil
}

// stream is a subscription read by tests: events skipped while waiting
// for one kind are kept for the next wait.
type stream struct {
	ch      <-chan Event
	backlog []Event
}

func subscribe(ctx context.Context, e *Engine, f Filter) *stream {
	return &stream{ch: e.Subscribe(ctx, f)}
}

// next waits for the next event of kind for leg.
func next(t *testing.T, s *stream, leg LegID, kind EventKind) Event {
	t.Helper()
	for i, ev := range s.backlog {
		if ev.Leg == leg && ev.Kind == kind {
			s.backlog = append(s.backlog[:i:i], s.backlog[i+1:]...)
			return ev
		}
	}
	timeout := time.After(hangTimeout)
	for {
		select {
		case ev, ok := <-s.ch:
			if !ok {
				t.Fatalf("subscription closed waiting for %s of %s", kind, leg)
			}
			if ev.Leg == leg && ev.Kind == kind {
				return ev
			}
			s.backlog = append(s.backlog, ev)
		case <-timeout:
			t.Fatalf("no %s event for %s", kind, leg)
		}
	}
}

// phone is a party's RTP socket pointed at a leg's media port.
type phone struct {
	conn *net.UDPConn
	to   *net.UDPAddr
	seq  uint16
}

func newPhone(t *testing.T, m *media.Leg) *phone {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	m.SetRemote(conn.LocalAddr().(*net.UDPAddr).AddrPort())
	return &phone{conn: conn, to: net.UDPAddrFromAddrPort(m.Addr())}
}

// send sends one 20 ms PCMU packet of the byte b.
func (p *phone) send(t *testing.T, pt uint8, payload []byte) {
	t.Helper()
	p.seq++
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: p.seq, Timestamp: uint32(p.seq) * 160, SSRC: 77}, Payload: payload}
	b, _ := pkt.Marshal()
	if _, err := p.conn.WriteToUDP(b, p.to); err != nil {
		t.Fatal(err)
	}
}

// await reads packets until one satisfies ok.
func (p *phone) await(t *testing.T, what string, ok func(*rtp.Packet) bool) {
	t.Helper()
	deadline := time.Now().Add(hangTimeout)
	buf := make([]byte, 1500)
	for time.Now().Before(deadline) {
		_ = p.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := p.conn.Read(buf)
		if err != nil {
			continue
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) == nil && ok(&pkt) {
			return
		}
	}
	t.Fatalf("the phone never received %s", what)
}

func filled(b byte) []byte {
	p := make([]byte, 160)
	for i := range p {
		p[i] = b
	}
	return p
}

func isFilled(pkt *rtp.Packet, b byte) bool {
	return len(pkt.Payload) > 0 && pkt.Payload[0] == b && pkt.Payload[len(pkt.Payload)-1] == b
}
