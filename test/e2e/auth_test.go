package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// capturedAuth is an authenticated request seen on the wire.
type capturedAuth struct {
	requestURI string
	header     string // the Proxy-Authorization (or Authorization) value
}

// captureAuth finds, in a sipp run's message trace (-trace_msg), the last
// request sipp sent with the named header: what an eavesdropper on the
// phone's network would have copied.
func captureAuth(t *testing.T, dir, header string) capturedAuth {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(dir, "*_messages.log"))
	if len(logs) == 0 {
		t.Fatalf("no sipp message trace in %s", dir)
	}
	b, err := os.ReadFile(logs[0])
	if err != nil {
		t.Fatal(err)
	}
	var got capturedAuth
	for _, msg := range strings.Split(string(b), "message sent") {
		m := regexp.MustCompile(`(?m)^([A-Z]+) (\S+) SIP/2\.0\r?$`).FindStringSubmatch(msg)
		h := regexp.MustCompile(`(?mi)^` + header + `:\s*(.+?)\r?$`).FindStringSubmatch(msg)
		if m != nil && h != nil {
			got = capturedAuth{requestURI: m[2], header: h[1]}
		}
	}
	if got.header == "" {
		t.Fatalf("no %s header in the trace:\n%s", header, tail(string(b), 3000))
	}
	return got
}

// TestACapturedProxyAuthorizationCannotBeReplayed: an eavesdropper copies
// a real phone's authenticated INVITE and sends its Proxy-Authorization
// again from elsewhere, in a new call (new Call-ID, new branch), to an
// international number billed to the victim, and to the number the phone
// called. Both are refused, and nothing reaches the trunk or the ledger.
func TestACapturedProxyAuthorizationCannotBeReplayed(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1")
	res := sw.call(t, "1001", "alice-secret", "+14155550199", 1200, "-trace_msg")
	if res.code != 0 {
		t.Fatalf("the phone's own call: sipp exit %d\n%s", res.code, res.out)
	}
	mustSucceed(t, "trunk", trunk)
	legit := sw.cdrs(2)
	balance, _ := sw.balance()
	stolen := captureAuth(t, res.dir, "Proxy-Authorization")
	if !strings.Contains(stolen.requestURI, "+14155550199") {
		t.Fatalf("captured the wrong request: %+v", stolen)
	}

	replays := []struct {
		name, from, uri string
		want            []int
	}{
		{"to an international number, from another port", "127.0.0.1", "sip:+61291234567@" + sw.addr(), []int{403}},
		{"to the same number, from another port", "127.0.0.1", stolen.requestURI, []int{407}},
		{"to the same number, from another address", "127.0.0.2", stolen.requestURI, []int{407}},
		{"to an international number, from another address", "127.0.0.2", "sip:+61291234567@" + sw.addr(), []int{403}},
	}
	for i, r := range replays {
		attacker := newRawSIP(t, sw, r.from)
		got := attacker.send(rawRequest{method: "INVITE", uri: r.uri, from: "1001", to: strings.TrimPrefix(strings.SplitN(r.uri, "@", 2)[0], "sip:"),
			callID: fmt.Sprintf("replay-%d", i), cseq: 1, headers: []string{"Proxy-Authorization: " + stolen.header}, body: rawSDP})
		if !containsInt(r.want, got.code) {
			t.Errorf("replay %s: got %d, want %v\n%s", r.name, got.code, r.want, got.text)
		}
		if got.code == 407 && !strings.Contains(got.header("Proxy-Authenticate"), "stale=true") {
			t.Errorf("replay %s: the new challenge should say stale=true (a phone that raced two requests retries at once): %s", r.name, got.text)
		}
	}

	// A replay the switch let through would have its CDR written as its
	// final answer went out (the answers are in): two seconds are ample.
	if all := sw.cdrsWithin(3, 2*time.Second); len(all) != len(legit) {
		t.Errorf("the replays left CDRs: %+v", all[len(legit):])
	}
	if now, _ := sw.balance(); now != balance {
		t.Errorf("balance %s after the replays, %s before", now, balance)
	}
	if v := sw.metric(`dialtone_auth_replays_total{reason="uri"}`); v != 2 {
		t.Errorf(`dialtone_auth_replays_total{reason="uri"} = %v, want 2`, v)
	}
	if v := sw.metric(`dialtone_auth_replays_total{reason="nonce-count"}`); v != 2 {
		t.Errorf(`dialtone_auth_replays_total{reason="nonce-count"} = %v, want 2`, v)
	}
	mustContain(t, sw.log.String(), "digest credentials replayed")
}

