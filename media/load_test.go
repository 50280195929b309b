package media

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// BenchmarkRelayLoad runs 1,000 anchored calls at once (MEDIA_LOAD_CALLS
// changes that), each party sending a 20 ms PCMU packet every 20 ms:
// 100,000 packets a second through the relay, in rounds of 20 ms.
// The phones run in a child process (this test binary again, as
// TestLoadPhones), as they would on other machines; the legs learn their
// addresses by latching. It reports the loss and the percentiles of the
// latency from send to receive, which includes the phones' own socket
// hops and shares the two cores with them, so it is pessimistic; the same
// phones sending to each other directly, run first, are the baseline
// (direct-*, and added-p99-µs the difference). It runs at least 250
// rounds (5 s) whatever -benchtime says:
//
//	go test -run '^$' -bench RelayLoad ./media/
func BenchmarkRelayLoad(b *testing.B) {
	if testing.Short() {
		b.Skip("a load run")
	}
	calls := loadCalls()
	rounds := max(b.N, 250) // at least 5 s, whatever -benchtime says
	pool := newTestPool(b, 2*calls, WithLogger(slog.New(slog.DiscardHandler)))
	var relays []*Relay
	var ports []string
	for range calls {
		la, lb := must(pool.Allocate()), must(pool.Allocate())
		// the phones' signalling would come from loopback, as their media
		la.SetSignalingSource(loopback)
		lb.SetSignalingSource(loopback)
		r := must(NewRelay(la, lb))
		if err := r.Start(); err != nil {
			b.Fatal(err)
		}
		relays = append(relays, r)
		ports = append(ports, strconv.Itoa(la.Port()), strconv.Itoa(lb.Port()))
	}
	defer func() {
		for _, r := range relays {
			r.Close()
		}
	}()
	phones := func(direct bool) map[string]float64 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLoadPhones$", "-test.v")
		cmd.Env = append(os.Environ(), "MEDIA_LOAD_PORTS="+strings.Join(ports, ","), "MEDIA_LOAD_ROUNDS="+strconv.Itoa(rounds))
		if direct {
			cmd.Env = append(cmd.Env, "MEDIA_LOAD_DIRECT=1")
		}
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		var result string
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "LOAD "); ok {
				result = line
			} else if t := sc.Text(); strings.Contains(t, "FAIL") || strings.Contains(t, ".go:") {
				fmt.Fprintln(os.Stderr, t) // why the phones failed
			}
		}
		if err := cmd.Wait(); err != nil || result == "" {
			b.Fatalf("phones: %v, result %q", err, result)
		}
		m := map[string]float64{}
		for _, kv := range strings.Fields(result) {
			k, v, _ := strings.Cut(kv, "=")
			m[k], _ = strconv.ParseFloat(v, 64)
		}
		return m
	}
	base := phones(true) // the baseline: the same phones sending to each other
	b.ResetTimer()
	cpu0, t0 := cpuTime(), time.Now()
	got := phones(false)
	cpu, wall := cpuTime()-cpu0, time.Since(t0)
	b.StopTimer()
	// the relay process's CPU (user+system), in cores and per packet
	b.ReportMetric(cpu.Seconds()/wall.Seconds(), "relay-cores")
	if n := got["pkts/s"] * wall.Seconds(); n > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/n, "relay-cpu-ns/pkt")
	}
	for k, v := range got {
		b.ReportMetric(v, k)
	}
	b.ReportMetric(base["p50-µs"], "direct-p50-µs")
	b.ReportMetric(base["p99-µs"], "direct-p99-µs")
	b.ReportMetric(got["p99-µs"]-base["p99-µs"], "added-p99-µs")
	var dropped uint64
	for _, r := range relays {
		dropped += r.A().Stats().Foreign + r.B().Stats().Foreign + r.A().Stats().Invalid + r.B().Stats().Invalid
	}
	b.ReportMetric(float64(dropped), "relay-dropped")
}

