package sip

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// startGate serves a gate on a loopback port; accepted connections come
// out of the returned channel.
func startGate(t *testing.T, limits tcpLimits, inUse func(string) bool) (*tcpGate, <-chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if inUse == nil {
		inUse = func(string) bool { return false }
	}
	g := newTCPGate(ln, limits, inUse, &edgeWatch{metrics: newMetrics(newRegistrar(), nil)})
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := g.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	t.Cleanup(func() { g.Close() })
	return g, accepted
}

// dialGate connects from source; a refused connection's reset may
// already fail the connect, so only an accepted one must succeed.
func dialGate(t *testing.T, g *tcpGate, source string, mustConnect bool) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}}
	c, err := d.Dial("tcp", g.Addr().String())
	if err != nil {
		if mustConnect {
			t.Fatal(err)
		}
		return nil
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitUntil polls cond; the test's own timeout bounds the wait.
func waitUntil(cond func() bool) {
	for !cond() {
		time.Sleep(time.Millisecond)
	}
}

func gaugeValue(t *testing.T, g prometheus.Gauge) float64 {
	t.Helper()
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetGauge().GetValue()
}

func TestTCPGateCaps(t *testing.T) {
	g, accepted := startGate(t, tcpLimits{readTimeout: time.Hour, idleTimeout: time.Hour, maxPerSource: 2, maxConns: 3}, nil)
	m := g.watch.metrics
	refused := func(cap string) float64 { return counterValue(t, m.TCPRefused.WithLabelValues(cap)) }
	steps := []struct {
		source    string
		refusedBy string // "" : accepted
	}{
		{"127.0.0.1", ""},
		{"127.0.0.1", ""},
		{"127.0.0.1", tcpOverSourceCap},
		{"127.0.0.2", ""},
		{"127.0.0.2", tcpOverTotalCap},
		{"127.0.0.3", tcpOverTotalCap},
	}
	var held []net.Conn
	for i, s := range steps {
		before := refused(s.refusedBy)
		dialGate(t, g, s.source, s.refusedBy == "")
		if s.refusedBy == "" {
			held = append(held, <-accepted)
		} else {
			waitUntil(func() bool { return refused(s.refusedBy) == before+1 })
		}
		if open := gaugeValue(t, m.TCPOpen); open != float64(len(held)) {
			t.Fatalf("step %d: %v open, want %d", i, open, len(held))
		}
	}
	// A connection that ends makes room, for its own source too, and
	// closing it twice frees one place only.
	held[0].Close()
	held[0].Close()
	waitUntil(func() bool { return gaugeValue(t, m.TCPOpen) == 2 })
	dialGate(t, g, "127.0.0.1", true)
	<-accepted
	before := refused(tcpOverTotalCap)
	dialGate(t, g, "127.0.0.3", false)
	waitUntil(func() bool { return refused(tcpOverTotalCap) == before+1 })
}

// readAll reads a gated connection as sipgo does, until an error.
func readAll(c net.Conn) (string, error) {
	var got []byte
	buf := make([]byte, 512)
	for {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return string(got), err
		}
	}
}

func TestTCPGateTimeouts(t *testing.T) {
	const options = "OPTIONS sip:x SIP/2.0\r\nContent-Length: 2\r\n\r\nhi"
	tests := []struct {
		name     string
		send     string
		inUseFor int    // idle checks that find the connection in use
		closedBy string // the timeout that ends it
		checks   int    // in-use checks made
	}{
		{name: "nothing sent: the first message is awaited for the read timeout", send: "", closedBy: tcpReadTimeout},
		{name: "half a message: closed by the read timeout", send: "INVITE sip:1002@x SIP/2.0\r\nVia: SIP/2.0/TCP", closedBy: tcpReadTimeout},
		{name: "keepalives only: no message came", send: "\r\n\r\n", closedBy: tcpReadTimeout},
		{name: "a message, then quiet: closed as idle", send: options, closedBy: tcpIdleTimeout, checks: 1},
		{name: "a message, then half of another", send: options + "BYE sip:x SIP/2.0\r\n", closedBy: tcpReadTimeout},
		{name: "in use for a while, then not", send: options, inUseFor: 3, closedBy: tcpIdleTimeout, checks: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var checks atomic.Int32
			var remote atomic.Value
			inUse := func(r string) bool {
				remote.Store(r)
				return int(checks.Add(1)) <= tt.inUseFor
			}
			g, accepted := startGate(t, tcpLimits{readTimeout: 20 * time.Millisecond, idleTimeout: 20 * time.Millisecond, maxPerSource: 5, maxConns: 5}, inUse)
			peer := dialGate(t, g, "127.0.0.1", true)
			fmt.Fprint(peer, tt.send)
			conn := <-accepted
			got, err := readAll(conn)
			conn.Close() // as sipgo does when a read ends
			if !errors.Is(err, io.EOF) {
				t.Fatalf("read ended with %v, want io.EOF (sipgo logs anything else as an error)", err)
			}
			if got != tt.send {
				t.Fatalf("read %q, want %q", got, tt.send)
			}
			if n := int(checks.Load()); n != tt.checks {
				t.Errorf("%d in-use checks, want %d", n, tt.checks)
			}
			if tt.checks > 0 && remote.Load() != peer.LocalAddr().String() {
				t.Errorf("checked %v, want the peer's address %s", remote.Load(), peer.LocalAddr())
			}
			for _, reason := range []string{tcpReadTimeout, tcpIdleTimeout} {
				want := 0.0
				if reason == tt.closedBy {
					want = 1
				}
				if got := counterValue(t, g.watch.metrics.TCPClosed.WithLabelValues(reason)); got != want {
					t.Errorf("closed by %s: %v, want %v", reason, got, want)
				}
			}
			// The peer sees the close.
			if _, err := peer.Read(make([]byte, 1)); err == nil {
				t.Error("the peer's connection is still open")
			}
		})
	}
}

// sipgo stops serving TCP for good when Accept fails, so only a closed
// listener or a lasting failure may end the gate's Accept.
func TestTemporaryAcceptErrors(t *testing.T) {
	opErr := func(errno error) error {
		return &net.OpError{Op: "accept", Net: "tcp", Err: &os.SyscallError{Syscall: "accept4", Err: errno}}
	}
	tests := []struct {
		err       error
		temporary bool
	}{
		{opErr(syscall.EMFILE), true},
		{opErr(syscall.ENFILE), true},
		{opErr(syscall.ECONNABORTED), true},
		{opErr(syscall.ENOBUFS), true},
		{net.ErrClosed, false},
		{opErr(syscall.EINVAL), false},
	}
	for _, tt := range tests {
		if got := isTemporaryAcceptError(tt.err); got != tt.temporary {
			t.Errorf("%v: temporary %v, want %v", tt.err, got, tt.temporary)
		}
	}
}