// TestHoldingOneAccountDoesNotBuyGuessesAtAnother: an attacker with one
// account's password registers it between guesses at another's. Each
// success used to clear the address's failures, so the guessing never
// stopped; now the address is blocked at the limit.
func TestHoldingOneAccountDoesNotBuyGuessesAtAnother(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{AuthFailLimit: 3})
	attacker := newRawSIP(t, sw, "127.0.0.1")
	guesses := 0
	for round := 0; round < 10; round++ {
		own := attacker.register("1001", "alice-secret")
		if own.code == 403 {
			break
		}
		if own.code != 200 {
			t.Fatalf("round %d: own account: %d\n%s", round, own.code, own.text)
		}
		guess := attacker.register("1002", fmt.Sprintf("guess-%d", round))
		if guess.code != 403 {
			t.Fatalf("round %d: a wrong password got %d", round, guess.code)
		}
		guesses++
	}
	if guesses != 3 {
		t.Fatalf("the attacker made %d guesses at another account; the limit is 3", guesses)
	}
	blocked := attacker.register("1002", "bob-secret")
	if blocked.code != 403 || !strings.Contains(blocked.header("Reason"), "too many failed authentications") {
		t.Fatalf("the blocked address still gets a try: %d\n%s", blocked.code, blocked.text)
	}
	mustContain(t, sw.log.String(), "blocking source after repeated authentication failures")
	if v := sw.metric(`dialtone_auth_blocks_total{reason="address"}`); v != 1 {
		t.Errorf(`dialtone_auth_blocks_total{reason="address"} = %v, want 1`, v)
	}
	if v := sw.metric(`dialtone_auth_blocked_total{reason="address"}`); v == 0 {
		t.Errorf(`dialtone_auth_blocked_total{reason="address"} = %v, want the refused requests`, v)
	}
}

// TestGuessingFromManyAddressesLocksTheAccountButNotItsPhones: guesses at
// bob's password from several addresses, each under the per-address limit,
// lock bob's account for new addresses; bob's registered phone still
// re-registers and calls.
func TestGuessingFromManyAddressesLocksTheAccountButNotItsPhones(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{AuthFailLimit: 3}) // 3 per address, 6 per account
	bobPort := freePort(t)
	sw.register(t, "1002", "bob-secret", bobPort)

	for i := 0; i < 6; i++ {
		attacker := newRawSIP(t, sw, fmt.Sprintf("127.0.0.%d", 2+i/2)) // two guesses from each
		if got := attacker.register("1002", fmt.Sprintf("guess-%d", i)); got.code != 403 {
			t.Fatalf("guess %d: %d", i, got.code)
		}
	}
	newDevice := newRawSIP(t, sw, "127.0.0.9")
	if got := newDevice.register("1002", "bob-secret"); got.code != 403 || !strings.Contains(got.header("Reason"), "too many failed authentications") {
		t.Fatalf("a new address registered the locked account: %d\n%s", got.code, got.text)
	}
	if got := newDevice.register("1001", "alice-secret"); got.code != 200 {
		t.Fatalf("another account from that address: %d\n%s", got.code, got.text)
	}

	// Bob's phone, registered from 127.0.0.1 before the attack, goes on.
	sw.register(t, "1002", "bob-secret", bobPort)
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1")
	if res := sw.call(t, "1002", "bob-secret", "+14155550199", 200); res.code != 0 {
		t.Fatalf("bob's call during the lock: sipp exit %d\n%s", res.code, res.out)
	}
	mustSucceed(t, "trunk", trunk)

	mustContain(t, sw.log.String(), "locking account after repeated authentication failures")
	if v := sw.metric(`dialtone_auth_blocks_total{reason="account"}`); v != 1 {
		t.Errorf(`dialtone_auth_blocks_total{reason="account"} = %v, want 1`, v)
	}
	if v := sw.metric(`dialtone_auth_blocked_total{reason="account"}`); v != 1 {
		t.Errorf(`dialtone_auth_blocked_total{reason="account"} = %v, want 1`, v)
	}
	if v := sw.metric(`dialtone_auth_blocks_total{reason="address"}`); v != 0 {
		t.Errorf(`dialtone_auth_blocks_total{reason="address"} = %v, want 0 (each address stayed under its limit)`, v)
	}
}

