package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// exitCode is how the switch process ended (after stop or kill).
func (s *switchProc) exitCode() int {
	<-s.done
	return s.cmd.ProcessState.ExitCode()
}

// SIGTERM with calls in every state, past the grace period: every call is
// hung up (a peer that never answers its BYE does not hold the process),
// every leg gets exactly one CDR with its real times, the answered legs
// are charged, and the process exits 0. It used to panic (send on closed
// channel: the CDR store closed while a call still waited for its BYE)
// and the legs came back on restart as interrupted, unbilled.
func TestSIGTERMHangsUpCallsInEveryStateAndBillsThem(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{Voicemail: true, RingTimeout: "30s",
		SIPExtra: "  voicemail_silence: 1m\n  voicemail_max_length: 5m"})
	// The trunk answers and then never answers a BYE.
	startSipp(t, "-sf", scenario("uas_ignore_bye.xml"), "-p", strconv.Itoa(sw.trunk), "-m", "1", "-timeout", "40s")
	// Carol's phone rings and never answers: a direct call and the target
	// of bob's transfer.
	// (Registered for good: the switch is gone when the test ends.)
	carolPort, bobPort := freePort(t), freePort(t)
	sw.register(t, "1003", "carol-secret", carolPort)
	sw.register(t, "1002", "bob-secret", bobPort)
	startSipp(t, "-sf", scenario("callee_ring.xml"), "-p", strconv.Itoa(carolPort), "-m", "2", "-timeout", "40s")
	// Bob answers the trunk's call to his number and transfers it to carol.
	startSipp(t, "-sf", scenario("callee_refer.xml"), "-p", strconv.Itoa(bobPort), "-m", "1", "-key", "refer_to", "1003", "-timeout", "40s")
	alice := func(target string) func() sippResult {
		return startSipp(t, sw.addr(), "-sf", scenario("uac_auth.xml"), "-s", target, "-key", "caller", "1001",
			"-au", "1001", "-ap", "alice-secret", "-d", "60000", "-m", "1", "-p", strconv.Itoa(freePort(t)), "-timeout", "40s")
	}
	fromTrunk := func(number string) func() sippResult {
		return startSipp(t, sw.addr(), "-sf", scenario("trunk_in.xml"), "-s", number, "-key", "caller", "+16505550123",
			"-d", "60000", "-m", "1", "-p", strconv.Itoa(freePort(t)), "-timeout", "40s")
	}
	// The peers are not waited for: sipp's view of a call the switch
	// hung up is not the point, and the trunk stays up 15 s after its BYE.
	alice("+14155550199")     // answered; the trunk will not answer the BYE
	alice("1003")             // ringing
	fromTrunk("+14155550101") // answered by bob, then transferring to carol (ringing)
	fromTrunk("+14155550100") // alice's number: she is not registered, so her voicemail
	waitFor(t, "two calls answered and a transfer ringing", 10*time.Second, func() bool {
		log := sw.log.String()
		return strings.Count(log, "call answered") == 2 && strings.Contains(log, "transfer requested")
	})
	time.Sleep(time.Second) // the transfer's INVITE reaches carol; voicemail plays its greeting

	term := time.Now()
	sw.stop() // grace is 3 s in tests
	if code := sw.exitCode(); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	log := sw.log.String()
	for _, bad := range []string{"panic", "send on closed channel", "cdr store closed"} {
		if strings.Contains(log, bad) {
			t.Errorf("the log has %q:\n%s", bad, tail(log, 4000))
		}
	}
	mustContain(t, log, "shutdown: every call hung up and its CDRs written")
	t.Logf("SIGTERM to exit: %s", time.Since(term))

	out, errOut, code := cli(t, "cdr", "list", "--data", sw.data)
	if code != 0 {
		t.Fatalf("cdr list: exit %d: %s", code, errOut)
	}
	legs := parseCDRs(t, []byte(out))
	seen := map[string]bool{}
	for _, l := range legs {
		if seen[l.LegID] {
			t.Errorf("leg %s has two CDRs", l.LegID)
		}
		seen[l.LegID] = true
	}
	got := strings.Join(legSummary(legs), "\n")
	want := []string{
		"inbound/phone/access/direct/answered/1001", "outbound/trunk/pstn-outbound/direct/answered/1001",
		"inbound/phone/client/direct/failed/1001", "outbound/phone/client/direct/canceled/1003",
		"inbound/trunk/pstn-inbound/direct/answered/", "outbound/phone/access/direct/answered/1002",
		"inbound/phone/client/transfer/canceled/1002", "outbound/phone/client/transfer/canceled/1003",
		"inbound/trunk/pstn-inbound/voicemail/answered/",
	}
	sortStrings(want)
	if got != strings.Join(want, "\n") {
		t.Fatalf("legs:\n  got  %s\n  want %s", strings.ReplaceAll(got, "\n", "\n       "), strings.Join(want, "\n       "))
	}
	hangup := term.Add(3 * time.Second) // the end of the grace period
	for _, l := range legs {
		if l.Disposition != "answered" {
			if l.AnsweredAt != nil || l.BillableSecs != 0 {
				t.Errorf("unanswered leg with answer time: %+v", l)
			}
			continue
		}
		if l.AnsweredAt == nil || l.BillableSecs < 3 {
			t.Errorf("answered leg without its time up: %+v", l)
			continue
		}
		// Ended when the switch hung up, not when (if ever) the peer
		// answered the BYE.
		if l.EndedAt.Before(hangup.Add(-500*time.Millisecond)) || l.EndedAt.After(hangup.Add(1500*time.Millisecond)) {
			t.Errorf("leg %s/%s ended at %s, want at the hang-up (%s)", l.Direction, l.BillingClass, l.EndedAt, hangup)
		}
	}
	if got := charged(t, legs); len(got) != 3 || !strings.HasPrefix(got[0], "pstn-inbound=") ||
		!strings.HasPrefix(got[1], "pstn-inbound=") || !strings.HasPrefix(got[2], "pstn-outbound=") {
		t.Errorf("charged legs: %v, want the two inbound trunk legs and the outbound one", got)
	}
	if out, errOut, code := cli(t, "ledger", "verify", "--config", sw.cfgPath, "--data", sw.data); code != 0 {
		t.Fatalf("ledger verify: exit %d\n%s%s", code, out, errOut)
	}

	// Nothing was left open for a restart to record as interrupted.
	again := startSwitch(t, switchOpts{Data: sw.data, Ports: sw})
	if n := len(again.cdrs(0)); n != len(want) {
		t.Errorf("after a restart: %d CDRs, want %d", n, len(want))
	}
	if strings.Contains(again.log.String(), "legs interrupted by a restart") {
		t.Error("the restart found legs left open by the shutdown")
	}
}
