package media

import (
	"bytes"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// call is a relay between two phones on loopback.
type call struct {
	relay  *Relay
	a, b   *Leg
	pa, pb *phone
}

// newCall allocates two legs, gives each its phone's address as the SDP
// remote, and starts the relay.
func newCall(t *testing.T, opts ...PoolOption) *call {
	t.Helper()
	pool := newTestPool(t, 2, opts...)
	c := &call{a: must(pool.Allocate()), b: must(pool.Allocate()), pa: newPhone(t), pb: newPhone(t)}
	c.a.SetRemote(c.pa.addr())
	c.b.SetRemote(c.pb.addr())
	var err error
	if c.relay, err = NewRelay(c.a, c.b); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.relay.Close() })
	if err := c.relay.Start(); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRelayForwards(t *testing.T) {
	checkGoroutines(t)
	c := newCall(t)
	payload := bytes.Repeat([]byte{0xd5}, 160)

	t.Run("RTP from A goes out of B's socket to B, unchanged", func(t *testing.T) {
		c.pa.sendRTP(c.a.Addr(), 0, payload)
		got, src := c.pb.recv()
		if src != c.b.Addr() {
			t.Errorf("came from %v, want B leg's socket %v", src, c.b.Addr())
		}
		var pkt rtp.Packet
		if err := pkt.Unmarshal(got); err != nil || pkt.SSRC != c.pa.ssrc || !bytes.Equal(pkt.Payload, payload) {
			t.Errorf("packet changed on the way: %v %v", err, pkt.Header)
		}
	})
	t.Run("RTP from B goes out of A's socket to A", func(t *testing.T) {
		c.pb.sendRTP(c.b.Addr(), 8, payload)
		pkt := c.pa.recvRTP()
		if pkt.SSRC != c.pb.ssrc || pkt.PayloadType != 8 {
			t.Errorf("got %v", pkt.Header)
		}
	})
	t.Run("RTCP takes the ports above", func(t *testing.T) {
		pa, pb := newPhone(t), newPhone(t)
		c.a.rtcp.peer.Store(c.a.rtcp.newRemote(pa.addr(), false))
		c.b.rtcp.peer.Store(c.b.rtcp.newRemote(pb.addr(), false))
		rr := rtcpRR(42)
		pa.sendRaw(rtcpAddr(c.a), rr)
		got, src := pb.recv()
		if !bytes.Equal(got, rr) || src != rtcpAddr(c.b) {
			t.Errorf("got %x from %v", got, src)
		}
		pb.sendRaw(rtcpAddr(c.b), rr)
		if got, _ := pa.recv(); !bytes.Equal(got, rr) {
			t.Errorf("got %x", got)
		}
	})
	t.Run("RTCP multiplexed on the RTP port is passed on", func(t *testing.T) {
		rr := rtcpRR(7)
		c.pa.sendRaw(c.a.Addr(), rr)
		if got, _ := c.pb.recv(); !bytes.Equal(got, rr) {
			t.Errorf("got %x", got)
		}
	})
	t.Run("counters add up", func(t *testing.T) {
		sa, sb := c.a.Stats(), c.b.Stats()
		if sa.RTPPacketsIn != 1 || sb.RTPPacketsOut != 1 || sb.RTPPacketsIn != 1 || sa.RTPPacketsOut != 1 {
			t.Errorf("a %+v\nb %+v", sa, sb)
		}
		if sa.RTPBytesIn != 172 || sb.RTPBytesOut != 172 {
			t.Errorf("bytes: a in %d, b out %d, want 172", sa.RTPBytesIn, sb.RTPBytesOut)
		}
		if sa.RTCPPacketsIn != 2 || sb.RTCPPacketsOut != 2 || sb.RTCPPacketsIn != 1 || sa.RTCPPacketsOut != 1 {
			t.Errorf("rtcp: a %+v\nb %+v", sa, sb)
		}
		if sa.Dropped() != 0 || sb.Dropped() != 0 {
			t.Errorf("dropped: a %d, b %d", sa.Dropped(), sb.Dropped())
		}
	})
}

