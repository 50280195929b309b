package sip

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	dto "github.com/prometheus/client_model/go"
)

const newInvite = "INVITE sip:+14155550199@127.0.0.1:5060 SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n" +
	"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-0\r\n" +
	"From: <sip:1001@127.0.0.1>;tag=abc\r\n" +
	"To: <sip:+14155550199@127.0.0.1:5060>\r\n" +
	"Call-ID: call-1@127.0.0.1\r\n" +
	"CSeq: 1 INVITE\r\n" +
	"Contact: <sip:1001@127.0.0.1:5070>\r\n" +
	"Content-Length: 0\r\n\r\n"

func TestStatelessOverloadResponse(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want bool // a 503 is built
	}{
		{"a new INVITE", newInvite, true},
		{"compact header names", strings.NewReplacer("Via:", "v:", "From:", "f:", "To:", "t:", "Call-ID:", "i:").Replace(newInvite), true},
		{"a re-INVITE (To tag) is the dialog's business", strings.Replace(newInvite, "5060>\r\n", "5060>;tag=xyz\r\n", 1), false},
		{"a tag inside the To URI is not the To tag", strings.Replace(newInvite, "5060>\r\n", "5060;tag=u>\r\n", 1), true},
		{"a BYE", strings.Replace(newInvite, "INVITE sip:", "BYE sip:", 1), false},
		{"no Call-ID", strings.Replace(newInvite, "Call-ID: call-1@127.0.0.1\r\n", "", 1), false},
		{"no end of headers", strings.TrimSuffix(newInvite, "\r\n\r\n"), false},
		{"a folded header", strings.Replace(newInvite, "CSeq: 1 INVITE\r\n", "CSeq: 1\r\n INVITE\r\n", 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := statelessOverloadResponse([]byte(tt.msg), 3)
			if (res != nil) != tt.want {
				t.Fatalf("503 built: %t, want %t\n%s", res != nil, tt.want, res)
			}
			if res == nil {
				return
			}
			msg, err := sip.ParseMessage(res)
			if err != nil {
				t.Fatalf("the 503 does not parse: %v\n%s", err, res)
			}
			r, ok := msg.(*sip.Response)
			if !ok || r.StatusCode != 503 || r.GetHeader("Retry-After").Value() != "3" {
				t.Fatalf("not a 503 with Retry-After 3:\n%s", res)
			}
			// The caller matches it to its INVITE: same Vias (branch), From,
			// Call-ID, CSeq; a To tag so the ACK names the response.
			branch, _ := r.Via().Params.Get("branch")
			fromTag, _ := r.From().Params.Get("tag")
			if len(r.GetHeaders("Via")) != 2 || branch != "z9hG4bK-1" || r.CallID().Value() != "call-1@127.0.0.1" ||
				r.CSeq().SeqNo != 1 || r.CSeq().MethodName != sip.INVITE || fromTag != "abc" {
				t.Errorf("the 503 does not match its INVITE:\n%s", res)
			}
			if tag, _ := r.To().Params.Get("tag"); tag == "" {
				t.Errorf("no To tag:\n%s", res)
			}
		})
	}
}

func FuzzStatelessOverloadResponse(f *testing.F) {
	f.Add([]byte(newInvite))
	f.Add([]byte("INVITE x\r\nTo: <a>;tag=1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		res := statelessOverloadResponse(msg, 1)
		if res != nil && !strings.HasPrefix(string(res), "SIP/2.0 503 ") {
			t.Fatalf("not a 503: %q", res)
		}
	})
}

// The listener reads each datagram's arrival stamp: a new INVITE that
// waited too long while the switch is busy is answered 503 at once and never reaches sipgo; one
// answering a challenge, and anything that is not a new INVITE, goes on.
func TestUDPInviteThatWaitedTooLongIsRefused(t *testing.T) {
	sw := &Switch{admission: newAdmission(50), metrics: newMetrics(nil, nil)}
	sw.admission.inFlight.Store(25) // busy: half the limit in setup
	r := newUDPRig(t, sw)
	r.waited = maxSocketWait + time.Millisecond
	send, read, phone := r.send, r.read, r.phone

	answer := strings.Replace(newInvite, "Content-Length: 0\r\n", "Proxy-Authorization: Digest username=\"1001\"\r\nContent-Length: 0\r\n", 1)
	bye := strings.Replace(newInvite, "INVITE sip:", "BYE sip:", 1)
	send(newInvite)
	send(answer)
	send(bye)
	if got := read(); got != answer {
		t.Fatalf("sipgo read %q first, want the INVITE answering the challenge", got)
	}
	buf := make([]byte, 4096)
	n, _, err := phone.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no 503 for the late INVITE: %v", err)
	}
	if !strings.HasPrefix(string(buf[:n]), "SIP/2.0 503 ") || !strings.Contains(string(buf[:n]), "Retry-After: ") {
		t.Fatalf("the late INVITE got %q, want 503 with Retry-After", buf[:n])
	}
	if got := read(); got != bye {
		t.Fatalf("sipgo read %q, want the BYE", got)
	}
	if refused, late := counterValue(t, sw.metrics.Overload), counterValue(t, sw.metrics.OverLate); refused != 1 || late != 1 {
		t.Errorf("refused %v, late %v; want 1 and 1", refused, late)
	}

	r.waited = 0
	send(newInvite)
	if got := read(); got != newInvite {
		t.Fatalf("an INVITE read on time: sipgo read %q", got)
	}
}

