package e2e

import (
	"sort"
	"strconv"
	"strings"
	"testing"
)

// legSummary is how a test states the legs it expects: direction,
// endpoint, class, reason, disposition and user, in the order they ended.
func legSummary(legs []cdr) []string {
	out := make([]string, len(legs))
	for i, l := range legs {
		out[i] = strings.Join([]string{l.Direction, l.Endpoint, l.BillingClass, l.Reason, l.Disposition, l.User}, "/")
	}
	sort.Strings(out)
	return out
}

func sortStrings(s []string) { sort.Strings(s) }

func assertLegs(t *testing.T, legs []cdr, want ...string) {
	t.Helper()
	got := legSummary(legs)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("legs:\n  got  %s\n  want %s", strings.Join(got, "\n       "), strings.Join(want, "\n       "))
	}
	// Every leg but the first one in belongs to the same call and has the
	// caller's leg as parent.
	var root cdr
	for _, l := range legs {
		if l.ParentLegID == "" {
			root = l
		}
	}
	for _, l := range legs {
		if l.CallID != root.CallID || (l.LegID != root.LegID && l.ParentLegID != root.LegID) {
			t.Errorf("leg %s/%s: call %s parent %s; want call %s parent %s", l.Direction, l.User, l.CallID, l.ParentLegID, root.CallID, root.LegID)
		}
	}
}

func charged(t *testing.T, legs []cdr) []string {
	t.Helper()
	var out []string
	for _, l := range legs {
		if l.Charge != nil && !dec(t, l.Charge.Amount).IsZero() {
			out = append(out, l.BillingClass+"="+dec(t, l.Charge.Amount).StringFixed(2))
		}
	}
	sort.Strings(out)
	return out
}