// TestAPhoneReusingItsNonceWithTheNextCountStaysRegistered: phones refresh
// a registration with the nonce they hold and nc+1 instead of waiting for
// a new challenge; that is not a replay.
func TestAPhoneReusingItsNonceWithTheNextCountStaysRegistered(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	res := sipp(t, sw.addr(), "-sf", scenario("register_refresh.xml"), "-s", "1001", "-au", "1001", "-ap", "alice-secret",
		"-key", "expires", "300", "-m", "1", "-p", strconv.Itoa(freePort(t)), "-trace_msg")
	if res.code != 0 {
		t.Fatalf("sipp exit %d\n%s", res.code, res.out)
	}
	b, _ := os.ReadFile(firstGlob(t, filepath.Join(res.dir, "*_messages.log")))
	if !strings.Contains(string(b), "nc=00000003") {
		t.Fatalf("sipp did not reuse its nonce with nc 3:\n%s", tail(string(b), 3000))
	}
	if strings.Contains(sw.log.String(), "authentication failed") || strings.Contains(sw.log.String(), "replayed") {
		t.Fatalf("the refreshes were taken for failures:\n%s", tail(sw.log.String(), 3000))
	}
}

func firstGlob(t *testing.T, pattern string) string {
	t.Helper()
	m, _ := filepath.Glob(pattern)
	if len(m) == 0 {
		t.Fatalf("nothing matches %s", pattern)
	}
	return m[0]
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestBaresipStaysRegisteredAndCallsAcrossRefreshes: a real softphone
// refreshing its registration every few seconds (reusing its nonce with
// the next count, or answering a fresh challenge) and placing calls is
// never taken for a replay or a guess.
func TestBaresipStaysRegisteredAndCallsAcrossRefreshes(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{AuthFailLimit: 3})
	alice := startBaresipAccount(t, sw, "alice", "alice-secret", "regint=4")
	registers := func() int { return strings.Count(sw.log.String(), "msg=register user=1001") }
	waitFor(t, "three registrations of alice's phone", 20*time.Second, func() bool { return registers() >= 3 })
	bob := startBaresip(t, sw, "bob", "bob-secret")
	if !bob.waitLog(`200 OK|registered`, 10*time.Second) {
		t.Fatalf("bob did not register:\n%s", bob.log.String())
	}
	for i := 0; i < 2; i++ {
		alice.command("dial", fmt.Sprintf("sip:1002@127.0.0.1:%d", sw.sipPort))
		// "Call established", not "established": baresip also logs "incoming
		// rtp ... established" for each call.
		waitFor(t, "the call", 10*time.Second, func() bool { return strings.Count(alice.log.String(), "Call established") > i })
		alice.command("hangup", "")
		waitFor(t, "the call's CDRs", 10*time.Second, func() bool { return len(sw.cdrs(0)) >= 2*(i+1) })
	}
	waitFor(t, "two more registrations", 20*time.Second, func() bool { return registers() >= 5 })
	log := sw.log.String()
	for _, bad := range []string{"authentication failed", "replayed", "blocking", "locking"} {
		if strings.Contains(log, bad) {
			t.Fatalf("%q in the switch's log:\n%s", bad, tail(log, 4000))
		}
	}
	if v := sw.metric("dialtone_auth_failures_total"); v != 0 {
		t.Errorf("dialtone_auth_failures_total = %v, want 0", v)
	}
}

// TestARetransmittedAuthenticatedRequestIsAnsweredAgain: a phone that
// missed the answer sends the same authenticated request again (same
// transaction, same nonce count); that is not a replay.
func TestARetransmittedAuthenticatedRequestIsAnsweredAgain(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	phone := newRawSIP(t, sw, "127.0.0.1")
	uri := "sip:" + sw.addr()
	req := rawRequest{method: "REGISTER", uri: uri, from: "1001", to: "1001", callID: "retransmit-1", cseq: 1, headers: []string{"Expires: 300"}}
	chal := phone.send(req)
	if chal.code != 401 {
		t.Fatalf("first REGISTER: %d", chal.code)
	}
	req.cseq, req.branch = 2, "z9hG4bK-retransmitted"
	req.headers = append(req.headers, "Authorization: "+phone.answer(chal.header("WWW-Authenticate"), "REGISTER", uri, "1001", "alice-secret"))
	for i := 0; i < 2; i++ {
		if got := phone.send(req); got.code != 200 {
			t.Fatalf("send %d of the same request: %d\n%s", i+1, got.code, got.text)
		}
	}
}
