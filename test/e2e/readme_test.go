package e2e

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The README's "Try it" commands, as written there. The test runs the
// same script with the test switch's address, so a recipe that stops
// working fails here first.
var readmeTryIt = []string{
	"examples/softphone.sh alice 1001 alice-secret 5090",
	"examples/softphone.sh bob 1002 bob-secret 5092",
	"sipp -sn uas -i 127.0.0.1 -p 5080 -rtp_echo",
}

func TestReadmeShowsTheTestedCommands(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range readmeTryIt {
		if !strings.Contains(string(readme), c) {
			t.Errorf("README.md no longer shows %q: change this test with it", c)
		}
	}
}

// scriptPhone is examples/softphone.sh running, typed at through its
// standard input as a person would.
type scriptPhone struct {
	t     *testing.T
	stdin io.WriteCloser
	log   *syncBuffer
	done  chan struct{}
}

func startScriptPhone(t *testing.T, sw *switchProc, name, ext, password string) *scriptPhone {
	t.Helper()
	requireTool(t, "baresip")
	requireTool(t, "sox")
	script, err := filepath.Abs("../../examples/softphone.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script, name, ext, password, strconv.Itoa(freePortPair(t)), sw.addr())
	cmd.Env = append(os.Environ(), "PHONES="+t.TempDir())
	p := &scriptPhone{t: t, log: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s's phone:\n%s", name, tail(p.log.String(), 3000))
		}
	})
	p.waitFor("200 OK", 10*time.Second) // registered
	return p
}

func (p *scriptPhone) typeLine(cmd string) {
	p.t.Helper()
	if _, err := fmt.Fprintln(p.stdin, cmd); err != nil {
		p.t.Fatalf("type %q: %v", cmd, err)
	}
}

func (p *scriptPhone) waitFor(s string, within time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for !strings.Contains(p.log.String(), s) {
		if time.Now().After(deadline) {
			p.t.Fatalf("the phone never said %q:\n%s", s, tail(p.log.String(), 3000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePortPair is a free port whose next port is free too: baresip binds
// its SIP port and the one above it.
func freePortPair(t *testing.T) int {
	t.Helper()
	for range 50 {
		p := freePort(t)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+1))
		if err != nil {
			continue
		}
		ln.Close()
		return p
	}
	t.Fatal("no two free ports in a row")
	return 0
}

// Two phones from the README's recipe call each other (typed /dial,
// /accept, /hangup), and a call out through the README's trunk stand-in
// outlasts the media timeout because the stand-in echoes the audio.
func TestReadmeTryIt(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{MediaExtra: "  timeout: 3s\n"})
	alice := startScriptPhone(t, sw, "alice", "1001", "alice-secret")
	bob := startScriptPhone(t, sw, "bob", "1002", "bob-secret")

	alice.typeLine("/dial 1002")
	bob.waitFor("Incoming call", 10*time.Second)
	bob.typeLine("/accept")
	alice.waitFor("Call established", 10*time.Second)
	time.Sleep(2 * time.Second)
	alice.typeLine("/hangup")
	legs := sw.cdrs(2)
	if len(legs) != 2 {
		t.Fatalf("alice to bob: %d legs: %+v", len(legs), legs)
	}
	for _, l := range legs {
		if l.Disposition != "answered" || l.BillableSecs < 2 || l.Media == nil || l.Media.PacketsIn == 0 {
			t.Fatalf("alice to bob, leg %+v", l)
		}
	}

	// The trunk stand-in, as the README starts it, on the test's trunk port.
	args := strings.Fields(strings.Replace(readmeTryIt[2], "5080", strconv.Itoa(sw.trunk), 1))[1:]
	trunk := startSipp(t, append(args, "-m", "1")...)
	alice.typeLine("/dial +14155550199")
	alice.waitFor("Call established", 10*time.Second)
	time.Sleep(5 * time.Second) // longer than media.timeout: only echoed audio keeps the call up
	alice.typeLine("/hangup")
	mustSucceed(t, "trunk stand-in", trunk)
	legs = sw.cdrs(4)
	var out *cdr
	for i := range legs {
		if legs[i].Endpoint == "trunk" {
			out = &legs[i]
		}
	}
	if out == nil || out.Disposition != "answered" || out.BillableSecs < 5 {
		t.Fatalf("the call out through the stand-in was cut or missing: %+v", legs)
	}
}
