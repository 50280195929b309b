package e2e

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPhoneCallsPublicNetworkThroughTrunk(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1")
	res := sw.call(t, "1001", "alice-secret", "+14155550199", 1200)
	if res.code != 0 {
		t.Fatalf("call: sipp exit %d\n%s", res.code, res.out)
	}
	if tr := trunk(); tr.code != 0 {
		t.Fatalf("trunk sipp exit %d\n%s", tr.code, tr.out)
	}
	legs := sw.cdrs(2)
	in, out := byDirection(t, legs)
	if in.Endpoint != "phone" || in.BillingClass != "access" || in.User != "1001" || in.Reason != "direct" {
		t.Errorf("caller leg: %+v", in)
	}
	if out.Endpoint != "trunk" || out.BillingClass != "pstn-outbound" || out.Trunk != "carrier" ||
		out.To != "+14155550199" || out.CallerID != "+14155550100" || out.ParentLegID != in.LegID {
		t.Errorf("trunk leg: %+v", out)
	}
	for _, l := range legs {
		if l.Disposition != "answered" || l.SIPCode != 200 || l.AnsweredAt == nil || l.BillableSecs < 1 || l.BillableSecs > 3 {
			t.Errorf("leg not answered as expected: %+v", l)
		}
		if l.CallID != in.CallID {
			t.Errorf("legs of one call must share the call id: %+v", legs)
		}
		if !l.CreatedAt.Equal(l.CreatedAt.Truncate(time.Millisecond)) || l.EndedAt.Location() != time.UTC {
			t.Errorf("times must be UTC with millisecond precision: %+v", l)
		}
	}
}

func TestTrunkCallsInToOwnedNumberRingsItsOwner(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	phonePort := freePort(t)
	sw.register(t, "1001", "alice-secret", phonePort)
	phone := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(phonePort), "-m", "1")
	res := sipp(t, sw.addr(), "-sf", scenario("trunk_in.xml"), "-s", "+14155550100", "-key", "caller", "+16505550123",
		"-d", "1000", "-m", "1", "-p", strconv.Itoa(sw.trunk))
	if res.code != 0 {
		t.Fatalf("trunk call: sipp exit %d\n%s", res.code, res.out)
	}
	if pr := phone(); pr.code != 0 {
		t.Fatalf("phone sipp exit %d\n%s", pr.code, pr.out)
	}
	in, out := byDirection(t, sw.cdrs(2))
	if in.Endpoint != "trunk" || in.BillingClass != "pstn-inbound" || in.PhoneNumber != "+14155550100" || in.From != "+16505550123" || in.Trunk != "carrier" {
		t.Errorf("trunk leg: %+v", in)
	}
	if out.Endpoint != "phone" || out.BillingClass != "access" || out.User != "1001" || out.ParentLegID != in.LegID {
		t.Errorf("phone leg: %+v", out)
	}
	if in.Disposition != "answered" || out.Disposition != "answered" {
		t.Errorf("dispositions: %s %s", in.Disposition, out.Disposition)
	}
}

func TestTrunkCallFromAnUnlistedAddressIsChallenged(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	// 127.0.0.2 is loopback too, but the trunk allows only 127.0.0.1: the
	// call is taken for a phone's, challenged (407), and the carrier
	// scenario, which does not authenticate, fails.
	res := sipp(t, sw.addr(), "-sf", scenario("trunk_in.xml"), "-s", "+14155550100", "-key", "caller", "+16505550123",
		"-m", "1", "-p", strconv.Itoa(freePort(t)), "-i", "127.0.0.2")
	if res.code == 0 {
		t.Fatal("a call from an address outside the trunk's sources must not be accepted without auth")
	}
}