// A caller retransmits an INVITE the switch has not answered in T1, which
// is when the switch is behind: the copy of an INVITE already handed to
// sipgo goes to sipgo again (its transaction absorbs it) and is not
// refused, or the caller would hang up a call the switch goes on setting
// up. A new INVITE read as late is refused.
func TestUDPRetransmittedInviteIsNotRefused(t *testing.T) {
	sw := &Switch{admission: newAdmission(1), metrics: newMetrics(nil, nil)}
	r := newUDPRig(t, sw)
	send, read, phone := r.send, r.read, r.phone

	send(newInvite)
	if got := read(); got != newInvite {
		t.Fatalf("sipgo read %q, want the INVITE", got)
	}
	slot := sw.admission.acquireFor(false) // the INVITE's call, being set up: the limit is reached
	defer slot.release()
	r.waited = 2 * maxSocketWait
	other := strings.Replace(newInvite, "call-1@", "call-2@", 1)
	send(other)
	send(newInvite) // the caller retransmits
	if got := read(); got != newInvite {
		t.Fatalf("sipgo read %q, want the retransmitted INVITE", got)
	}
	buf := make([]byte, 4096)
	n, _, err := phone.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no 503 for the new INVITE: %v", err)
	}
	if res := string(buf[:n]); !strings.HasPrefix(res, "SIP/2.0 503 ") || !strings.Contains(res, "call-2@") {
		t.Fatalf("got %q, want the 503 for the new INVITE", res)
	}
	if got := counterValue(t, sw.metrics.Overload); got != 1 {
		t.Errorf("refused %v, want 1", got)
	}
}

// udpRig is the switch's UDP listener as sipgo reads it, with a phone
// socket that sends to it and the wait each datagram is said to have had.
type udpRig struct {
	t      *testing.T
	c      *overloadConn
	phone  net.PacketConn
	server net.PacketConn
	waited time.Duration
}

func newUDPRig(t *testing.T, sw *Switch) *udpRig {
	t.Helper()
	server, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	r := &udpRig{t: t, c: newOverloadConn(server, sw), server: server}
	if r.c.udp == nil {
		t.Skip("the kernel does not stamp arrivals here")
	}
	r.c.wait = func(time.Time) time.Duration { return r.waited }
	if r.phone, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.phone.Close() })
	_ = r.phone.SetReadDeadline(time.Now().Add(10 * time.Second)) // hang guards, not thresholds
	_ = server.SetReadDeadline(time.Now().Add(10 * time.Second))
	return r
}

func (r *udpRig) send(msg string) {
	r.t.Helper()
	if _, err := r.phone.WriteTo([]byte(msg), r.server.LocalAddr()); err != nil {
		r.t.Fatal(err)
	}
}

// read is the next datagram the listener hands sipgo.
func (r *udpRig) read() string {
	r.t.Helper()
	buf := make([]byte, 4096)
	n, _, err := r.c.ReadFrom(buf)
	if err != nil {
		r.t.Fatal(err)
	}
	return string(buf[:n])
}

// statelessOverloadResponse is the 503 the listener sends for msg, or nil
// when msg is not a new INVITE it can read with certainty.
func statelessOverloadResponse(msg []byte, retryAfter int) []byte {
	var inv inviteHead
	if !inv.read(msg) {
		return nil
	}
	return inv.overloadResponse(retryAfter)
}

// Past the limit every new INVITE is refused in front of sipgo and leaves
// nothing behind: no INVITE remembered (only those handed to sipgo are),
// nothing for sipgo to parse or keep a transaction for; what a flood costs
// is the 503s, however many INVITEs it offers. Memory then grows with the
// calls admitted, not with the calls offered.
func TestUDPFloodOfRefusedInvitesLeavesNothingBehind(t *testing.T) {
	sw := &Switch{admission: newAdmission(1), metrics: newMetrics(nil, nil)}
	r := newUDPRig(t, sw)
	slot := sw.admission.acquireFor(false) // the limit is reached
	// Within the socket's default receive buffer, so that all are read.
	const flood = 100
	for i := range flood {
		r.send(strings.Replace(newInvite, "call-1@", fmt.Sprintf("flood-%d@", i), 1))
	}
	options := strings.Replace(strings.Replace(newInvite, "INVITE sip:", "OPTIONS sip:", 1), "1 INVITE", "1 OPTIONS", 1)
	r.send(options)
	if got := r.read(); got != options {
		t.Fatalf("sipgo read %q, want only the OPTIONS after the flood", got)
	}
	buf := make([]byte, 4096)
	for i := range flood {
		n, _, err := r.phone.ReadFrom(buf)
		if err != nil || !strings.HasPrefix(string(buf[:n]), "SIP/2.0 503 ") {
			t.Fatalf("answer %d: %q, %v; want a 503", i, buf[:n], err)
		}
	}
	if n := len(r.c.sent.cur) + len(r.c.sent.prev); n != 0 {
		t.Fatalf("%d refused INVITEs remembered, want none", n)
	}
	slot.release()
	r.send(newInvite)
	if got := r.read(); got != newInvite {
		t.Fatalf("sipgo read %q, want the INVITE admitted once there is room", got)
	}
	if n := len(r.c.sent.cur) + len(r.c.sent.prev); n != 1 {
		t.Fatalf("%d INVITEs remembered, want the one handed to sipgo", n)
	}
}

