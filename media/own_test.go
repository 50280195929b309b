package media

import (
	"net/netip"
	"testing"
)

func TestCheckRemoteRefusesTheSwitchsOwnPorts(t *testing.T) {
	public := netip.MustParseAddr("192.0.2.10")
	sipIP := netip.MustParseAddr("192.0.2.11")
	tests := []struct {
		name   string
		poolIP netip.Addr
		opts   []PoolOption
		remote string
		loop   bool
	}{
		{"the pool's IP, first port", public, nil, "192.0.2.10:10000", true},
		{"the pool's IP, last port", public, nil, "192.0.2.10:10999", true},
		{"the pool's IP below the range", public, nil, "192.0.2.10:9999", false},
		{"the pool's IP above the range", public, nil, "192.0.2.10:11000", false},
		{"another host in the range", public, nil, "192.0.2.99:10000", false},
		{"hold (0.0.0.0)", public, nil, "0.0.0.0:10000", false},
		{"the SIP listen address", public, []PoolOption{WithOwnAddresses(sipIP)}, "192.0.2.11:10500", true},
		{"a v4-mapped v6 form of the pool's IP", public, nil, "[::ffff:192.0.2.10]:10002", true},
		{"loopback when the pool is on loopback", loopback, nil, "127.0.0.1:10002", true},
		{"another loopback address when the pool is on loopback", loopback, nil, "127.0.0.2:10002", true},
		{"loopback when the pool is not", public, nil, "127.0.0.1:10002", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPool(tt.poolIP, 10000, 10999, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			err = p.CheckRemote(netip.MustParseAddrPort(tt.remote))
			if tt.loop {
				wantErr(t, err, ErrMediaLoop)
			} else if err != nil {
				t.Errorf("refused: %v", err)
			}
		})
	}
}

func TestRelayNeverSendsToItsOwnPorts(t *testing.T) {
	payload := []byte{1, 2, 3, 4}
	for _, host := range []string{"127.0.0.1", "127.0.0.2"} {
		t.Run("a party whose SDP points at the other leg's port, on "+host, func(t *testing.T) {
			checkGoroutines(t)
			c := newCall(t)
			c.pa.sendRTP(c.a.Addr(), 0, payload) // A latches, B gets it
			c.pb.recvRTP()
			loop := netip.AddrPortFrom(netip.MustParseAddr(host), c.b.Addr().Port())
			c.b.SetRemote(loop) // B's "answer" points at B's own port
			c.pa.sendRTP(c.a.Addr(), 0, payload)
			waitFor(t, "the drop", func() bool { return c.b.Stats().Undeliverable == 1 })
			if s := c.b.Stats(); s.RTPPacketsIn != 0 || s.RTPPacketsOut != 1 {
				t.Errorf("B %+v: the relay sent to its own port", s)
			}
		})
	}

	t.Run("a packet from one of the switch's own ports is refused", func(t *testing.T) {
		checkGoroutines(t)
		pool := newTestPool(t, 3)
		a, b, other := must(pool.Allocate()), must(pool.Allocate()), must(pool.Allocate())
		defer other.Close()
		a.SetRemote(other.Addr()) // even when the SDP says so
		r := must(NewRelay(a, b))
		defer r.Close()
		if err := r.Start(); err != nil {
			t.Fatal(err)
		}
		// A loop: a packet that another leg of the switch sent.
		sa := newSockaddr(a.Addr(), false)
		raw := mustMarshal(t, newPhone(t).packet(payload))
		if err := other.rtp.sock.sendTo(raw, &sa); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the refusal", func() bool { return a.Stats().Refused == 1 })
		if a.Latched() || a.Stats().RTPPacketsIn != 0 {
			t.Errorf("a packet from an own port passed: %+v", a.Stats())
		}
	})
}
