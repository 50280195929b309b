package e2e

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// metric reads one sample from /metrics, e.g.
// `dialtone_sip_tcp_refused_total{cap="per_source"}`; 0 when absent.
func (s *switchProc) metric(sample string) float64 {
	s.t.Helper()
	code, body := s.api("GET", "/metrics", nil)
	if code != 200 {
		s.t.Fatalf("GET /metrics: %d", code)
	}
	for line := range strings.SplitSeq(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				s.t.Fatalf("metric %s: %v", line, err)
			}
			return f
		}
	}
	return 0
}

// waitMetric polls a metric until ok says so, or fails after 20 s.
func (s *switchProc) waitMetric(sample string, ok func(float64) bool) float64 {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v := s.metric(sample)
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s stayed at %v", sample, v)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func equals(want float64) func(float64) bool { return func(v float64) bool { return v == want } }

// dialFrom opens a TCP connection to addr from a loopback address of its
// own, so the attacker is a source apart from the test's honest peers.
func dialFrom(t *testing.T, source, addr string) net.Conn {
	t.Helper()
	c, err := tryDialFrom(t, source, addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", source, err)
	}
	return c
}

// tryDialFrom is dialFrom for a connection the switch may refuse: its
// reset can come before the connect returns.
func tryDialFrom(t *testing.T, source, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	return c, nil
}

// TestTCPHalfSentConnectionsAreCappedAndClosed plays the descriptor
// exhaustion attack: one source opens connections and sends half a
// message on each. Beyond tcp_max_per_source the switch refuses them, the
// ones it took are closed after tcp_read_timeout, and a phone calling over
// TCP meanwhile gets through.
func TestTCPHalfSentConnectionsAreCappedAndClosed(t *testing.T) {
	t.Parallel()
	requireTool(t, "sipp")
	const held, attempts = 20, 30
	sw := startSwitch(t, switchOpts{SIPExtra: fmt.Sprintf("  tcp_read_timeout: 3s\n  tcp_max_per_source: %d\n  tcp_max_conns: 100", held)})
	var conns []net.Conn
	for i := range attempts {
		c, err := tryDialFrom(t, "127.0.0.2", sw.addr())
		if err != nil {
			continue // refused before the connect returned
		}
		// Writes to a refused connection may fail: the switch reset it.
		_, _ = fmt.Fprintf(c, "INVITE sip:1002@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.2:5060;branch=z9hG4bK-half-%d\r\nFrom: <sip:x@", i)
		conns = append(conns, c)
	}
	sw.waitMetric(`dialtone_sip_tcp_refused_total{cap="per_source"}`, equals(attempts-held))
	if open := sw.metric("dialtone_sip_tcp_connections"); open != held {
		t.Fatalf("%v connections open, want the %d under the cap", open, held)
	}

	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1")
	res := sw.call(t, "1001", "alice-secret", "+14155550199", 300, "-t", "t1")
	if res.code != 0 {
		t.Fatalf("call over TCP during the attack: sipp exit %d\n%s", res.code, res.out)
	}
	_ = trunk()

	// Every attacker connection ends: reset at once, or closed by the read timeout.
	for i, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
		if _, err := bufio.NewReader(c).ReadByte(); err == nil {
			t.Fatalf("connection %d got data instead of being closed", i)
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("connection %d is still open after the read timeout", i)
		}
	}
	sw.waitMetric(`dialtone_sip_tcp_closed_total{timeout="read_timeout"}`, equals(held))
	sw.waitMetric("dialtone_sip_tcp_connections", equals(0))
	if n := strings.Count(sw.log.String(), "level=ERROR"); n > 0 {
		t.Fatalf("%d ERROR lines for the attack:\n%s", n, tail(sw.log.String(), 3000))
	}
}

