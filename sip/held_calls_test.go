package sip

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// What a call costs the switch while it is up: the phone and the trunk run
// in a child process (this test binary again, as TestHeldCallPeers), so
// the heap and the goroutines counted here are the switch's alone, as the
// README's held-call measurement counts the switch process's RSS.

// BenchmarkHeldCall holds one anchored call per iteration up (a phone's
// INVITE with digest, through the switch to the trunk, 200, ACK, no BYE)
// and reports, with all of them up and after a collection, the switch's
// live heap (heap-B/call), goroutine stacks (stack-B/call) and goroutines
// (goroutines/call) per call, then the same once the transactions that
// set the calls up have ended (settled-*). The README's figure holds 1,000:
//
//	go test -run '^$' -bench HeldCall -benchtime 1000x ./sip/
//
// HELD_CALL_PROFILE=/tmp/held also writes the heap (/tmp/held.heap) and
// the goroutines (/tmp/held.goroutine) with the calls up, and settled
// (/tmp/held.settled.heap, ...), for go tool pprof -sample_index=inuse_space.
func BenchmarkHeldCall(b *testing.B) {
	if os.Getenv("HELD_CALL_PROFILE") != "" {
		runtime.MemProfileRate = 64 // every allocation, near enough
	}
	rig := newHeldRig(b)
	before := measureFootprint()
	held := 0
	for b.Loop() {
		if err := rig.peers.hold(1); err != nil {
			b.Fatal(err)
		}
		held++
	}
	b.StopTimer()
	report := func(after footprint, prefix string) {
		// Signed: a heap that ends smaller than it began (the rig's own
		// start-up freed meanwhile) must show as such, not wrap around.
		b.ReportMetric(float64(int64(after.heap)-int64(before.heap))/float64(held), prefix+"heap-B/call")
		b.ReportMetric(float64(int64(after.stack)-int64(before.stack))/float64(held), prefix+"stack-B/call")
		b.ReportMetric(float64(after.goroutines-before.goroutines)/float64(held), prefix+"goroutines/call")
	}
	report(measureFootprint(), "")
	writeHeldProfiles(b, "")
	// The same calls once the transactions that set them up have ended
	// (64×T1 with the rig's T1 of 50 ms, and T4 for a confirmed
	// INVITE's): what a call costs for as long as it lasts.
	time.Sleep(sip.T4 + 64*sip.T1 + time.Second)
	report(measureFootprint(), "settled-")
	writeHeldProfiles(b, ".settled")
	if err := rig.peers.drop(); err != nil {
		b.Fatal(err)
	}
}

// footprint is what the process holds, read after a collection.
type footprint struct {
	heap, stack uint64 // live heap objects, goroutine stacks in use
	goroutines  int
}

func measureFootprint() footprint {
	// Twice: finalizers queued by the first collection free their
	// objects in the second.
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return footprint{heap: ms.HeapAlloc, stack: ms.StackInuse, goroutines: runtime.NumGoroutine()}
}

// writeHeldProfiles writes the profiles HELD_CALL_PROFILE asks for.
func writeHeldProfiles(tb testing.TB, suffix string) {
	prefix := os.Getenv("HELD_CALL_PROFILE")
	if prefix == "" {
		return
	}
	for name, debug := range map[string]int{"heap": 0, "goroutine": 1} {
		f, err := os.Create(prefix + suffix + "." + name)
		if err != nil {
			tb.Fatal(err)
		}
		if err := pprof.Lookup(name).WriteTo(f, debug); err != nil {
			tb.Fatal(err)
		}
		if err := f.Close(); err != nil {
			tb.Fatal(err)
		}
	}
}

// heldRig is a switch in process with media anchored whose phone and trunk
// run in a child process.
type heldRig struct {
	sw    *Switch
	peers *heldPeers
}

func newHeldRig(tb testing.TB) *heldRig {
	tb.Helper()
	peers := startHeldPeers(tb)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// sipgo logs the late answers to retransmitted BYEs (T1 is short
	// here) to the default logger; its lines would break the output.
	prev := slog.Default()
	slog.SetDefault(quiet)
	tb.Cleanup(func() { slog.SetDefault(prev) })
	// T1 of 50 ms: the transactions end 3.2 s after a call is set up, so
	// BenchmarkHeldCall can wait for them.
	yaml := strings.Replace(fmt.Sprintf(rigConfig, peers.trunk), "  max_setup_calls:", "  t1: 50ms\n  max_setup_calls:", 1)
	sw := startRigSwitch(tb, yaml, 20000, quiet) // 5,000 calls: what -bench . holds in its second
	t1, t2, t4 := sip.T1, sip.T2, sip.T4
	tb.Cleanup(func() { sip.SetTimers(t1, t2, t4) }) // Start set sipgo's, the package's
	tb.Cleanup(func() { _ = sw.Shutdown(context.Background()) })
	if err := peers.send("SWITCH " + sw.Addr("udp")); err != nil {
		tb.Fatal(err)
	}
	return &heldRig{sw: sw, peers: peers}
}