func TestCallFailures(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{RingTimeout: "2s"})

	t.Run("an unknown target gets 404", func(t *testing.T) {
		res := sw.call(t, "1001", "alice-secret", "9999", 100)
		if res.code == 0 {
			t.Fatal("call to unknown target succeeded")
		}
		mustContain(t, res.out, "404")
	})
	t.Run("a user who is not registered gets 480", func(t *testing.T) {
		res := sw.call(t, "1001", "alice-secret", "1003", 100)
		mustContain(t, res.out, "480")
	})
	t.Run("an international call without permission gets 403 with a reason", func(t *testing.T) {
		res := sw.call(t, "1002", "bob-secret", "+442071838750", 100)
		mustContain(t, res.out, "403")
	})
	t.Run("a busy callee gives 486", func(t *testing.T) {
		callee := sw.phone(t, "1002", "bob-secret", "-sf", scenario("callee_busy.xml"), "-m", "1")
		res := sw.call(t, "1001", "alice-secret", "1002", 100)
		mustContain(t, res.out, "486")
		mustSucceed(t, "callee", callee)
	})
	t.Run("no answer within the ring timeout gives 480 and cancels the callee", func(t *testing.T) {
		callee := sw.phone(t, "1002", "bob-secret", "-sf", scenario("callee_ring.xml"), "-m", "1")
		res := sw.call(t, "1001", "alice-secret", "1002", 100)
		mustContain(t, res.out, "480")
		mustSucceed(t, "callee", callee)
	})
	t.Run("the caller hanging up while it rings cancels the callee", func(t *testing.T) {
		callee := sw.phone(t, "1002", "bob-secret", "-sf", scenario("callee_ring.xml"), "-m", "1")
		res := sipp(t, sw.addr(), "-sf", scenario("uac_cancel.xml"), "-s", "1002", "-key", "caller", "1001",
			"-au", "1001", "-ap", "alice-secret", "-m", "1", "-p", strconv.Itoa(freePort(t)))
		if res.code != 0 {
			t.Fatalf("cancel: sipp exit %d\n%s", res.code, res.out)
		}
		mustSucceed(t, "callee", callee)
	})

	// Every failure above left CDRs: check their dispositions. They are
	// the six callers' legs and the four legs to bob and carol (it used
	// to wait for an eleventh, 10 s in vain).
	want := map[string]int{} // disposition of the caller's leg -> count
	for _, c := range sw.cdrs(10) {
		if c.Direction == "inbound" {
			want[c.Disposition+"/"+strconv.Itoa(c.SIPCode)]++
		}
		if c.AnsweredAt != nil || c.BillableSecs != 0 {
			t.Errorf("an unanswered leg has answer time: %+v", c)
		}
	}
	for k, n := range map[string]int{"refused/404": 1, "refused/403": 1, "failed/480": 1, "busy/486": 1, "no-answer/480": 1, "canceled/487": 1} {
		if want[k] != n {
			t.Errorf("caller legs %s: got %d, want %d (all: %v)", k, want[k], n, want)
		}
	}
}

func TestRegistration(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{AuthFailLimit: 3})
	t.Run("a phone registers with digest auth", func(t *testing.T) {
		sw.register(t, "1001", "alice-secret", freePort(t))
		sw.register(t, "bob", "bob-secret", freePort(t))
	})
	t.Run("OPTIONS is answered", func(t *testing.T) {
		conn, err := net.Dial("udp", sw.addr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		resp := exchange(t, conn, "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP "+conn.LocalAddr().String()+";branch=z9hG4bK-opt1\r\n"+
			"From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: opt-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
		mustContain(t, resp, "SIP/2.0 200")
	})
	t.Run("a wrong password gets 403 and repeated failures block the source", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			res := sipp(t, sw.addr(), "-sf", scenario("register.xml"), "-s", "1001", "-au", "1001", "-ap", "wrong",
				"-key", "expires", "300", "-m", "1", "-p", strconv.Itoa(freePort(t)))
			if res.code == 0 {
				t.Fatal("a wrong password registered")
			}
		}
		// Now even the right password is refused from this address.
		res := sipp(t, sw.addr(), "-sf", scenario("register.xml"), "-s", "1001", "-au", "1001", "-ap", "alice-secret",
			"-key", "expires", "300", "-m", "1", "-p", strconv.Itoa(freePort(t)))
		if res.code == 0 {
			t.Fatal("a blocked source could still register")
		}
		mustContain(t, sw.log.String(), "blocking source after repeated authentication failures")
	})
}