func TestRelayLatching(t *testing.T) {
	payload := []byte{1, 2, 3, 4}

	t.Run("a phone behind NAT is answered at the address it sends from, not its SDP address", func(t *testing.T) {
		checkGoroutines(t)
		c := newCall(t)
		c.a.SetRemote(netip.MustParseAddrPort("192.168.1.10:4000")) // the private address in its SDP
		c.a.SetSignalingSource(loopback)                            // its INVITE came from its NAT
		nat := newPhone(t)
		for range latchRun { // strict latching: a run of packets in sequence
			nat.sendRTP(c.a.Addr(), 0, payload)
			c.pb.recvRTP()
		}
		if !c.a.Latched() || c.a.Remote() != nat.addr() {
			t.Fatalf("latched %v to %v, want %v", c.a.Latched(), c.a.Remote(), nat.addr())
		}
		c.pb.sendRTP(c.b.Addr(), 0, payload)
		nat.recvRTP()
	})

	t.Run("after the latch window a third address is dropped as a hijack", func(t *testing.T) {
		checkGoroutines(t)
		c := newCall(t, WithLatchWindow(0))
		c.pa.sendRTP(c.a.Addr(), 0, payload)
		c.pb.recvRTP()
		attacker := newPhone(t)
		attacker.sendRTP(c.a.Addr(), 0, []byte("evil"))
		c.pa.sendRTP(c.a.Addr(), 0, payload)
		// The leg reads in order: had the attacker's packet passed, it
		// would arrive first.
		if got := c.pb.recvRTP(); got.SSRC != c.pa.ssrc {
			t.Fatalf("B got the attacker's packet")
		}
		if s := c.a.Stats(); s.Foreign != 1 || s.RTPPacketsIn != 2 {
			t.Errorf("stats %+v, want 1 foreign and 2 in", s)
		}
		c.pb.sendRTP(c.b.Addr(), 0, payload)
		c.pa.recvRTP() // replies still go to the latched phone
	})

	t.Run("within the latch window the leg moves to a new sender", func(t *testing.T) {
		checkGoroutines(t)
		c := newCall(t, WithLatchWindow(time.Hour))
		c.pa.sendRTP(c.a.Addr(), 0, payload)
		c.pb.recvRTP()
		moved := newPhone(t)
		// Strict latching: the new sender's packets are refused until its
		// run is long enough to take the latch; that one passes.
		for range latchRun {
			moved.sendRTP(c.a.Addr(), 0, payload)
		}
		if got := c.pb.recvRTP(); got.SequenceNumber != moved.seq-1 {
			t.Fatalf("B got packet %d of the new sender, want its last, %d", got.SequenceNumber, moved.seq-1)
		}
		if c.a.Remote() != moved.addr() {
			t.Fatalf("remote %v, want %v", c.a.Remote(), moved.addr())
		}
		if s := c.a.Stats(); s.Latches != 2 || s.Foreign != 0 || s.Refused != latchRun-1 {
			t.Errorf("stats %+v", s)
		}
	})

	t.Run("SetRemote after a re-INVITE opens the window again", func(t *testing.T) {
		checkGoroutines(t)
		c := newCall(t, WithLatchWindow(time.Hour))
		c.pa.sendRTP(c.a.Addr(), 0, payload)
		c.pb.recvRTP()
		c.a.latchUntil.Store(0) // the window has passed
		moved := newPhone(t)
		moved.sendRTP(c.a.Addr(), 0, payload)
		c.pa.sendRTP(c.a.Addr(), 0, payload)
		if got := c.pb.recvRTP(); got.SSRC != c.pa.ssrc {
			t.Fatal("a foreign sender passed after the window")
		}
		c.a.SetRemote(moved.addr())
		moved.sendRTP(c.a.Addr(), 0, payload)
		if got := c.pb.recvRTP(); got.SSRC != moved.ssrc {
			t.Fatal("the moved phone was not accepted after SetRemote")
		}
		if c.a.Remote() != moved.addr() {
			t.Errorf("remote %v, want %v", c.a.Remote(), moved.addr())
		}
	})

	t.Run("SetRemote with the same SDP address keeps the NAT latch", func(t *testing.T) {
		checkGoroutines(t)
		c := newCall(t)
		sdpAddr := netip.MustParseAddrPort("127.0.0.1:9")
		c.a.SetRemote(sdpAddr)
		nat := newPhone(t)
		for range latchRun {
			nat.sendRTP(c.a.Addr(), 0, payload)
			c.pb.recvRTP()
		}
		c.a.SetRemote(sdpAddr) // a re-INVITE for hold, same SDP address
		if !c.a.Latched() || c.a.Remote() != nat.addr() {
			t.Errorf("latch lost: %v %v", c.a.Latched(), c.a.Remote())
		}
	})

	t.Run("packets for a party with no address yet are counted undeliverable", func(t *testing.T) {
		checkGoroutines(t)
		pool := newTestPool(t, 2)
		a, b := must(pool.Allocate()), must(pool.Allocate())
		pa := newPhone(t)
		a.SetRemote(pa.addr())
		r := must(NewRelay(a, b))
		defer r.Close()
		if err := r.Start(); err != nil {
			t.Fatal(err)
		}
		pa.sendRTP(a.Addr(), 0, payload)
		waitFor(t, "the drop", func() bool { return b.Stats().Undeliverable == 1 })
		if a.Stats().RTPPacketsIn != 1 {
			t.Errorf("a in = %d", a.Stats().RTPPacketsIn)
		}
	})

	t.Run("packets that are not RTP neither latch nor pass", func(t *testing.T) {
		checkGoroutines(t)
		c := newCall(t, WithLatchWindow(0))
		junk := newPhone(t)
		junk.sendRaw(c.a.Addr(), []byte("GET / HTTP/1.0\r\n\r\n"))
		junk.sendRaw(rtcpAddr(c.a), []byte{0x80, 0x00, 0, 0}) // RTP on the RTCP port
		c.pa.sendRTP(c.a.Addr(), 0, payload)
		if got := c.pb.recvRTP(); got.SSRC != c.pa.ssrc {
			t.Fatal("junk passed")
		}
		waitFor(t, "the drops", func() bool { return c.a.Stats().Invalid == 2 })
		if c.a.Remote() != c.pa.addr() {
			t.Errorf("latched to %v", c.a.Remote())
		}
	})
}