// heldPeers drives the child process: one command line in, one answer
// line out.
type heldPeers struct {
	in    io.WriteCloser
	out   *bufio.Scanner
	trunk string // the trunk's address
}

func startHeldPeers(tb testing.TB) *heldPeers {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHeldCallPeers$", "-test.v")
	cmd.Env = append(os.Environ(), "HELD_CALL_PEERS=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = in.Close(); _ = cmd.Wait() })
	p := &heldPeers{in: in, out: bufio.NewScanner(out)}
	trunk, err := p.answer("TRUNK")
	if err != nil {
		tb.Fatal(err)
	}
	p.trunk = trunk
	return p
}

func (p *heldPeers) send(line string) error {
	_, err := fmt.Fprintln(p.in, line)
	return err
}

// answer reads the child's next answer, which starts with want; test
// output lines in between are skipped.
func (p *heldPeers) answer(want string) (string, error) {
	for p.out.Scan() {
		line := p.out.Text()
		if rest, ok := strings.CutPrefix(line, want+" "); ok {
			return rest, nil
		}
		if rest, ok := strings.CutPrefix(line, "ERR "); ok {
			return "", fmt.Errorf("peers: %s", rest)
		}
	}
	return "", fmt.Errorf("peers ended before %s: %v", want, p.out.Err())
}

// hold places n calls and keeps them up.
func (p *heldPeers) hold(n int) error {
	if err := p.send("HOLD " + strconv.Itoa(n)); err != nil {
		return err
	}
	_, err := p.answer("HELD")
	return err
}

// drop hangs every held call up.
func (p *heldPeers) drop() error {
	if err := p.send("DROP"); err != nil {
		return err
	}
	_, err := p.answer("DROPPED")
	return err
}

// TestHeldCallPeers is the phone and the trunk of BenchmarkHeldCall; it
// does nothing unless the benchmark started it. It prints its trunk's
// address, then takes commands on stdin: SWITCH addr, HOLD n, DROP.
func TestHeldCallPeers(t *testing.T) {
	if os.Getenv("HELD_CALL_PEERS") == "" {
		t.Skip("the child process of BenchmarkHeldCall")
	}
	// sipgo logs to the default logger (retransmitted answers to the
	// BYEs, say); its lines would break the benchmark's output.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	rig := &callRig{inviteSources: make(chan string, 1)}
	fmt.Printf("TRUNK %s\n", rig.startTrunk(t))
	rig.phone = startRigPhone(t)
	ctx := context.Background()
	var switchAddr string
	var held []*sipgo.DialogClientSession
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		cmd, arg, _ := strings.Cut(in.Text(), " ")
		switch cmd {
		case "SWITCH":
			switchAddr = arg
		case "HOLD":
			n, _ := strconv.Atoi(arg)
			for range n {
				d, err := rig.answeredCall(ctx, switchAddr, "+14155550199")
				if err != nil {
					fmt.Printf("ERR %v\n", err)
					return
				}
				held = append(held, d)
			}
			fmt.Printf("HELD %d\n", len(held))
		case "DROP":
			var wg sync.WaitGroup
			for _, d := range held {
				wg.Go(func() {
					byeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
					defer cancel()
					_ = d.Bye(byeCtx)
					d.Close()
				})
			}
			wg.Wait()
			held = nil
			fmt.Println("DROPPED 0")
		}
	}
}

// answeredCall places one call from the phone to number through the switch
// at switchAddr and acknowledges its answer: INVITE, the 407 answered with
// digest, 200, ACK. The caller hangs it up.
func (rig *callRig) answeredCall(ctx context.Context, switchAddr, number string) (*sipgo.DialogClientSession, error) {
	host, port, _ := net.SplitHostPort(switchAddr)
	p, _ := strconv.Atoi(port)
	to := sip.Uri{Scheme: "sip", User: number, Host: host, Port: p}
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: host}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	ct := sip.ContentTypeHeader("application/sdp")
	d, err := rig.phone.Invite(ctx, to, []byte(rigOffer), from, &ct)
	if err != nil {
		return nil, fmt.Errorf("invite: %w", err)
	}
	if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: "1001", Password: "alice-secret"}); err != nil {
		d.Close()
		return nil, fmt.Errorf("wait answer: %w", err)
	}
	if err := d.Ack(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("ack: %w", err)
	}
	return d, nil
}