// TestGarbageDatagramsDoNotFloodTheLog sends 20,000 unparsable datagrams
// and 2,000 requests without a Via: the switch counts them in /metrics and
// writes a summary line per kind, not a line (with the payload) per
// datagram.
func TestGarbageDatagramsDoNotFloodTheLog(t *testing.T) {
	// Not parallel: it floods the switch, which would slow the tests beside it.
	const garbage, viaLess = 20000, 2000
	sw := startSwitch(t, switchOpts{})
	pc, err := net.ListenPacket("udp", "127.0.0.3:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	to, err := net.ResolveUDPAddr("udp", sw.addr())
	if err != nil {
		t.Fatal(err)
	}
	before := len(sw.log.String())
	for i := range garbage {
		if _, err := pc.WriteTo(fmt.Appendf(nil, "\xff\xfe garbage %d %s\r\n\r\n", i, strings.Repeat("x", 60)), to); err != nil {
			t.Fatal(err)
		}
		if i%200 == 199 {
			time.Sleep(2 * time.Millisecond) // stay within the socket's buffer: count, not loss, is tested
		}
	}
	for i := range viaLess {
		if _, err := pc.WriteTo(fmt.Appendf(nil, "OPTIONS sip:1001@127.0.0.1 SIP/2.0\r\nCall-ID: novia-%d\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", i), to); err != nil {
			t.Fatal(err)
		}
		if i%200 == 199 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	got := sw.waitMetric(`dialtone_sip_unparsable_total{transport="udp"}`, func(v float64) bool { return v >= garbage*0.95 })
	t.Logf("%v of %d garbage datagrams counted", got, garbage)
	got = sw.waitMetric("dialtone_sip_requests_dropped_total", func(v float64) bool { return v >= viaLess*0.95 })
	t.Logf("%v of %d requests without a Via counted", got, viaLess)

	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(sw.log.String(), "dropped unparsable SIP messages") || !strings.Contains(sw.log.String(), "could not handle") {
		if time.Now().After(deadline) {
			t.Fatalf("no summary line:\n%s", tail(sw.log.String()[before:], 3000))
		}
		time.Sleep(200 * time.Millisecond)
	}
	added := sw.log.String()[before:]
	if lines := strings.Count(added, "\n"); lines > 10 || len(added) > 4000 {
		t.Fatalf("the flood wrote %d log lines (%d bytes):\n%s", lines, len(added), tail(added, 3000))
	}
	if strings.Count(added, "127.0.0.3=") != 2 {
		t.Fatalf("the summaries do not name the source:\n%s", added)
	}
}

// TestOtherSIPVersionGets505 sends a SIP/7.0 INVITE: the switch answers
// 505 Version Not Supported (in SIP/2.0) instead of challenging it as an
// INVITE it understands.
func TestOtherSIPVersionGets505(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	to, err := net.ResolveUDPAddr("udp", sw.addr())
	if err != nil {
		t.Fatal(err)
	}
	local := pc.LocalAddr().String()
	for _, version := range []string{"SIP/7.0", "SIP/1.0"} {
		invite := fmt.Sprintf("INVITE sip:1002@127.0.0.1 %[1]s\r\nVia: SIP/2.0/UDP %[2]s;branch=z9hG4bK-v%[1]s;rport\r\n"+
			"From: <sip:1001@127.0.0.1>;tag=v7\r\nTo: <sip:1002@127.0.0.1>\r\nCall-ID: version-%[1]s\r\nCSeq: 1 INVITE\r\n"+
			"Contact: <sip:1001@%[2]s>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", version, local)
		if _, err := pc.WriteTo([]byte(invite), to); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				t.Fatalf("%s: no response: %v", version, err)
			}
			status, _, _ := strings.Cut(string(buf[:n]), "\r\n")
			if strings.Contains(status, " 100 ") {
				continue
			}
			if status != "SIP/2.0 505 Version Not Supported" {
				t.Fatalf("%s: got %q, want SIP/2.0 505 Version Not Supported", version, status)
			}
			break
		}
	}
}

