package e2e

import (
	"strconv"
	"strings"
	"testing"
)

// inboundToBob has the trunk call bob's number +14155550101 and hold for
// holdMS; bob's phone (a sipp scenario) answers on bobPort.
func inboundToBob(t *testing.T, sw *switchProc, holdMS int) sippResult {
	t.Helper()
	return sipp(t, sw.addr(), "-sf", scenario("trunk_in.xml"), "-s", "+14155550101", "-key", "caller", "+16505550123",
		"-d", strconv.Itoa(holdMS), "-m", "1", "-p", strconv.Itoa(freePort(t)))
}

func TestBlindTransfer(t *testing.T) {
	t.Parallel()
	t.Run("to a user: the original leg and three charged legs", func(t *testing.T) {
		t.Parallel()
		sw := startSwitch(t, switchOpts{})
		bobPort, carolPort := freePort(t), freePort(t)
		sw.registerFor(t, "1002", "bob-secret", bobPort)
		sw.registerFor(t, "1003", "carol-secret", carolPort)
		bob := startSipp(t, "-sf", scenario("callee_refer.xml"), "-p", strconv.Itoa(bobPort), "-m", "1", "-key", "refer_to", "1003")
		carol := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(carolPort), "-m", "1")
		if res := inboundToBob(t, sw, 4000); res.code != 0 {
			t.Fatalf("caller: %d\n%s", res.code, res.out)
		}
		if r := bob(); r.code != 0 {
			t.Fatalf("transferor: %d\n%s", r.code, r.out)
		}
		if r := carol(); r.code != 0 {
			t.Fatalf("target: %d\n%s", r.code, r.out)
		}
		legs := sw.cdrs(4)
		assertTransferLegs(t, legs,
			"inbound/trunk/pstn-inbound/direct/answered/",
			"outbound/phone/access/direct/answered/1002",
			"inbound/phone/client/transfer/answered/1002",
			"outbound/phone/client/transfer/answered/1003")
		if got := strings.Join(charged(t, legs), " "); !strings.HasPrefix(got, "client=") || strings.Count(got, "=") != 3 {
			t.Fatalf("want three charged legs (pstn-inbound and two client), got %s", got)
		}
	})
	t.Run("to an outside number: two charged legs", func(t *testing.T) {
		t.Parallel()
		sw := startSwitch(t, switchOpts{})
		bob := sw.phone(t, "1002", "bob-secret", "-sf", scenario("callee_refer.xml"), "-m", "1", "-key", "refer_to", "+14155550199")
		trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1")
		if res := inboundToBob(t, sw, 4000); res.code != 0 {
			t.Fatalf("caller: %d\n%s", res.code, res.out)
		}
		_, _ = bob(), trunk()
		legs := sw.cdrs(3)
		assertTransferLegs(t, legs,
			"inbound/trunk/pstn-inbound/direct/answered/",
			"outbound/phone/access/direct/answered/1002",
			"outbound/trunk/pstn-outbound/transfer/answered/1002")
		if got := strings.Join(charged(t, legs), " "); got != "pstn-inbound=0.01 pstn-outbound=0.02" {
			t.Fatalf("charges: %s", got)
		}
	})
	t.Run("twice in a row: the transfer legs repeat", func(t *testing.T) {
		t.Parallel()
		sw := startSwitch(t, switchOpts{})
		bobPort, carolPort, alicePort := freePort(t), freePort(t), freePort(t)
		sw.registerFor(t, "1002", "bob-secret", bobPort)
		sw.registerFor(t, "1003", "carol-secret", carolPort)
		sw.registerFor(t, "1001", "alice-secret", alicePort)
		bob := startSipp(t, "-sf", scenario("callee_refer.xml"), "-p", strconv.Itoa(bobPort), "-m", "1", "-key", "refer_to", "1003")
		carol := startSipp(t, "-sf", scenario("callee_refer.xml"), "-p", strconv.Itoa(carolPort), "-m", "1", "-key", "refer_to", "1001")
		alice := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(alicePort), "-m", "1")
		if res := inboundToBob(t, sw, 7000); res.code != 0 {
			t.Fatalf("caller: %d\n%s", res.code, res.out)
		}
		for name, r := range map[string]sippResult{"bob": bob(), "carol": carol(), "alice": alice()} {
			if r.code != 0 {
				t.Fatalf("%s: %d\n%s", name, r.code, r.out)
			}
		}
		legs := sw.cdrs(6)
		assertTransferLegs(t, legs,
			"inbound/trunk/pstn-inbound/direct/answered/",
			"outbound/phone/access/direct/answered/1002",
			"inbound/phone/client/transfer/answered/1002",
			"outbound/phone/client/transfer/answered/1003",
			"inbound/phone/client/transfer/answered/1003",
			"outbound/phone/client/transfer/answered/1001")
	})
}

// assertTransferLegs checks the legs of a transferred call: one call id,
// the transfer legs' parents lead back to the original legs.
func assertTransferLegs(t *testing.T, legs []cdr, want ...string) {
	t.Helper()
	got := legSummary(legs)
	wantSorted := append([]string(nil), want...)
	sortStrings(wantSorted)
	if strings.Join(got, "\n") != strings.Join(wantSorted, "\n") {
		t.Fatalf("legs:\n  got  %s\n  want %s", strings.Join(got, "\n       "), strings.Join(wantSorted, "\n       "))
	}
	ids := map[string]bool{}
	for _, l := range legs {
		ids[l.LegID] = true
	}
	for _, l := range legs {
		if l.CallID != legs[0].CallID {
			t.Errorf("leg %s is in call %s, not %s", l.LegID, l.CallID, legs[0].CallID)
		}
		if l.ParentLegID != "" && !ids[l.ParentLegID] {
			t.Errorf("leg %s/%s has parent %s outside the call", l.Direction, l.User, l.ParentLegID)
		}
		if l.Reason == "transfer" && l.ParentLegID == "" {
			t.Errorf("transfer leg without parent: %+v", l)
		}
	}
}

func TestABlindTransferTheTargetDoesNotTakeStaysWithTheTransferor(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{SIPExtra: "  transfer_recall: false"})
	bobPort, carolPort := freePort(t), freePort(t)
	sw.registerFor(t, "1002", "bob-secret", bobPort)
	sw.registerFor(t, "1003", "carol-secret", carolPort)
	bob := startSipp(t, "-sf", scenario("callee_refer_fail.xml"), "-p", strconv.Itoa(bobPort), "-m", "1", "-key", "refer_to", "1003")
	carol := startSipp(t, "-sf", scenario("callee_busy.xml"), "-p", strconv.Itoa(carolPort), "-m", "1")
	if res := inboundToBob(t, sw, 4000); res.code != 0 {
		t.Fatalf("caller: %d\n%s", res.code, res.out)
	}
	if r := bob(); r.code != 0 {
		t.Fatalf("transferor: %d\n%s", r.code, r.out)
	}
	_ = carol()
	legs := sw.cdrs(4)
	assertTransferLegs(t, legs,
		"inbound/trunk/pstn-inbound/direct/answered/",
		"outbound/phone/access/direct/answered/1002",
		"inbound/phone/client/transfer/busy/1002",
		"outbound/phone/client/transfer/busy/1003")
	for _, l := range legs {
		if l.User == "1002" && l.Reason == "direct" && l.BillableSecs < 3 {
			t.Errorf("the transferor must stay on the call: %d s", l.BillableSecs)
		}
	}
}