// sipgo makes a string of every datagram's source; the listener hands it
// the same address for every datagram from one phone, so that string is
// built once, and it is the phone's address.
func TestUDPListenerHandsOneAddressPerSource(t *testing.T) {
	sw := &Switch{admission: newAdmission(0), metrics: newMetrics(nil, nil)}
	r := newUDPRig(t, sw)
	buf := make([]byte, 4096)
	var addrs []net.Addr
	for range 2 {
		r.send("OPTIONS sip:127.0.0.1 SIP/2.0\r\n\r\n")
		_, addr, err := r.c.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, addr)
	}
	if addrs[0] != addrs[1] {
		t.Errorf("two datagrams from one phone came with two addresses (%p, %p)", addrs[0], addrs[1])
	}
	if got, want := addrs[0].String(), r.phone.LocalAddr().String(); got != want {
		t.Errorf("source %s, want the phone's %s", got, want)
	}
}

// A new INVITE is told from a re-INVITE by its To tag, in any case, with
// or without brackets around the URI (without them, the tag is taken as
// the header's: the parser judges such an INVITE). Every INVITE read is
// asked, so it must not allocate.
func TestHasTag(t *testing.T) {
	tests := []struct {
		to   string
		want bool
	}{
		{"<sip:bob@example.com>", false},
		{"<sip:bob@example.com>;tag=xyz", true},
		{"<sip:bob@example.com>;TAG=xyz", true},
		{"<sip:bob@example.com>;foo=1;Tag=xyz", true},
		{"<sip:bob@example.com;tag=u>", false},
		{"<sip:bob@example.com>;tagx=1", false},
		{"<sip:bob@example.com>;tag", false},
		{"sip:bob@example.com;tag=xyz", true},
		{`"Bob" <sip:bob@example.com> ; tag=xyz`, false},
	}
	for _, tt := range tests {
		if got := hasTag([]byte(tt.to)); got != tt.want {
			t.Errorf("hasTag(%q) = %t, want %t", tt.to, got, tt.want)
		}
	}
	to := []byte("<sip:bob@example.com>;Tag=xyz")
	if n := testing.AllocsPerRun(100, func() { _ = hasTag(to) }); n != 0 {
		t.Errorf("hasTag allocates %v times per call, want 0", n)
	}
}

// dgramSocket hides that a listener is a *net.UDPConn, as any other
// net.PacketConn sipgo could be handed: the kernel stamps nothing on it.
type dgramSocket struct{ net.PacketConn }

// The socket-wait histogram holds the waits the kernel stamped, not a
// zero for every datagram it did not: those waits are unknown.
func TestUDPWaitObservesOnlyStampedArrivals(t *testing.T) {
	for _, stamped := range []bool{false, true} {
		t.Run(fmt.Sprintf("stamped %t", stamped), func(t *testing.T) {
			sw := &Switch{admission: newAdmission(0), metrics: newMetrics(nil, nil)}
			server, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer server.Close()
			_ = server.SetReadDeadline(time.Now().Add(10 * time.Second)) // a hang guard, not a threshold
			conn := server
			if !stamped {
				conn = dgramSocket{server}
			}
			c := newOverloadConn(conn, sw)
			if stamped && c.udp == nil {
				t.Skip("the kernel does not stamp arrivals here")
			}
			phone, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer phone.Close()
			if _, err := phone.WriteTo([]byte(newInvite), server.LocalAddr()); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.ReadFrom(make([]byte, 4096)); err != nil {
				t.Fatal(err)
			}
			var m dto.Metric
			if err := sw.metrics.UDPWait.Write(&m); err != nil {
				t.Fatal(err)
			}
			want := uint64(0)
			if stamped {
				want = 1
			}
			if got := m.GetHistogram().GetSampleCount(); got != want {
				t.Errorf("waits observed %d, want %d", got, want)
			}
		})
	}
}

// Every INVITE the listener hands sipgo is read in front of it (to know a
// retransmission), so reading one reuses the listener's buffers.
func TestReadingAnInviteCostsNoAllocation(t *testing.T) {
	msg := []byte(newInvite)
	var inv inviteHead
	if !inv.read(msg) {
		t.Fatal("the INVITE is not read")
	}
	if n := testing.AllocsPerRun(100, func() { _ = inv.read(msg) }); n != 0 {
		t.Errorf("reading an INVITE allocates %v times, want 0", n)
	}
}