func TestForwarding(t *testing.T) {
	t.Parallel()
	t.Run("always to a user rings only the target", func(t *testing.T) {
		t.Parallel()
		sw := startSwitch(t, switchOpts{UserExtra: map[string]string{"1002": "    forwarding: {always: \"1003\"}"}})
		callee := sw.phone(t, "1003", "carol-secret", "-sn", "uas", "-m", "1")
		if res := sw.call(t, "1001", "alice-secret", "1002", 300); res.code != 0 {
			t.Fatalf("call: %d\n%s", res.code, res.out)
		}
		_ = callee()
		assertLegs(t, sw.cdrs(2),
			"inbound/phone/client/direct/answered/1001",
			"outbound/phone/client/forward/answered/1003")
	})
	t.Run("when busy to a user leaves the busy leg and the forwarded one", func(t *testing.T) {
		t.Parallel()
		sw := startSwitch(t, switchOpts{UserExtra: map[string]string{"1002": "    forwarding: {busy: carol}"}})
		busyPort, port := freePort(t), freePort(t)
		sw.registerFor(t, "1002", "bob-secret", busyPort)
		sw.registerFor(t, "1003", "carol-secret", port)
		busy := startSipp(t, "-sf", scenario("callee_busy.xml"), "-p", strconv.Itoa(busyPort), "-m", "1")
		callee := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(port), "-m", "1")
		if res := sw.call(t, "1001", "alice-secret", "1002", 300); res.code != 0 {
			t.Fatalf("call: %d\n%s", res.code, res.out)
		}
		_, _ = busy(), callee()
		assertLegs(t, sw.cdrs(3),
			"inbound/phone/client/direct/answered/1001",
			"outbound/phone/client/direct/busy/1002",
			"outbound/phone/client/forward/answered/1003")
	})
	t.Run("when not answered in time to an outside number", func(t *testing.T) {
		t.Parallel()
		sw := startSwitch(t, switchOpts{UserExtra: map[string]string{"1002": "    forwarding: {no_answer: \"+14155550199\", no_answer_after: 1s}"}})
		ringing := sw.phone(t, "1002", "bob-secret", "-sf", scenario("callee_ring.xml"), "-m", "1")
		trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1")
		if res := sw.call(t, "1001", "alice-secret", "1002", 300); res.code != 0 {
			t.Fatalf("call: %d\n%s", res.code, res.out)
		}
		if r := ringing(); r.code != 0 {
			t.Fatalf("the unanswered phone was not canceled: %d\n%s", r.code, r.out)
		}
		_ = trunk()
		legs := sw.cdrs(3)
		assertLegs(t, legs,
			"inbound/phone/access/direct/answered/1001",
			"outbound/phone/client/direct/no-answer/1002",
			"outbound/trunk/pstn-outbound/forward/answered/1001")
		for _, l := range legs {
			if l.Endpoint == "trunk" && (l.CallerID != "+14155550100" || l.To != "+14155550199") {
				t.Errorf("forward leg presents %s to %s", l.CallerID, l.To)
			}
		}
	})
	t.Run("a call to a number whose owner is not registered goes out: two charged legs", func(t *testing.T) {
		t.Parallel()
		sw := startSwitch(t, switchOpts{UserExtra: map[string]string{"1002": "    forwarding: {unregistered: \"+14155550199\"}"}})
		trunkOut := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1")
		// The carrier calls bob's number from another port of the trunk's address.
		res := sipp(t, sw.addr(), "-sf", scenario("trunk_in.xml"), "-s", "+14155550101", "-key", "caller", "+16505550123",
			"-d", "1500", "-m", "1", "-p", strconv.Itoa(freePort(t)))
		if res.code != 0 {
			t.Fatalf("inbound call: %d\n%s", res.code, res.out)
		}
		_ = trunkOut()
		legs := sw.cdrs(2)
		assertLegs(t, legs,
			"inbound/trunk/pstn-inbound/direct/answered/",
			"outbound/trunk/pstn-outbound/forward/answered/")
		// Sample deck: US local inbound 0.0085/min -> 0.01; US -> US outbound 0.014/min -> 0.02.
		if got := strings.Join(charged(t, legs), " "); got != "pstn-inbound=0.01 pstn-outbound=0.02" {
			t.Fatalf("charges: %s", got)
		}
		for _, l := range legs {
			if l.Endpoint == "trunk" && l.Direction == "outbound" && l.CallerID != "+14155550101" {
				t.Errorf("the forwarded leg must present the called number, got %s", l.CallerID)
			}
		}
	})
	t.Run("a forwarding loop is stopped", func(t *testing.T) {
		t.Parallel()
		sw := startSwitch(t, switchOpts{UserExtra: map[string]string{
			"1002": "    forwarding: {always: \"1003\"}",
			"1003": "    forwarding: {always: \"1002\"}",
		}})
		res := sw.call(t, "1001", "alice-secret", "1002", 100)
		mustContain(t, res.out, "482")
		if legs := sw.cdrs(1); len(legs) != 1 || legs[0].SIPCode != 482 {
			t.Fatalf("legs: %+v", legs)
		}
	})
	t.Run("rules set through the API apply at once and survive a restart", func(t *testing.T) {
		t.Parallel()
		sw := startSwitch(t, switchOpts{})
		code, body := sw.api("PUT", "/v1/users/bob/forwarding", strings.NewReader(`{"always":"1003"}`))
		if code != 200 {
			t.Fatalf("PUT forwarding: %d %s", code, body)
		}
		code, body = sw.api("PUT", "/v1/users/1002/forwarding", strings.NewReader(`{"always":"nobody"}`))
		if code != 400 || !strings.Contains(string(body), "unknown forwarding target") {
			t.Fatalf("a bad target: %d %s", code, body)
		}
		sw.stop()
		sw = startSwitch(t, switchOpts{Data: sw.data, Ports: sw})
		callee := sw.phone(t, "1003", "carol-secret", "-sn", "uas", "-m", "1")
		if res := sw.call(t, "1001", "alice-secret", "1002", 300); res.code != 0 {
			t.Fatalf("call: %d\n%s", res.code, res.out)
		}
		_ = callee()
		code, body = sw.api("GET", "/v1/users/1002/forwarding", nil)
		if code != 200 || !strings.Contains(string(body), `"always":"1003"`) {
			t.Fatalf("GET forwarding: %d %s", code, body)
		}
	})
}

