package media

import (
	"net"
	"net/netip"
	"testing"
)

func TestNewPool(t *testing.T) {
	tests := []struct {
		name     string
		ip       netip.Addr
		min, max int
		want     error
		pairs    int
	}{
		{name: "a range of four ports holds two pairs", ip: loopback, min: 10000, max: 10003, pairs: 2},
		{name: "an odd first port starts at the next even one", ip: loopback, min: 10001, max: 10005, pairs: 2},
		{name: "an even last port has no RTCP port and is left out", ip: loopback, min: 10000, max: 10004, pairs: 2},
		{name: "a single port is refused", ip: loopback, min: 10000, max: 10000, want: ErrInvalidPortRange},
		{name: "a reversed range is refused", ip: loopback, min: 10010, max: 10000, want: ErrInvalidPortRange},
		{name: "port zero is refused", ip: loopback, min: 0, max: 10, want: ErrInvalidPortRange},
		{name: "a range past 65535 is refused", ip: loopback, min: 65534, max: 65536, want: ErrInvalidPortRange},
		{name: "a missing IP is refused", min: 10000, max: 10003, want: ErrInvalidAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPool(tt.ip, tt.min, tt.max)
			if tt.want != nil {
				wantErr(t, err, tt.want)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Size() != tt.pairs || p.Available() != tt.pairs {
				t.Errorf("size %d, available %d, want %d", p.Size(), p.Available(), tt.pairs)
			}
		})
	}
}

func TestPoolAllocate(t *testing.T) {
	t.Run("a leg gets an even RTP port and the RTCP port above it, both bound", func(t *testing.T) {
		p := newTestPool(t, 2)
		l := must(p.Allocate())
		defer l.Close()
		if l.Port()%2 != 0 {
			t.Errorf("RTP port %d is odd", l.Port())
		}
		if got := must(l.rtp.sock.localAddr()).Port(); int(got) != l.Port() {
			t.Errorf("RTP socket on %d, want %d", got, l.Port())
		}
		if got := must(l.rtcp.sock.localAddr()).Port(); int(got) != l.Port()+1 {
			t.Errorf("RTCP socket on %d, want %d", got, l.Port()+1)
		}
		if l.Addr() != netip.AddrPortFrom(loopback, uint16(l.Port())) {
			t.Errorf("Addr() = %v", l.Addr())
		}
	})

	t.Run("the pool runs out with ErrPoolExhausted and recovers when a leg closes", func(t *testing.T) {
		p := newTestPool(t, 2)
		a := must(p.Allocate())
		b := must(p.Allocate())
		if a.Port() == b.Port() {
			t.Fatalf("two legs share port %d", a.Port())
		}
		_, err := p.Allocate()
		wantErr(t, err, ErrPoolExhausted)
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		c, err := p.Allocate()
		if err != nil {
			t.Fatalf("allocate after release: %v", err)
		}
		if c.Port() != a.Port() {
			t.Errorf("got port %d, want the released %d", c.Port(), a.Port())
		}
		b.Close()
		c.Close()
		if p.Available() != p.Size() {
			t.Errorf("available %d of %d after closing all", p.Available(), p.Size())
		}
	})

	t.Run("many allocations and releases leak no port and no socket", func(t *testing.T) {
		p := newTestPool(t, 8)
		for round := range 200 {
			var legs []*Leg
			for range 1 + round%8 {
				legs = append(legs, must(p.Allocate()))
			}
			for _, l := range legs {
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
				_ = l.Close() // idempotent: must not return the ports twice
			}
		}
		if p.Available() != p.Size() {
			t.Fatalf("available %d of %d", p.Available(), p.Size())
		}
		// every port is bindable again: no socket was left open
		var legs []*Leg
		for range p.Size() {
			legs = append(legs, must(p.Allocate()))
		}
		for _, l := range legs {
			l.Close()
		}
	})

	t.Run("a released pair is reused last", func(t *testing.T) {
		p := newTestPool(t, 3)
		a := must(p.Allocate())
		a.Close()
		b := must(p.Allocate())
		defer b.Close()
		if b.Port() == a.Port() {
			t.Errorf("port %d reused at once while others were free", a.Port())
		}
	})

	t.Run("a port held by another program is skipped", func(t *testing.T) {
		p := newTestPool(t, 2)
		squat, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p.first + 1})
		if err != nil {
			t.Fatal(err)
		}
		defer squat.Close()
		l, err := p.Allocate()
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		if l.Port() != p.first+2 {
			t.Errorf("got port %d, want %d", l.Port(), p.first+2)
		}
		_, err = p.Allocate()
		wantErr(t, err, ErrPoolExhausted)
		if p.Available() != 1 {
			t.Errorf("the busy pair left the pool: available %d", p.Available())
		}
	})
}

func TestPoolPortsAreRandom(t *testing.T) {
	p := newTestPool(t, 64)
	var legs []*Leg
	defer func() {
		for _, l := range legs {
			l.Close()
		}
	}()
	sequential := true
	seen := map[int]bool{}
	for i := range 10 {
		l := must(p.Allocate())
		legs = append(legs, l)
		port := l.Port()
		if port < p.first || port > p.first+2*(p.pairs-1) || port%2 != 0 || seen[port] {
			t.Fatalf("port %d: out of [%d, %d], odd or repeated", port, p.first, p.first+2*(p.pairs-1))
		}
		seen[port] = true
		if port != p.first+2*i {
			sequential = false
		}
	}
	if sequential {
		t.Error("ten allocations took the range's first ports in order: guessable")
	}
	// a port freed and allocated again does not come back in turn either
	again := map[int]bool{}
	for range 10 {
		l := must(p.Allocate())
		again[l.Port()] = true
		l.Close()
	}
	if len(again) < 2 {
		t.Errorf("ten allocations after releases got %d distinct ports", len(again))
	}
}
