package e2e

import (
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// checkTrunkDigest recomputes the digest the switch sent the trunk
// (RFC 2617, no qop) from sipp's message log.
func checkTrunkDigest(t *testing.T, dir, user, realm, password string) {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(dir, "*_messages.log"))
	if len(logs) == 0 {
		t.Fatal("no sipp message log")
	}
	b, err := os.ReadFile(logs[0])
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Proxy-Authorization: Digest username="([^"]+)", realm="([^"]+)", nonce="([^"]+)", uri="([^"]+)".*response="([0-9a-f]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no Proxy-Authorization in:\n%s", tail(string(b), 2000))
	}
	h := func(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }
	want := h(h(user+":"+realm+":"+password) + ":" + string(m[3]) + ":" + h("INVITE:"+string(m[4])))
	if string(m[1]) != user || string(m[2]) != realm || string(m[5]) != want {
		t.Fatalf("digest for the trunk: got %s, want %s (user %s realm %s)", m[5], want, m[1], m[2])
	}
}

func TestACallRingsEveryContactAndTheFirstAnswerWins(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, desk string }{
		{"the other contact is ringing", "callee_ring.xml"},
		// RFC 3261 §9.1: no CANCEL before a provisional, so the switch
		// must wait for this 180 to cancel the contact, not abandon it.
		{"the other contact's 180 comes after the answer", "callee_ring_late.xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { ringEveryContact(t, tt.desk) })
	}
}

func ringEveryContact(t *testing.T, deskScenario string) {
	sw := startSwitch(t, switchOpts{})
	ringing, answering := freePort(t), freePort(t)
	sw.registerFor(t, "1002", "bob-secret", ringing)
	sw.registerFor(t, "1002", "bob-secret", answering)
	// The ringing phone only succeeds if it receives the CANCEL.
	desk := startSipp(t, "-sf", scenario(deskScenario), "-p", strconv.Itoa(ringing), "-m", "1", "-timeout", "10s")
	soft := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(answering), "-m", "1")
	if res := sw.call(t, "1001", "alice-secret", "1002", 500); res.code != 0 {
		t.Fatalf("call: sipp exit %d\n%s", res.code, res.out)
	}
	if r := soft(); r.code != 0 {
		t.Fatalf("answering phone: exit %d\n%s", r.code, r.out)
	}
	if r := desk(); r.code != 0 {
		t.Fatalf("ringing phone was not canceled: exit %d\n%s", r.code, r.out)
	}
	in, out := byDirection(t, sw.cdrs(2))
	if in.Disposition != "answered" || out.Disposition != "answered" || out.User != "1002" {
		t.Fatalf("legs: %+v %+v", in, out)
	}
}

func TestOutboundCallAnswersTheTrunksChallengeWithTheTrunksCredentials(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{TrunkAuth: "    username: dialtone-acct\n    password: trunk-pass\n"})
	trunk := startSipp(t, "-sf", scenario("trunk_auth_uas.xml"), "-p", strconv.Itoa(sw.trunk), "-m", "1", "-trace_msg")
	if res := sw.call(t, "1001", "alice-secret", "+14155550199", 300); res.code != 0 {
		t.Fatalf("call: sipp exit %d\n%s", res.code, res.out)
	}
	r := trunk()
	if r.code != 0 {
		t.Fatalf("trunk: exit %d\n%s", r.code, r.out)
	}
	checkTrunkDigest(t, r.dir, "dialtone-acct", "carrier.example", "trunk-pass")
	_, out := byDirection(t, sw.cdrs(2))
	if out.Disposition != "answered" || out.Endpoint != "trunk" {
		t.Fatalf("trunk leg: %+v", out)
	}
}

func TestTheCalleeHangingUpEndsBothLegs(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	callee := sw.phone(t, "1002", "bob-secret", "-sf", scenario("callee_bye.xml"), "-m", "1")
	// The caller would hold for 10 s; the callee's BYE at 1 s must reach it.
	res := sipp(t, sw.addr(), "-sf", scenario("uac_wait_bye.xml"), "-s", "1002", "-key", "caller", "1001",
		"-au", "1001", "-ap", "alice-secret", "-m", "1", "-p", strconv.Itoa(freePort(t)))
	if res.code != 0 {
		t.Fatalf("caller: sipp exit %d\n%s", res.code, res.out)
	}
	if r := callee(); r.code != 0 {
		t.Fatalf("callee: exit %d\n%s", r.code, r.out)
	}
	in, out := byDirection(t, sw.cdrs(2))
	if in.Disposition != "answered" || out.Disposition != "answered" || in.BillableSecs < 1 || in.BillableSecs > 3 {
		t.Fatalf("legs: %+v %+v", in, out)
	}
}

func TestCallsOverTCP(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1")
	res := sw.call(t, "1001", "alice-secret", "+14155550199", 300, "-t", "t1")
	if res.code != 0 {
		t.Fatalf("call over TCP: sipp exit %d\n%s", res.code, res.out)
	}
	_ = trunk()
	if legs := sw.cdrs(2); len(legs) != 2 || legs[0].Disposition != "answered" {
		t.Fatalf("legs: %+v", legs)
	}
}