func TestCallerIDAndPermissions(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	t.Run("a dial prefix picks another verified caller ID and the leg is rated from its country", func(t *testing.T) {
		trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1")
		if res := sw.call(t, "1001", "alice-secret", "*72+61291234567", 300); res.code != 0 {
			t.Fatalf("call: %d\n%s", res.code, res.out)
		}
		_ = trunk()
		_, out := byDirection(t, sw.cdrs(2))
		if out.CallerID != "+16505550100" || out.To != "+61291234567" {
			t.Fatalf("trunk leg presents %s to %s", out.CallerID, out.To)
		}
		// The leg is rated from the US caller ID: US -> AU, not AU -> AU.
		stdout, errOut, code := cli(t, "rate", "--config", sw.cfgPath, "--direction", "outbound", "--from", "+16505550100", "--to", "+61291234567", "--seconds", strconv.FormatInt(out.BillableSecs, 10))
		if code != 0 {
			t.Fatalf("rate: %s", errOut)
		}
		if out.Charge == nil || !strings.Contains(stdout, `"origin_country": "US"`) || !strings.Contains(stdout, `"charge": "`+out.Charge.Amount+`"`) {
			t.Fatalf("trunk leg charge %+v; dialtone rate says:\n%s", out.Charge, stdout)
		}
	})
	t.Run("an unverified caller ID is refused with 403", func(t *testing.T) {
		res := sipp(t, sw.addr(), "-sf", scenario("uac_ppi.xml"), "-s", "+14155550199", "-key", "caller", "1001", "-key", "ppi", "+12125550123",
			"-au", "1001", "-ap", "alice-secret", "-m", "1", "-p", strconv.Itoa(freePort(t)))
		mustContain(t, res.out, "403")
		mustContain(t, res.out, "not verified")
	})
	t.Run("P-Preferred-Identity picks a verified caller ID", func(t *testing.T) {
		trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1")
		res := sipp(t, sw.addr(), "-sf", scenario("uac_ppi.xml"), "-s", "+14155550199", "-key", "caller", "1001", "-key", "ppi", "+16505550100",
			"-au", "1001", "-ap", "alice-secret", "-d", "200", "-m", "1", "-p", strconv.Itoa(freePort(t)))
		if res.code != 0 {
			t.Fatalf("call: %d\n%s", res.code, res.out)
		}
		_ = trunk()
		found := false
		for _, l := range sw.cdrs(5) {
			if l.Endpoint == "trunk" && l.To == "+14155550199" && l.CallerID == "+16505550100" {
				found = true
			}
		}
		if !found {
			t.Fatal("no trunk leg presenting +16505550100")
		}
	})
	t.Run("an international call without the permission is refused with a refused CDR", func(t *testing.T) {
		res := sw.call(t, "1002", "bob-secret", "+61291234567", 100)
		mustContain(t, res.out, "403")
		mustContain(t, res.out, "international calls not permitted")
	})
	t.Run("premium-rate numbers are refused by default", func(t *testing.T) {
		res := sw.call(t, "1001", "alice-secret", "+19005550100", 100)
		mustContain(t, res.out, "403")
		mustContain(t, res.out, "premium-rate")
	})
	refused := 0
	for _, l := range sw.cdrs(7) {
		if l.Disposition == "refused" && l.SIPCode == 403 {
			refused++
		}
	}
	if refused != 3 {
		t.Fatalf("want 3 refused CDRs (unverified, international, premium), got %d", refused)
	}
}

func TestForwardingToVoicemail(t *testing.T) {
	t.Parallel()
	// Voicemail is not the default here: the rule sends busy calls there.
	sw := startSwitch(t, switchOpts{UserExtra: map[string]string{"1002": "    forwarding: {busy: voicemail}"}})
	busy := sw.phone(t, "1002", "bob-secret", "-sf", scenario("callee_busy.xml"), "-m", "1")
	if res := sippRTPCaller(t, sw, "1002", 4000); res.code != 0 {
		t.Fatalf("caller: %d\n%s", res.code, res.out)
	}
	_ = busy()
	assertLegs(t, sw.cdrs(2),
		"inbound/phone/client/voicemail/answered/1001",
		"outbound/phone/client/direct/busy/1002")
	if _, body := sw.api("GET", "/v1/voicemail?user=bob", nil); !strings.Contains(string(body), `"from":"1001"`) {
		t.Fatalf("no message from alice: %s", body)
	}
}
