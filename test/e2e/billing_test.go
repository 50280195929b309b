package e2e

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func dec(t *testing.T, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return d
}

func TestOutboundCallIsChargedOncePerStartedMinuteAndDebited(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{Balance: "10.00", NoNumbers: true})
	if b, _ := sw.balance(); !dec(t, b).Equal(dec(t, "10")) {
		t.Fatalf("starting balance %s", b)
	}
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1")
	if res := sw.call(t, "1001", "alice-secret", "+14155550199", 1500); res.code != 0 {
		t.Fatalf("call: sipp exit %d\n%s", res.code, res.out)
	}
	_ = trunk()
	in, out := byDirection(t, sw.cdrs(2))
	// Sample deck: US -> US 0.014/min; 2 s is one started minute; rounded up to the cent.
	if out.Charge == nil || !dec(t, out.Charge.Amount).Equal(dec(t, "0.02")) || out.Charge.Units != 1 {
		t.Fatalf("trunk leg charge: %+v", out.Charge)
	}
	if in.Charge != nil && !dec(t, in.Charge.Amount).IsZero() {
		t.Fatalf("the caller's access leg must be free: %+v", in.Charge)
	}
	if b, _ := sw.balance(); !dec(t, b).Equal(dec(t, "9.98")) {
		t.Fatalf("balance after the call %s, want 9.98", b)
	}
	sw.stop()
	out2, errOut, code := cli(t, "ledger", "verify", "--config", sw.cfgPath, "--data", sw.data)
	if code != 0 {
		t.Fatalf("ledger verify: exit %d\n%s%s", code, out2, errOut)
	}
}

func TestCallWithoutCreditIsRefusedWith402(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{Balance: "0.00", NoNumbers: true})
	res := sw.call(t, "1001", "alice-secret", "+14155550199", 100)
	if res.code == 0 {
		t.Fatal("a call without credit went through")
	}
	mustContain(t, res.out, "402")
	legs := sw.cdrs(1)
	if len(legs) != 1 || legs[0].Disposition != "refused" || legs[0].SIPCode != 402 || !strings.Contains(legs[0].RefuseReason, "credit") {
		t.Fatalf("refused leg: %+v", legs)
	}
}

func TestCallIsCutOffWhenTheCreditRunsOut(t *testing.T) {
	t.Parallel()
	// One cent per second, billed per second: 0.03 pays exactly 3 seconds.
	rates := `  rates:
    - {kind: outbound, origin: US, prefix: "1", price: "0.60", currency: USD, initial: 1, increment: 1}`
	sw := startSwitch(t, switchOpts{Balance: "0.03", NoNumbers: true, Rates: rates})
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1")
	// The caller would hold 20 s; the switch must hang up both sides at 3 s.
	res := sw.call(t, "1001", "alice-secret", "+14155550199", 20000)
	_ = trunk()
	_ = res // sipp counts the switch's BYE as an unexpected message: the CDRs tell
	in, out := byDirection(t, sw.cdrs(2))
	for _, l := range []cdr{in, out} {
		if l.Disposition != "credit-exhausted" || l.BillableSecs < 3 || l.BillableSecs > 4 {
			t.Errorf("leg: disposition %s, %d s", l.Disposition, l.BillableSecs)
		}
	}
	b, _ := sw.balance()
	if d := dec(t, b); d.IsNegative() && d.LessThan(dec(t, "-0.01")) {
		t.Fatalf("balance went below zero by more than one increment: %s", b)
	}
}

func TestANumberAddedToTheConfigIsRentedOnReload(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{Balance: "10.00", NoNumbers: true})
	var added string
	sw.reload(t, func(cfg string) string {
		added = strings.Replace(cfg, "trunks:", "numbers:\n  - number: \"+14155550100\"\n    user: \"1001\"\ntrunks:", 1)
		return added
	})
	// Sample deck: a US local number rents for 1.15 a month.
	if b, _ := sw.balance(); !dec(t, b).Equal(dec(t, "8.85")) {
		t.Fatalf("balance after renting a number: %s, want 8.85", b)
	}
	// And the number now rings its owner: a trunk call to it is routed (480: alice is not registered).
	res := sipp(t, sw.addr(), "-sf", scenario("trunk_in.xml"), "-s", "+14155550100", "-key", "caller", "+16505550123",
		"-m", "1", "-p", strconv.Itoa(freePort(t)))
	mustContain(t, res.out, "480")

	// A config with an error is refused whole.
	if err := os.WriteFile(sw.cfgPath, []byte(added+"\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = sw.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the refusal", 5*time.Second, func() bool { return strings.Contains(sw.log.String(), "reload refused") })
}

func TestANumberAddedThroughTheAPIIsRentedAndRings(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{Balance: "10.00", NoNumbers: true})
	code, body := sw.api("POST", "/v1/numbers", strings.NewReader(`{"number":"+18885550199","user":"carol"}`))
	if code != 201 || !strings.Contains(string(body), `"type":"toll-free"`) {
		t.Fatalf("POST /v1/numbers: %d %s", code, body)
	}
	// Sample deck: a US toll-free number rents for 2.15 a month.
	if b, _ := sw.balance(); !dec(t, b).Equal(dec(t, "7.85")) {
		t.Fatalf("balance after renting: %s, want 7.85", b)
	}
	if code, _ := sw.api("POST", "/v1/numbers", strings.NewReader(`{"number":"+18885550199","user":"1001"}`)); code != 409 {
		t.Fatalf("renting it twice: %d, want 409", code)
	}
	if code, _ := sw.api("POST", "/v1/numbers", strings.NewReader(`{"number":"555","user":"1001"}`)); code != 400 {
		t.Fatalf("a bad number: %d, want 400", code)
	}
	// It survives a restart, is not charged again, and routes to carol.
	sw.stop()
	sw = startSwitch(t, switchOpts{Balance: "10.00", NoNumbers: true, Data: sw.data, Ports: sw})
	if b, _ := sw.balance(); !dec(t, b).Equal(dec(t, "7.85")) {
		t.Fatalf("balance after a restart: %s, want 7.85", b)
	}
	res := sipp(t, sw.addr(), "-sf", scenario("trunk_in.xml"), "-s", "+18885550199", "-key", "caller", "+16505550123",
		"-m", "1", "-p", strconv.Itoa(freePort(t)))
	mustContain(t, res.out, "480") // carol is not registered: routed to her
	if code, _ := sw.api("DELETE", "/v1/numbers/+18885550199", nil); code != 204 {
		t.Fatalf("DELETE: %d", code)
	}
	res = sipp(t, sw.addr(), "-sf", scenario("trunk_in.xml"), "-s", "+18885550199", "-key", "caller", "+16505550123",
		"-m", "1", "-p", strconv.Itoa(freePort(t)))
	mustContain(t, res.out, "404")
}