func TestMalformedSIPIsAnsweredOrDroppedAndTheSwitchLives(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	conn, err := net.Dial("udp", sw.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, junk := range []string{
		"\x00\x01\x02garbage",
		"INVITE sip:1002@127.0.0.1 SIP/2.0\r\n\r\n",
		"INVITE sip:1002@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK-x\r\nContent-Length: 99999\r\n\r\n",
		strings.Repeat("A", 4000),
	} {
		_, _ = conn.Write([]byte(junk))
	}
	// A request without From/To/Call-ID/CSeq gets 400.
	conn.Close()
	conn, err = net.Dial("udp", sw.addr())
	if err != nil {
		t.Fatal(err)
	}
	resp := exchange(t, conn, "INVITE sip:1002@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP "+conn.LocalAddr().String()+";branch=z9hG4bK-bad1\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
	mustContain(t, resp, "SIP/2.0 400")
	// An offer that is not SDP gets 400 before any leg is placed.
	conn.Close()
	conn, err = net.Dial("udp", sw.addr())
	if err != nil {
		t.Fatal(err)
	}
	body := "this is not sdp"
	resp = exchange(t, conn, "INVITE sip:+14155550100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP "+conn.LocalAddr().String()+";branch=z9hG4bK-bad2\r\n"+
		"From: <sip:+16505550123@127.0.0.1>;tag=9\r\nTo: <sip:+14155550100@127.0.0.1>\r\nCall-ID: bad-sdp-1\r\nCSeq: 1 INVITE\r\n"+
		"Contact: <sip:+16505550123@"+conn.LocalAddr().String()+">\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\n"+
		"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
	mustContain(t, resp, "SIP/2.0 400")
	mustContain(t, resp, "malformed SDP")
	// And the switch still works.
	conn.Close()
	conn, err = net.Dial("udp", sw.addr())
	if err != nil {
		t.Fatal(err)
	}
	resp = exchange(t, conn, "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP "+conn.LocalAddr().String()+";branch=z9hG4bK-opt2\r\n"+
		"From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: opt-2\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
	mustContain(t, resp, "SIP/2.0 200")
}

// exchange sends one datagram and returns the first reply that is not 100.
func exchange(t *testing.T, conn net.Conn, msg string) string {
	t.Helper()
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no reply to %q: %v", strings.SplitN(msg, "\r\n", 2)[0], err)
		}
		if s := string(buf[:n]); !strings.HasPrefix(s, "SIP/2.0 100") {
			return s
		}
	}
}

func TestRingTimeoutChangesOnReloadForCallsAfterIt(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{RingTimeout: "20s"})
	sw.reload(t, func(cfg string) string {
		return strings.Replace(cfg, "ring_timeout: 20s", "ring_timeout: 2s", 1)
	})

	callee := sw.phone(t, "1002", "bob-secret", "-sf", scenario("callee_ring.xml"), "-m", "1")
	start := time.Now()
	res := sw.call(t, "1001", "alice-secret", "1002", 100)
	took := time.Since(start)
	mustContain(t, res.out, "480")
	mustSucceed(t, "callee", callee)
	if took < 1500*time.Millisecond || took > 10*time.Second {
		t.Fatalf("the call rang for %v: want about the reloaded ring_timeout of 2s, not 20s", took)
	}
	for _, l := range sw.cdrs(2) {
		if l.Direction != "inbound" {
			continue
		}
		if l.Disposition != "no-answer" || l.SIPCode != 480 {
			t.Errorf("caller leg: %s/%d, want no-answer/480", l.Disposition, l.SIPCode)
		}
		if rang := l.EndedAt.Sub(l.CreatedAt); rang < 1500*time.Millisecond || rang > 5*time.Second {
			t.Errorf("caller leg rang %v, want about 2s", rang)
		}
	}
}