// TestLoadPhones is the phones' side of BenchmarkRelayLoad; it does
// nothing unless the benchmark started it. The phones are legs of this
// package, read by its reactors like the relay's: a load generator
// with a goroutine per socket costs more CPU than the relay it measures,
// and on two shared cores that cost shows up as the relay's latency.
func TestLoadPhones(t *testing.T) {
	portList := os.Getenv("MEDIA_LOAD_PORTS")
	if portList == "" {
		t.Skip("run by BenchmarkRelayLoad")
	}
	rounds, _ := strconv.Atoi(os.Getenv("MEDIA_LOAD_ROUNDS"))
	targets := strings.Split(portList, ",")
	// The relay's pool is in the 20,000s: the phones stay clear of it.
	// A's and B's phones come from two pools: in the direct run a phone
	// sends to the other's port, which must not be one of its own pool's
	// (a leg never sends to those).
	phoneLegs := make([]*Leg, len(targets))
	for side := range 2 {
		pool := newTestPoolFrom(t, 40000, (len(targets)+1-side)/2, WithLogger(slog.New(slog.DiscardHandler)), WithMediaTimeout(0), WithSocketBuffer(1<<20))
		for i := side; i < len(targets); i += 2 {
			phoneLegs[i] = must(pool.Allocate())
		}
	}
	base := time.Now()
	meter := &latencyMeter{base: base}
	var parties []*Leg
	for i, p := range targets {
		port, _ := strconv.Atoi(p)
		l := phoneLegs[i]
		l.SetRemote(netip.AddrPortFrom(loopback, uint16(port)))
		if err := l.start(meter, nil); err != nil {
			t.Fatal(err)
		}
		parties = append(parties, l)
	}
	defer func() {
		for _, l := range parties {
			l.Close()
		}
	}()
	if os.Getenv("MEDIA_LOAD_DIRECT") != "" { // the baseline: A and B talk without the relay
		for i := 0; i+1 < len(parties); i += 2 {
			a, b := parties[i], parties[i+1]
			a.SetRemote(b.Addr())
			b.SetRemote(a.Addr())
		}
	}

	// every phone says hello, in sequence, so its leg latches (strictly:
	// latchRun packets), then the measured rounds
	hello, silence := make([]byte, 172), make([]byte, 160)
	for seq := range latchRun {
		for _, p := range parties {
			pkt := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(seq - latchRun), SSRC: 1}, Payload: silence}
			n, _ := pkt.MarshalTo(hello)
			_ = p.sendRTP(hello[:n])
		}
	}
	time.Sleep(300 * time.Millisecond)
	meter.reset()
	cpu0, t0 := cpuTime(), time.Now()

	// two senders, one per core, each sending for half of the parties
	var sent atomic.Uint64
	var senders sync.WaitGroup
	for half := range 2 {
		senders.Add(1)
		go func() {
			defer senders.Done()
			mine := parties[half*len(parties)/2 : (half+1)*len(parties)/2]
			buf := make([]byte, 172)
			payload := make([]byte, 160)
			var pkt rtp.Packet
			start := time.Now()
			// Phones are not synchronized: spread each round's packets over
			// 20 slots of 1 ms.
			const slots = 20
			for round := range rounds {
				for slot := range slots {
					time.Sleep(time.Until(start.Add(time.Duration(round)*PacketTime + time.Duration(slot)*PacketTime/slots)))
					for i := slot; i < len(mine); i += slots {
						binary.BigEndian.PutUint64(payload, uint64(time.Since(base)))
						pkt.Header = rtp.Header{Version: 2, SequenceNumber: uint16(round), Timestamp: uint32(round * 160), SSRC: 1}
						pkt.Payload = payload
						n, _ := pkt.MarshalTo(buf)
						if mine[i].sendRTP(buf[:n]) == nil {
							sent.Add(1)
						}
					}
				}
			}
		}()
	}
	senders.Wait()
	time.Sleep(200 * time.Millisecond) // the last packets drain
	got := meter.received.Load()
	fmt.Printf("LOAD pkts/s=%.0f loss-%%=%.4f p50-µs=%.0f p99-µs=%.0f p99.9-µs=%.0f phones-cores=%.2f\n",
		float64(sent.Load())/float64(rounds)/PacketTime.Seconds(), 100*float64(sent.Load()-min(got, sent.Load()))/float64(sent.Load()),
		meter.percentile(0.50), meter.percentile(0.99), meter.percentile(0.999), (cpuTime()-cpu0).Seconds()/time.Since(t0).Seconds())
}

// latencyMeter is the phones' sink: a histogram of the time from send to
// receive, read from the timestamp each packet carries.
type latencyMeter struct {
	base     time.Time
	received atomic.Uint64
	hist     [latencyBuckets + 1]atomic.Uint64
}

// The histogram has 10 µs buckets up to 100 ms.
const latencyBucket, latencyBuckets = 10 * time.Microsecond, 10000

func (m *latencyMeter) onRTP(_ []byte, pkt *rtp.Packet) {
	if pkt == nil || len(pkt.Payload) < 8 {
		return
	}
	lat := time.Since(m.base) - time.Duration(binary.BigEndian.Uint64(pkt.Payload))
	m.hist[min(max(int(lat/latencyBucket), 0), latencyBuckets)].Add(1)
	m.received.Add(1)
}

func (m *latencyMeter) onRTCP([]byte) {}

func (m *latencyMeter) reset() {
	m.received.Store(0)
	for i := range m.hist {
		m.hist[i].Store(0)
	}
}

// percentile returns the latency at quantile q, in µs (the bucket's top).
func (m *latencyMeter) percentile(q float64) float64 {
	want := uint64(q * float64(m.received.Load()))
	var acc uint64
	for i := range m.hist {
		acc += m.hist[i].Load()
		if acc > want {
			return float64(time.Duration(i+1)*latencyBucket) / float64(time.Microsecond)
		}
	}
	return float64(latencyBuckets * latencyBucket / time.Microsecond)
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadCalls is the number of calls of BenchmarkRelayLoad: 1000, or
// MEDIA_LOAD_CALLS.
func loadCalls() int {
	if n, err := strconv.Atoi(os.Getenv("MEDIA_LOAD_CALLS")); err == nil && n > 0 {
		return n
	}
	return 1000
}
