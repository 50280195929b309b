package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// The ledger commands must work while the switch holds the database: they
// ask its API, and their answers have the shape of the offline ones.
func TestLedgerCommandsWorkWhileTheSwitchRuns(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{Balance: "10.00", NoNumbers: true})
	flags := []string{"--config", sw.cfgPath, "--data", sw.data}

	out, errOut, code := cli(t, append([]string{"balance"}, flags...)...)
	if code != 0 {
		t.Fatalf("balance: exit %d\n%s%s", code, out, errOut)
	}
	mustContain(t, errOut, "asking its API")
	var bal struct{ Balance, Available string }
	if err := json.Unmarshal([]byte(out), &bal); err != nil || dec(t, bal.Balance).Cmp(dec(t, "10")) != 0 {
		t.Fatalf("balance answer %q: %v", out, err)
	}

	args := append([]string{"topup", "--amount", "2.50", "--id", "cli-1"}, flags...)
	for i := range 2 { // the second is a replay: one credit
		if out, errOut, code := cli(t, args...); code != 0 {
			t.Fatalf("topup %d: exit %d\n%s%s", i, code, out, errOut)
		}
	}
	if b, _ := sw.balance(); dec(t, b).Cmp(dec(t, "12.50")) != 0 {
		t.Fatalf("balance after a top-up and its replay: %s, want 12.50", b)
	}

	out, errOut, code = cli(t, append([]string{"ledger", "verify"}, flags...)...)
	if code != 0 || !strings.Contains(out, `"differences": []`) {
		t.Fatalf("ledger verify: exit %d\n%s%s", code, out, errOut)
	}

	sw.call(t, "1001", "alice-secret", "1003", 100) // unregistered: a refused or unanswered leg, still a CDR
	out, errOut, code = cli(t, append([]string{"cdr", "list", "--format", "csv"}, flags...)...)
	if code != 0 || !strings.HasPrefix(out, "leg_id,") || strings.Count(out, "\n") < 2 {
		t.Fatalf("cdr list: exit %d\n%s%s", code, out, errOut)
	}

	out, errOut, code = cli(t, append([]string{"rentals", "list"}, flags...)...)
	if code != 0 || !strings.Contains(out, "rentals") {
		t.Fatalf("rentals list: exit %d\n%s%s", code, out, errOut)
	}
}

func TestNoCommandPrintsUsageAndFails(t *testing.T) {
	t.Parallel()
	out, errOut, code := cli(t)
	if code != 2 || out != "" || !strings.Contains(errOut, "dialtone serve") {
		t.Fatalf("dialtone with no arguments: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if out, _, code := cli(t, "help"); code != 0 || !strings.Contains(out, "dialtone serve") {
		t.Fatalf("dialtone help: exit %d, stdout %q", code, out)
	}
}