// TestTCPIdleConnectionsCloseUnlessRegistered: with tcp_idle_timeout 1s, a
// connection that sent an OPTIONS and went quiet is closed, while a phone
// registered over its connection stays reachable through it, and a call
// over TCP outlasts the timeout (its BYE comes 2.5 s after the ACK).
func TestTCPIdleConnectionsCloseUnlessRegistered(t *testing.T) {
	t.Parallel()
	requireTool(t, "sipp")
	sw := startSwitch(t, switchOpts{SIPExtra: "  tcp_idle_timeout: 1s"})

	idle := dialFrom(t, "127.0.0.1", sw.addr())
	local := idle.LocalAddr().String()
	fmt.Fprintf(idle, "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP %[1]s;branch=z9hG4bK-idle\r\nFrom: <sip:probe@%[1]s>;tag=idle\r\n"+
		"To: <sip:127.0.0.1>\r\nCall-ID: idle-probe\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", local)

	res := sipp(t, sw.addr(), "-t", "t1", "-sf", scenario("register_quiet.xml"), "-s", "1001", "-au", "1001", "-ap", "alice-secret",
		"-key", "expires", "300", "-m", "1", "-p", strconv.Itoa(freePort(t)))
	if res.code != 0 {
		t.Fatalf("the registered phone lost its connection while quiet: sipp exit %d\n%s", res.code, res.out)
	}
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1")
	if res := sw.call(t, "1001", "alice-secret", "+14155550199", 2500, "-t", "t1"); res.code != 0 {
		t.Fatalf("a call over TCP lost its connection while up: sipp exit %d\n%s", res.code, res.out)
	}
	_ = trunk()

	_ = idle.SetReadDeadline(time.Now().Add(15 * time.Second))
	r := bufio.NewReader(idle)
	if status, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(status, "SIP/2.0 200") {
		t.Fatalf("OPTIONS: %q %v", status, err)
	}
	for {
		if _, err := r.ReadByte(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the quiet connection without a registration is still open")
			}
			break
		}
	}
	if n := sw.metric(`dialtone_sip_tcp_closed_total{timeout="idle_timeout"}`); n != 1 {
		t.Fatalf("%v connections closed as idle, want 1 (the unregistered one)", n)
	}
}

// TestGarbageOverTCPDoesNotFloodTheLog: connections that each send
// garbage are closed by the switch, counted, and not logged one by one.
func TestGarbageOverTCPDoesNotFloodTheLog(t *testing.T) {
	t.Parallel()
	const garbage = 300
	sw := startSwitch(t, switchOpts{})
	before := len(sw.log.String())
	for i := range garbage {
		c := dialFrom(t, "127.0.0.4", sw.addr())
		fmt.Fprintf(c, "\xff\xfe garbage %d\r\n\r\n", i)
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := bufio.NewReader(c).ReadByte(); err == nil {
			t.Fatal("the switch answered garbage")
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("the switch kept a connection that sent garbage")
		}
		c.Close()
	}
	sw.waitMetric(`dialtone_sip_unparsable_total{transport="tcp"}`, equals(garbage))
	if added := sw.log.String()[before:]; strings.Count(added, "\n") > 5 {
		t.Fatalf("garbage over TCP wrote %d log lines:\n%s", strings.Count(added, "\n"), tail(added, 3000))
	}
}

// TestTCPListenerSurvivesRunningOutOfFileDescriptors: with an open-files
// limit of 150, half-sent connections from several sources (each under
// its own cap) use up the descriptors. sipgo stopped serving TCP for good
// at the first failed accept; the switch must wait it out, so once the
// read timeout has closed them a call over TCP gets through.
func TestTCPListenerSurvivesRunningOutOfFileDescriptors(t *testing.T) {
	t.Parallel()
	requireTool(t, "sipp")
	sw := startSwitch(t, switchOpts{OpenFiles: 150, SIPExtra: "  tcp_read_timeout: 2s"})
	var conns []net.Conn
	for source := 2; source <= 6; source++ {
		for range 40 {
			c := dialFrom(t, fmt.Sprintf("127.0.0.%d", source), sw.addr())
			_, _ = fmt.Fprint(c, "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.9:5060")
			conns = append(conns, c)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, c := range conns {
		_ = c.SetReadDeadline(deadline)
		_, _ = bufio.NewReader(c).ReadByte() // until the switch closes it
		c.Close()
	}
	sw.waitMetric("dialtone_sip_tcp_connections", equals(0))

	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1")
	if res := sw.call(t, "1001", "alice-secret", "+14155550199", 300, "-t", "t1"); res.code != 0 {
		t.Fatalf("call over TCP after the descriptors ran out: sipp exit %d\n%s", res.code, res.out)
	}
	_ = trunk()
}
