package media

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/pion/rtp"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// hangTimeout only keeps a broken test from hanging; no test relies on it
// for its result.
const hangTimeout = 5 * time.Second

// newTestPool returns a pool of pairs port pairs on 127.0.0.1, in a range
// below the ephemeral ports that was free when the test started.
func newTestPool(t testing.TB, pairs int, opts ...PoolOption) *Pool {
	t.Helper()
	return newTestPoolFrom(t, 20000, pairs, opts...)
}

// newTestPoolFrom is newTestPool in the 10,000 ports from low.
func newTestPoolFrom(t testing.TB, low, pairs int, opts ...PoolOption) *Pool {
	t.Helper()
	for range 50 {
		base := low + 2*rand.IntN(5000-pairs)
		if !rangeFree(base, base+2*pairs-1) {
			continue
		}
		p, err := NewPool(loopback, base, base+2*pairs-1, opts...)
		if err != nil {
			t.Fatalf("NewPool: %v", err)
		}
		return p
	}
	t.Fatal("no free port range found")
	return nil
}

func rangeFree(lo, hi int) bool {
	var conns []*net.UDPConn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for port := lo; port <= hi; port++ {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			return false
		}
		conns = append(conns, c)
	}
	return true
}

// phone is a party's RTP socket on loopback.
type phone struct {
	t    testing.TB
	conn *net.UDPConn
	seq  uint16
	ts   uint32
	ssrc uint32
}

func newPhone(t testing.TB) *phone {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatalf("listen phone: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return &phone{t: t, conn: c, ssrc: rand.Uint32(), seq: 100, ts: 1000}
}

func (p *phone) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// sendRTP sends one 20 ms packet of payload type pt to dst.
func (p *phone) sendRTP(dst netip.AddrPort, pt uint8, payload []byte) {
	p.t.Helper()
	pkt := p.packet(payload)
	pkt.PayloadType = pt
	p.sendRaw(dst, mustMarshal(p.t, pkt))
}

// packet returns the phone's next PCMU packet.
func (p *phone) packet(payload []byte) *rtp.Packet {
	pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: p.seq, Timestamp: p.ts, SSRC: p.ssrc}, Payload: payload}
	p.seq++
	p.ts += 160
	return pkt
}

func (p *phone) sendRaw(dst netip.AddrPort, b []byte) {
	p.t.Helper()
	if _, err := p.conn.WriteToUDPAddrPort(b, dst); err != nil {
		p.t.Fatalf("phone send: %v", err)
	}
}

// recv reads one datagram or fails the test after hangTimeout.
func (p *phone) recv() ([]byte, netip.AddrPort) {
	p.t.Helper()
	buf := make([]byte, 2048)
	_ = p.conn.SetReadDeadline(time.Now().Add(hangTimeout))
	n, src, err := p.conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		p.t.Fatalf("phone recv: %v", err)
	}
	return buf[:n], src
}

func (p *phone) recvRTP() *rtp.Packet {
	p.t.Helper()
	b, _ := p.recv()
	var pkt rtp.Packet
	if err := pkt.Unmarshal(b); err != nil {
		p.t.Fatalf("phone got a non-RTP packet: %v", err)
	}
	return &pkt
}

func mustMarshal(t testing.TB, pkt *rtp.Packet) []byte {
	t.Helper()
	b, err := pkt.Marshal()
	if err != nil {
		t.Fatalf("marshal rtp: %v", err)
	}
	return b
}

// rtcpRR is a minimal RTCP receiver report without report blocks.
func rtcpRR(ssrc uint32) []byte {
	return []byte{0x80, 201, 0, 1, byte(ssrc >> 24), byte(ssrc >> 16), byte(ssrc >> 8), byte(ssrc)}
}

// rtcpAddr returns the RTCP address of a leg.
func rtcpAddr(l *Leg) netip.AddrPort { return netip.AddrPortFrom(l.Addr().Addr(), l.Addr().Port()+1) }

// checkGoroutines fails the test if, after cleanups, more goroutines run
// than before it (waiting a little for exiting ones).
func checkGoroutines(t *testing.T) {
	t.Helper()
	if _, err := pickReactor(); err != nil { // the reactors live for good
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(hangTimeout)
		for {
			now := runtime.NumGoroutine()
			if now <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				n := runtime.Stack(buf, true)
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, now, buf[:n])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// waitFor polls cond until it holds, failing after hangTimeout.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hangTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}