func TestRelayTaps(t *testing.T) {
	checkGoroutines(t)
	c := newCall(t)
	type seen struct {
		dir     Direction
		pt      uint8
		seq     uint16
		ts      uint32
		payload string
	}
	var mu sync.Mutex
	var got []seen
	remove := c.relay.AddTap(TapFunc(func(dir Direction, pkt *rtp.Packet) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, seen{dir: dir, pt: pkt.PayloadType, seq: pkt.SequenceNumber, ts: pkt.Timestamp, payload: string(pkt.Payload)})
	}))
	c.pa.sendRTP(c.a.Addr(), 0, []byte("from a"))
	c.pb.recvRTP()
	c.pb.sendRTP(c.b.Addr(), 101, []byte("from b"))
	c.pa.recvRTP()
	waitFor(t, "the taps", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 2 })
	remove()
	c.pa.sendRTP(c.a.Addr(), 0, []byte("untapped"))
	c.pb.recvRTP()
	c.pb.sendRTP(c.b.Addr(), 0, []byte("untapped"))
	c.pa.recvRTP()

	mu.Lock()
	defer mu.Unlock()
	want := []seen{
		{dir: FromA, pt: 0, seq: c.pa.seq - 2, ts: c.pa.ts - 320, payload: "from a"},
		{dir: FromB, pt: 101, seq: c.pb.seq - 2, ts: c.pb.ts - 320, payload: "from b"},
	}
	if len(got) != len(want) {
		t.Fatalf("tap saw %d packets, want %d (removed tap still called?)", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("packet %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestRelayLifecycle(t *testing.T) {
	t.Run("a leg cannot join two relays", func(t *testing.T) {
		pool := newTestPool(t, 4)
		a, b, c := must(pool.Allocate()), must(pool.Allocate()), must(pool.Allocate())
		r := must(NewRelay(a, b))
		defer r.Close()
		defer c.Close()
		_, err := NewRelay(c, a)
		wantErr(t, err, ErrLegInUse)
		_, err = NewRelay(c, c)
		wantErr(t, err, ErrLegInUse)
		// c was not left claimed by the failed attempt
		r2 := must(NewRelay(c, must(pool.Allocate())))
		r2.Close()
	})
	t.Run("a closed leg cannot join a relay", func(t *testing.T) {
		pool := newTestPool(t, 2)
		a, b := must(pool.Allocate()), must(pool.Allocate())
		defer b.Close()
		a.Close()
		_, err := NewRelay(a, b)
		wantErr(t, err, ErrClosed)
	})
	t.Run("closing a relay returns both legs' ports and stops its goroutines", func(t *testing.T) {
		checkGoroutines(t)
		pool := newTestPool(t, 2)
		for range 20 {
			r := must(NewRelay(must(pool.Allocate()), must(pool.Allocate())))
			if err := r.Start(); err != nil {
				t.Fatal(err)
			}
			r.Answered()
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if err := r.Close(); err != nil {
				t.Fatalf("second close: %v", err)
			}
			wantErr(t, r.Start(), ErrClosed)
		}
		if pool.Available() != pool.Size() {
			t.Errorf("available %d of %d", pool.Available(), pool.Size())
		}
	})
}

func TestMediaTimeout(t *testing.T) {
	t.Run("a silent answered leg times out and the relay reports it", func(t *testing.T) {
		checkGoroutines(t)
		c := newCall(t, WithMediaTimeout(20*time.Millisecond))
		c.relay.Answered()
		select {
		case <-c.relay.TimedOut():
		case <-time.After(hangTimeout):
			t.Fatal("no media timeout")
		}
		select {
		case <-c.a.TimedOut():
		case <-c.b.TimedOut():
		default:
			t.Fatal("no leg reports the timeout")
		}
	})

	start := time.Unix(1000, 0)
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	type step struct {
		at      int // ms after arming
		packets bool
		hold    *bool
		want    bool
	}
	on, off := true, false
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "no RTP for the timeout fires", steps: []step{{at: 500}, {at: 999}, {at: 1000, want: true}}},
		{name: "RTP arriving restarts the count", steps: []step{{at: 900, packets: true}, {at: 1500}, {at: 1899}, {at: 1900, want: true}}},
		{name: "a leg on hold never times out", steps: []step{{at: 10, hold: &on}, {at: 5000}, {at: 60000}}},
		{name: "after resuming the count starts again", steps: []step{{at: 10, hold: &on}, {at: 5000, hold: &off}, {at: 5999}, {at: 6000, want: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &Leg{timeout: time.Second, lastActive: start}
			for _, s := range tt.steps {
				if s.packets {
					l.seen.Store(true)
				}
				if s.hold != nil {
					l.SetHold(*s.hold)
				}
				if got := l.checkTimeout(at(s.at)); got != s.want {
					t.Fatalf("at %d ms: timed out %v, want %v", s.at, got, s.want)
				}
			}
		})
	}
}

func TestDetach(t *testing.T) {
	payload := []byte{1, 2, 3, 4}
	t.Run("a transfer keeps the caller's latched leg and relays it to a new one", func(t *testing.T) {
		checkGoroutines(t)
		pool := newTestPool(t, 3)
		a, b, c := must(pool.Allocate()), must(pool.Allocate()), must(pool.Allocate())
		pa, pb, pc := newPhone(t), newPhone(t), newPhone(t)
		a.SetRemote(netip.MustParseAddrPort("127.0.0.1:9")) // behind NAT: latching finds pa
		b.SetRemote(pb.addr())
		c.SetRemote(pc.addr())
		first := must(NewRelay(a, b))
		if err := first.Start(); err != nil {
			t.Fatal(err)
		}
		first.Answered()
		for range latchRun { // strict latching: a run of packets in sequence
			pa.sendRTP(a.Addr(), 0, payload)
			pb.recvRTP()
		}

		da, db, err := first.Detach()
		if err != nil || da != a || db != b {
			t.Fatalf("detach: %v", err)
		}
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		db.Close() // the transferor leaves
		second := must(NewRelay(a, c))
		defer second.Close()
		if err := second.Start(); err != nil {
			t.Fatal(err)
		}
		pa.sendRTP(a.Addr(), 0, payload)
		if got := pc.recvRTP(); got.SSRC != pa.ssrc {
			t.Fatalf("the new party got %v", got.Header)
		}
		pc.sendRTP(c.Addr(), 0, payload)
		if got := pa.recvRTP(); got.SSRC != pc.ssrc {
			t.Fatalf("the caller got %v", got.Header)
		}
		if s := a.Stats(); s.RTPPacketsIn != latchRun+1 || s.RTPPacketsOut != 1 || s.Latches != 1 {
			t.Errorf("the caller's leg counts on across relays: %+v", s)
		}
		if pool.InUse() != 2 {
			t.Errorf("%d legs in use, want 2", pool.InUse())
		}
		_, _, err = first.Detach()
		wantErr(t, err, ErrClosed)
	})

	t.Run("a lead who heard a prompt is bridged to an agent", func(t *testing.T) {
		checkGoroutines(t)
		pool := newTestPool(t, 2)
		lead, agent := must(pool.Allocate()), must(pool.Allocate())
		pl, pg := newPhone(t), newPhone(t)
		lead.SetRemote(pl.addr())
		agent.SetRemote(pg.addr())
		ep := must(NewEndpoint(lead, PayloadPCMU))
		if err := ep.Start(); err != nil {
			t.Fatal(err)
		}
		if err := ep.Play(t.Context(), GenerateBeep()[:160]); err != nil {
			t.Fatal(err)
		}
		pl.recvRTP()
		leg, err := ep.Detach()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := <-ep.Digits(); ok {
			t.Error("Digits still open after Detach")
		}
		wantErr(t, ep.Play(t.Context(), GenerateBeep()), ErrClosed)
		r := must(NewRelay(agent, leg))
		defer r.Close()
		if err := r.Start(); err != nil {
			t.Fatal(err)
		}
		pl.sendRTP(lead.Addr(), 0, payload)
		if got := pg.recvRTP(); got.SSRC != pl.ssrc {
			t.Fatalf("the agent got %v", got.Header)
		}
		if err := ep.Close(); err != nil {
			t.Fatal(err)
		}
		pg.sendRTP(agent.Addr(), 0, payload) // the lead's leg was not closed by ep.Close
		pl.recvRTP()
	})

	t.Run("the pool adds up the counters of open and closed legs", func(t *testing.T) {
		checkGoroutines(t)
		c := newCall(t)
		c.pa.sendRTP(c.a.Addr(), 0, payload)
		c.pb.recvRTP()
		c.pb.sendRTP(c.b.Addr(), 0, payload)
		c.pa.recvRTP()
		pool := c.a.pool
		open := pool.Stats()
		c.relay.Close()
		closed := pool.Stats()
		if open != closed || closed.RTPPacketsIn != 2 || closed.RTPPacketsOut != 2 || closed.RTPBytesIn != 32 {
			t.Errorf("open %+v\nclosed %+v", open, closed)
		}
	})
}
