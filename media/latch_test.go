package media

import (
	"net"
	"net/netip"
	"testing"

	"github.com/pion/rtp"
)

// newStranger returns a phone on another loopback address than the
// parties', as a host that is neither in the SDP nor in the signalling.
func newStranger(t *testing.T) *phone {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 66)})
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return &phone{t: t, conn: c, ssrc: 0xbad, seq: 1}
}

func TestStrictLatching(t *testing.T) {
	payload := []byte{1, 2, 3, 4}

	t.Run("a stranger's packets before the party's neither latch nor pass, and are counted refused", func(t *testing.T) {
		checkGoroutines(t)
		c := newCall(t)
		stranger := newStranger(t)
		for range latchRun + 1 { // even a whole run in sequence
			stranger.sendRTP(c.a.Addr(), 0, []byte("evil"))
		}
		c.pa.sendRTP(c.a.Addr(), 0, payload)
		// The leg reads in order: had a stranger's packet passed, it would
		// arrive first.
		if got := c.pb.recvRTP(); got.SSRC != c.pa.ssrc {
			t.Fatalf("B got the stranger's packet")
		}
		c.pb.sendRTP(c.b.Addr(), 0, payload)
		if got := c.pa.recvRTP(); got.SSRC != c.pb.ssrc {
			t.Fatalf("the caller got %v", got.Header)
		}
		if c.a.Remote() != c.pa.addr() {
			t.Errorf("latched to %v, want the caller %v", c.a.Remote(), c.pa.addr())
		}
		if s := c.a.Stats(); s.Refused != latchRun+1 || s.RTPPacketsIn != 1 || s.Dropped() != latchRun+1 {
			t.Errorf("stats %+v, want %d refused and 1 in", s, latchRun+1)
		}
	})

	t.Run("a stranger's RTCP is refused too", func(t *testing.T) {
		checkGoroutines(t)
		c := newCall(t)
		newStranger(t).sendRaw(rtcpAddr(c.a), rtcpRR(9))
		waitFor(t, "the refusal", func() bool { return c.a.Stats().Refused == 1 })
		if c.a.rtcp.peer.Load().latched {
			t.Error("the RTCP socket latched to the stranger")
		}
	})

	t.Run("one packet from another port of the party's host passes but does not latch", func(t *testing.T) {
		checkGoroutines(t)
		c := newCall(t)
		other := newPhone(t) // same host as the SDP's: allowed, not yet proven
		other.sendRTP(c.a.Addr(), 0, payload)
		if got := c.pb.recvRTP(); got.SSRC != other.ssrc {
			t.Fatalf("B got %v", got.Header)
		}
		c.pb.sendRTP(c.b.Addr(), 0, payload)
		if got := c.pa.recvRTP(); got.SSRC != c.pb.ssrc { // still to the SDP address
			t.Fatalf("the caller got %v", got.Header)
		}
		if c.a.Latched() || c.a.Remote() != c.pa.addr() {
			t.Errorf("latched %v to %v", c.a.Latched(), c.a.Remote())
		}
	})

	t.Run("behind NAT, a run from the signalling's host latches; the private SDP address never sends", func(t *testing.T) {
		checkGoroutines(t)
		c := newCall(t)
		c.a.SetRemote(netip.MustParseAddrPort("10.1.2.3:4000"))
		c.a.SetSignalingSource(loopback)
		nat := newPhone(t)
		for i := range latchRun {
			if c.a.Latched() {
				t.Fatalf("latched after %d packets", i)
			}
			nat.sendRTP(c.a.Addr(), 0, payload)
			c.pb.recvRTP()
		}
		if c.a.Remote() != nat.addr() || !c.a.Latched() {
			t.Fatalf("latched %v to %v, want %v", c.a.Latched(), c.a.Remote(), nat.addr())
		}
		c.pb.sendRTP(c.b.Addr(), 0, payload)
		nat.recvRTP()
	})

	t.Run("without a signalled host nothing latches", func(t *testing.T) {
		checkGoroutines(t)
		pool := newTestPool(t, 2)
		a, b := must(pool.Allocate()), must(pool.Allocate())
		r := must(NewRelay(a, b))
		defer r.Close()
		if err := r.Start(); err != nil {
			t.Fatal(err)
		}
		pa := newPhone(t)
		for range latchRun {
			pa.sendRTP(a.Addr(), 0, payload)
		}
		waitFor(t, "the refusals", func() bool { return a.Stats().Refused == latchRun })
		if a.Latched() || a.Stats().RTPPacketsIn != 0 {
			t.Errorf("latched %v, %d in", a.Latched(), a.Stats().RTPPacketsIn)
		}
	})
}

func TestLearnerNeedsARunInSequence(t *testing.T) {
	x := netip.MustParseAddrPort("127.0.0.1:5000")
	y := netip.MustParseAddrPort("127.0.0.1:5002")
	type pk struct {
		src  netip.AddrPort
		ssrc uint32
		seq  uint16
	}
	tests := []struct {
		name    string
		packets []pk
		want    bool // the last packet completes the run
	}{
		{"four in sequence", []pk{{x, 1, 10}, {x, 1, 11}, {x, 1, 12}, {x, 1, 13}}, true},
		{"three are not enough", []pk{{x, 1, 10}, {x, 1, 11}, {x, 1, 12}}, false},
		{"the sequence number wraps", []pk{{x, 1, 65534}, {x, 1, 65535}, {x, 1, 0}, {x, 1, 1}}, true},
		{"a gap starts again", []pk{{x, 1, 10}, {x, 1, 11}, {x, 1, 13}, {x, 1, 14}}, false},
		{"a repeated packet starts again", []pk{{x, 1, 10}, {x, 1, 11}, {x, 1, 11}, {x, 1, 12}}, false},
		{"another SSRC starts again", []pk{{x, 1, 10}, {x, 1, 11}, {x, 2, 12}, {x, 1, 13}}, false},
		{"another source starts again", []pk{{x, 1, 10}, {x, 1, 11}, {y, 1, 12}, {x, 1, 13}}, false},
		{"a run after an interruption", []pk{{y, 1, 10}, {x, 1, 20}, {x, 1, 21}, {x, 1, 22}, {x, 1, 23}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l learner
			got := false
			for _, p := range tt.packets {
				got = l.observe(p.src, &rtp.Packet{Header: rtp.Header{SSRC: p.ssrc, SequenceNumber: p.seq}})
			}
			if got != tt.want {
				t.Errorf("run complete %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHoldKeepsTheSDPHostAllowed(t *testing.T) {
	pool := newTestPool(t, 1)
	l := must(pool.Allocate())
	defer l.Close()
	party := netip.MustParseAddrPort("192.0.2.5:4000")
	l.SetRemote(party)
	l.SetRemote(netip.MustParseAddrPort("0.0.0.0:4000")) // RFC 2543 hold
	if !l.allowed.Load().allow(party.Addr()) {
		t.Error("the held party's host may no longer latch its leg")
	}
}
