package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Toll fraud through features: forwarding and transfers place legs for a
// user, so they must pass the checks of a call the user dials.

func TestForwardingToANumberTheUserMayNotCall(t *testing.T) {
	t.Parallel()
	t.Run("the API refuses it with 422 naming the rule", func(t *testing.T) {
		sw := startSwitch(t, switchOpts{})
		for _, tt := range []struct{ user, body, rule string }{
			{"1002", `{"always":"+19002345678"}`, "calls.premium"},         // bob may call out, not premium-rate
			{"alice", `{"busy":"+19002345678"}`, "calls.premium"},          // nor may alice, who may call abroad
			{"bob", `{"no_answer":"+61291234567"}`, "calls.international"}, // bob may not call abroad
			{"1003", `{"always":"+14155550199"}`, "caller_ids"},            // carol has no caller ID to call out with
		} {
			code, body := sw.api("PUT", "/v1/users/"+tt.user+"/forwarding", strings.NewReader(tt.body))
			if code != 422 || !strings.Contains(string(body), `"rule":"`+tt.rule+`"`) {
				t.Errorf("PUT %s forwarding %s: %d %s; want 422 naming %s", tt.user, tt.body, code, body, tt.rule)
			}
		}
		if code, body := sw.api("GET", "/v1/users/1002/forwarding", nil); code != 200 || strings.Contains(string(body), "+1900") {
			t.Fatalf("a refused rule was kept: %d %s", code, body)
		}
		code, body := sw.api("POST", "/v1/numbers", strings.NewReader(`{"number":"+14155550103","user":"1002","forwarding":{"always":"+19002345678"}}`))
		if code != 422 || !strings.Contains(string(body), "calls.premium") {
			t.Fatalf("POST a number forwarded to a premium number: %d %s", code, body)
		}
		if code, body := sw.api("PUT", "/v1/users/bob/forwarding", strings.NewReader(`{"always":"+14155550199"}`)); code != 200 {
			t.Fatalf("a number bob may call: %d %s", code, body)
		}
	})
	t.Run("check-config names the file, line and field", func(t *testing.T) {
		sw := startSwitch(t, switchOpts{})
		cfg, err := os.ReadFile(sw.cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		bobsRole := "    role: agent\n    caller_ids: [\"+14155550100\"]\n"
		if !strings.Contains(string(cfg), bobsRole) {
			t.Fatal("the test config changed: no bob")
		}
		bad := strings.Replace(string(cfg), bobsRole, bobsRole+"    forwarding: {always: \"+19002345678\"}\n", 1)
		line := strings.Count(bad[:strings.Index(bad, "forwarding: {always")], "\n") + 1
		path := filepath.Join(t.TempDir(), "fraud.yaml")
		if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := cli(t, "check-config", path)
		if code != 1 {
			t.Fatalf("check-config: exit %d, want 1\n%s", code, errOut)
		}
		mustContain(t, errOut, fmt.Sprintf("%s:%d: users[1].forwarding.always: forwarding to +19002345678 refused: premium-rate numbers not permitted for this user (rule calls.premium)", path, line))
	})
}

// TestForwardingAPermissionAReloadRemoved: alice forwards her calls
// abroad (allowed when she set it); a reload takes calls.international
// away; a call to her is then not forwarded: a refused leg, and the call
// goes on as if the forward had not answered.
func TestForwardingAPermissionAReloadRemoved(t *testing.T) {
	t.Parallel()
	withoutInternational := func(cfg string) string {
		return strings.Replace(cfg, "calls.outbound, calls.international, sms", "calls.outbound, sms", 1)
	}
	refusedLeg := func(t *testing.T, legs []cdr, to, reason string) cdr {
		t.Helper()
		for _, l := range legs {
			if l.Disposition == "refused" && l.Direction == "outbound" {
				if l.Endpoint != "trunk" || l.Reason != "forward" || l.To != to || l.SIPCode != 403 ||
					!strings.Contains(l.RefuseReason, reason) || l.Charge != nil && !dec(t, l.Charge.Amount).IsZero() {
					t.Fatalf("refused leg: %+v", l)
				}
				return l
			}
		}
		t.Fatalf("no refused forward leg in %+v", legs)
		return cdr{}
	}
	t.Run("nothing to fall back to: 480", func(t *testing.T) {
		sw := startSwitch(t, switchOpts{})
		if code, body := sw.api("PUT", "/v1/users/alice/forwarding", strings.NewReader(`{"always":"+61291234567"}`)); code != 200 {
			t.Fatalf("PUT forwarding: %d %s", code, body)
		}
		sw.reload(t, withoutInternational)
		// No sipp on the trunk: a forward placed anyway would fail there,
		// not be refused.
		res := sw.call(t, "1002", "bob-secret", "1001", 100)
		mustContain(t, res.out, "480")
		legs := sw.cdrs(2)
		refusedLeg(t, legs, "+61291234567", "international calls not permitted")
		assertLegs(t, legs,
			"inbound/phone/client/direct/no-answer/1002",
			"outbound/trunk/pstn-outbound/forward/refused/1002")
	})
	t.Run("the no-answer rule is next", func(t *testing.T) {
		sw := startSwitch(t, switchOpts{})
		if code, body := sw.api("PUT", "/v1/users/alice/forwarding", strings.NewReader(`{"always":"+61291234567","no_answer":"1003"}`)); code != 200 {
			t.Fatalf("PUT forwarding: %d %s", code, body)
		}
		sw.reload(t, withoutInternational)
		carol := sw.phone(t, "1003", "carol-secret", "-sn", "uas", "-m", "1")
		if res := sw.call(t, "1002", "bob-secret", "1001", 300); res.code != 0 {
			t.Fatalf("call: %d\n%s", res.code, res.out)
		}
		mustSucceed(t, "carol", carol)
		legs := sw.cdrs(3)
		refusedLeg(t, legs, "+61291234567", "international calls not permitted")
		assertLegs(t, legs,
			"inbound/phone/client/direct/answered/1002",
			"outbound/trunk/pstn-outbound/forward/refused/1002",
			"outbound/phone/client/forward/answered/1003")
	})
	t.Run("voicemail is next", func(t *testing.T) {
		// Here the reload takes calls.outbound from bob's role; alice calls.
		sw := startSwitch(t, switchOpts{Voicemail: true})
		if code, body := sw.api("PUT", "/v1/users/bob/forwarding", strings.NewReader(`{"always":"+14155550199"}`)); code != 200 {
			t.Fatalf("PUT forwarding: %d %s", code, body)
		}
		sw.reload(t, func(cfg string) string {
			return strings.Replace(cfg, "permissions: [calls.inbound, calls.outbound, sms, dialer]", "permissions: [calls.inbound, sms, dialer]", 1)
		})
		if res := sippRTPCaller(t, sw, "1002", 3000); res.code != 0 {
			t.Fatalf("caller: %d\n%s", res.code, res.out)
		}
		legs := sw.cdrs(2)
		refusedLeg(t, legs, "+14155550199", "outbound calls not permitted")
		assertLegs(t, legs,
			"inbound/phone/client/voicemail/answered/1001",
			"outbound/trunk/pstn-outbound/forward/refused/1001")
	})
}

// TestABlindTransferIsCheckedAsADialedCall: bob may not call abroad, so
// he may not transfer his caller abroad either.
func TestABlindTransferIsCheckedAsADialedCall(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	bobPort := freePort(t)
	bob := newTransferorPhone(t, bobPort)
	bob.register(t, sw, "1002", "bob-secret", bobPort)
	first, caller := bob.takeInboundCall(t, sw, 3000)
	sendRefer(t, sw, first, "+61291234567", nil)
	waitFor(t, "the transfer's outcome", 5*time.Second, func() bool {
		bob.mu.Lock()
		defer bob.mu.Unlock()
		return len(bob.notifies) > 0
	})
	bob.mu.Lock()
	notifies := strings.Join(bob.notifies, " | ")
	bob.mu.Unlock()
	if !strings.Contains(notifies, "SIP/2.0 403") {
		t.Errorf("NOTIFYs: %s; want 403", notifies)
	}
	if r := <-caller; r.code != 0 {
		t.Fatalf("caller: %d\n%s", r.code, r.out)
	}
	assertTransferLegs(t, sw.cdrs(2),
		"inbound/trunk/pstn-inbound/direct/answered/",
		"outbound/phone/access/direct/answered/1002")
}

// TestAttendedTransferCannotReplaceAnotherUsersDialog: alice is on an
// international call; bob, on a call from the carrier, REFERs it with a
// Replaces naming alice's dialog, to take her call over. 403, and
// nothing changes: no leg added, alice's call goes on as hers.
func TestAttendedTransferCannotReplaceAnotherUsersDialog(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	alicePort, bobPort := freePort(t), freePort(t)
	alice := newTransferorPhone(t, alicePort)
	alice.register(t, sw, "1001", "alice-secret", alicePort)
	bob := newTransferorPhone(t, bobPort)
	bob.register(t, sw, "1002", "bob-secret", bobPort)

	abroad := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1")
	alicesCall := alice.dial(t, sw, "1001", "alice-secret", "+61291234567")

	bobsCall, caller := bob.takeInboundCall(t, sw, 2000)
	res, err := referResponse(sw, bobsCall, "+61291234567", alicesCall)
	if err != nil || res.StatusCode != 403 {
		t.Fatalf("REFER replacing alice's dialog: %v %v; want 403", res, err)
	}
	if r := <-caller; r.code != 0 {
		t.Fatalf("bob's caller: %d\n%s", r.code, r.out)
	}
	select {
	case <-alicesCall.Context().Done():
		t.Fatal("alice's call was ended")
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := alicesCall.Bye(ctx); err != nil {
		t.Fatalf("alice hangs up: %v", err)
	}
	mustSucceed(t, "the international callee", abroad)
	legs := sw.cdrs(4)
	summary := legSummary(legs)
	want := []string{
		"inbound/phone/access/direct/answered/1001",
		"inbound/trunk/pstn-inbound/direct/answered/",
		"outbound/phone/access/direct/answered/1002",
		"outbound/trunk/pstn-outbound/direct/answered/1001",
	}
	if strings.Join(summary, "\n") != strings.Join(want, "\n") {
		t.Fatalf("legs:\n  got  %s\n  want %s", strings.Join(summary, "\n       "), strings.Join(want, "\n       "))
	}
	calls := map[string]string{} // user of each call's first leg
	for _, l := range legs {
		if l.ParentLegID == "" {
			calls[l.CallID] = l.User
		}
	}
	for _, l := range legs {
		if l.Endpoint == "trunk" && l.Direction == "outbound" && calls[l.CallID] != "1001" {
			t.Errorf("alice's trunk leg ended in another call: %+v", l)
		}
	}
}
