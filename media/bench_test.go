package media

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/cputime"
	"github.com/pion/rtp"
)

// A 20 ms PCMU packet: 12 bytes of header and 160 of payload.
func benchPacket(b *testing.B) []byte {
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 1, Timestamp: 160, SSRC: 1}, Payload: make([]byte, 160)}
	return mustMarshal(b, &pkt)
}

// pingPong sends n packets from src to dst through the hop under test, one
// at a time, and returns each round's time.
func pingPong(b *testing.B, src, dst *phone, to []byte, hop func() net.Addr, n int, lat []time.Duration) time.Duration {
	addr := hop().(*net.UDPAddr).AddrPort()
	buf := make([]byte, 2048)
	_ = dst.conn.SetReadDeadline(time.Now().Add(time.Minute))
	start := time.Now()
	for i := range n {
		t0 := time.Now()
		if _, err := src.conn.WriteToUDPAddrPort(to, addr); err != nil {
			b.Fatal(err)
		}
		if _, _, err := dst.conn.ReadFromUDPAddrPort(buf); err != nil {
			b.Fatalf("packet %d lost: %v", i, err)
		}
		if lat != nil {
			lat[i] = time.Since(t0)
		}
	}
	return time.Since(start)
}

// echo is the baseline: the same two socket hops as the relay (read on one
// socket, write from another) with nothing else.
func echo(b *testing.B, to *phone) (in *net.UDPConn, stop func()) {
	in = must(net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}))
	out := must(net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}))
	dst := to.addr()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, maxPacketSize)
		for {
			n, _, err := in.ReadFromUDPAddrPort(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			_, _ = out.WriteToUDPAddrPort(buf[:n], dst)
		}
	}()
	return in, func() { in.Close(); out.Close(); wg.Wait() }
}

// BenchmarkRelay measures one RTP packet from phone A through the relay to
// phone B (two socket hops, latching, counters, a tap), lock-step so the
// time per op is the added latency plus the kernel's loopback. It runs the
// plain UDP echo baseline for the same number of packets first and reports
// the ratio relay/baseline, and the relay's p99 round time.
func BenchmarkRelay(b *testing.B) {
	pool := newTestPool(b, 2, WithLogger(slog.New(slog.DiscardHandler)))
	la, lb := must(pool.Allocate()), must(pool.Allocate())
	pa, pb := newPhone(b), newPhone(b)
	la.SetRemote(pa.addr())
	lb.SetRemote(pb.addr())
	r := must(NewRelay(la, lb))
	defer r.Close()
	var tapped int
	r.AddTap(TapFunc(func(Direction, *rtp.Packet) { tapped++ })) // one reader writes it
	if err := r.Start(); err != nil {
		b.Fatal(err)
	}
	r.Answered()
	pkt := benchPacket(b)

	in, stop := echo(b, pb)
	pingPong(b, pa, pb, pkt, in.LocalAddr, 1000, nil) // warm up both paths
	pingPong(b, pa, pb, pkt, func() net.Addr { return net.UDPAddrFromAddrPort(la.Addr()) }, 1000, nil)
	baseline := pingPong(b, pa, pb, pkt, in.LocalAddr, b.N, nil)
	stop()

	lat := make([]time.Duration, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	relayed := pingPong(b, pa, pb, pkt, func() net.Addr { return net.UDPAddrFromAddrPort(la.Addr()) }, b.N, lat)
	b.StopTimer()

	slices.Sort(lat)
	b.ReportMetric(float64(baseline.Nanoseconds())/float64(b.N), "baseline-ns/op")
	b.ReportMetric(float64(relayed)/float64(baseline), "x-baseline")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	if s := lb.Stats(); s.Dropped() != 0 {
		b.Errorf("dropped %d", s.Dropped())
	}
}

// BenchmarkRelayHotPath measures what the relay adds per packet without
// the kernel: parsing, latching, counters, the tap, on one leg's sink,
// sending into a socket nobody reads.
func BenchmarkRelayHotPath(b *testing.B) {
	pool := newTestPool(b, 2, WithLogger(slog.New(slog.DiscardHandler)))
	la, lb := must(pool.Allocate()), must(pool.Allocate())
	defer la.Close()
	defer lb.Close()
	sinkPhone := newPhone(b)
	lb.SetRemote(sinkPhone.addr())
	var ts taps
	ts.add(TapFunc(func(Direction, *rtp.Packet) {}))
	f := &forwarder{dir: FromA, to: lb, taps: &ts}
	raw := benchPacket(b)
	src := newPhone(b).addr()
	la.SetRemote(src) // the party sends from its SDP address: it latches at once
	var pkt rtp.Packet
	b.ReportAllocs()
	for b.Loop() {
		if err := pkt.Unmarshal(raw); err != nil {
			b.Fatal(err)
		}
		if !la.accept(&la.rtp, src, &pkt) {
			b.Fatal("not accepted")
		}
		f.onRTP(raw, &pkt)
	}
}

// BenchmarkCallMedia is what anchoring one call's media costs the switch
// apart from its packets: two legs allocated, their remotes set, a relay
// started and answered, then closed. Other calls hold 40 % of the ports
// meanwhile, as on a switch with calls up, so the pool picks among the
// free pairs as it would there. cpu-ns/op counts the kernel's work on the
// sockets (opening, binding, polling, closing them). "fresh" opens and
// closes every leg's sockets; "idle-pairs" reuses them (WithIdlePairs),
// without the second a pair waits before reuse: the loop runs far faster
// than calls come, which would leave every pair waiting.
func BenchmarkCallMedia(b *testing.B) {
	b.Run("fresh", func(b *testing.B) {
		benchmarkCallMedia(b, newTestPoolFrom(b, 10000, 1000, WithLogger(slog.New(slog.DiscardHandler))))
	})
	b.Run("idle-pairs", func(b *testing.B) {
		pool := newTestPoolFrom(b, 10000, 1000, WithLogger(slog.New(slog.DiscardHandler)), WithIdlePairs(1000))
		pool.reuseAfter = 0
		b.Cleanup(func() { pool.Close() })
		benchmarkCallMedia(b, pool)
	})
}

func benchmarkCallMedia(b *testing.B, pool *Pool) {
	var held []*Leg
	for range 400 {
		held = append(held, must(pool.Allocate()))
	}
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	remoteA := netip.MustParseAddrPort("127.0.0.1:4000")
	remoteB := netip.MustParseAddrPort("127.0.0.1:4002")
	b.ReportAllocs()
	cpu := cputime.Process()
	for b.Loop() {
		a, err := pool.Allocate()
		if err != nil {
			b.Fatal(err)
		}
		l, err := pool.Allocate()
		if err != nil {
			b.Fatal(err)
		}
		a.SetSignalingSource(remoteA.Addr())
		a.SetRemote(remoteA)
		l.SetSignalingSource(remoteB.Addr())
		l.SetRemote(remoteB)
		r := must(NewRelay(a, l))
		if err := r.Start(); err != nil {
			b.Fatal(err)
		}
		r.Answered()
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(cputime.PerOp(cpu, b.N), "cpu-ns/op")
}
