package sip

import (
	"fmt"
	"testing"
	"time"
)

// guardStep is one thing that happens to the guard: a failure, a success,
// time passing, or a check of what it answers.
type guardStep struct {
	op      string // "fail", "replay", "ok", "wait", "check"
	host    string
	account string
	trusted bool          // check: a live registration of account from host
	wait    time.Duration // wait
	want    blockReason   // check
}

func fail(host, account string) guardStep { return guardStep{op: "fail", host: host, account: account} }
func replay(host, account string) guardStep {
	return guardStep{op: "replay", host: host, account: account}
}
func ok(host, account string) guardStep { return guardStep{op: "ok", host: host, account: account} }
func wait(d time.Duration) guardStep    { return guardStep{op: "wait", wait: d} }
func check(host, account string, want blockReason) guardStep {
	return guardStep{op: "check", host: host, account: account, want: want}
}
func checkRegistered(host, account string, want blockReason) guardStep {
	return guardStep{op: "check", host: host, account: account, trusted: true, want: want}
}

func failsFrom(n int, account string) []guardStep {
	var s []guardStep
	for i := range n {
		s = append(s, fail(fmt.Sprintf("203.0.113.%d", i+1), account))
	}
	return s
}

func TestAuthGuard(t *testing.T) {
	const attacker, phone, office = "198.51.100.7", "192.0.2.10", "192.0.2.20"
	tests := []struct {
		name   string
		limit  int // per address; accounts: twice that
		window time.Duration
		steps  []guardStep
	}{
		{"holding one account does not buy guesses at another", 3, time.Minute, []guardStep{
			fail(attacker, "1002"), ok(attacker, "1001"),
			fail(attacker, "1002"), ok(attacker, "1001"),
			check(attacker, "1002", notBlocked),
			fail(attacker, "1002"),
			check(attacker, "1002", blockedAddress),
			check(attacker, "1001", blockedAddress), // an address block is whole
			check(phone, "1002", notBlocked),
		}},
		{"a success forgets the failures of its own address and account", 3, time.Minute, []guardStep{
			fail(phone, "1001"), fail(phone, "1001"), ok(phone, "1001"),
			fail(phone, "1001"), fail(phone, "1001"),
			check(phone, "1001", notBlocked),
		}},
		{"guesses at an unknown name count against the address", 3, time.Minute, []guardStep{
			fail(attacker, ""), fail(attacker, ""), fail(attacker, ""),
			check(attacker, "", blockedAddress),
		}},
		{"guesses from many addresses lock the account for new addresses", 3, time.Minute, append(failsFrom(6, "1002"),
			check("203.0.113.99", "1002", blockedAccount),
			check("203.0.113.99", "1001", notBlocked),
			check("203.0.113.99", "", notBlocked),
			check("203.0.113.1", "1002", blockedAccount),
		)},
		{"one failure short of the account limit locks nothing", 3, time.Minute, append(failsFrom(5, "1002"),
			check("203.0.113.99", "1002", notBlocked),
		)},
		{"the account's phones keep working while it is locked", 3, time.Minute, append(append([]guardStep{ok(phone, "1002")}, failsFrom(6, "1002")...),
			check(phone, "1002", notBlocked),                      // succeeded recently from there
			checkRegistered(office, "1002", notBlocked),           // registered from there
			check(office, "1002", blockedAccount),                 // neither
			fail(phone, "1002"), check(phone, "1002", notBlocked), // a typo there does not lock it out
		)},
		{"a recent success is trusted for an hour only", 3, 3 * time.Hour, append(append([]guardStep{ok(phone, "1002")}, failsFrom(6, "1002")...),
			check(phone, "1002", notBlocked),
			wait(trustedFor+time.Minute),
			check(phone, "1002", blockedAccount),
			checkRegistered(phone, "1002", notBlocked),
		)},
		{"a success during the lock does not lift it", 3, time.Minute, append(append([]guardStep{ok(phone, "1002")}, failsFrom(6, "1002")...),
			ok(phone, "1002"),
			check(office, "1002", blockedAccount),
		)},
		{"blocks end after the window", 3, time.Minute, append(failsFrom(6, "1002"),
			fail(attacker, "1001"), fail(attacker, "1001"), fail(attacker, "1001"),
			check(attacker, "", blockedAddress),
			wait(time.Minute+time.Second),
			check(attacker, "1001", notBlocked),
			check("203.0.113.99", "1002", notBlocked),
		)},
		{"failures older than the window are forgotten", 3, time.Minute, []guardStep{
			fail(attacker, "1002"), fail(attacker, "1002"),
			wait(time.Minute + time.Second),
			fail(attacker, "1002"),
			check(attacker, "1002", notBlocked),
		}},
		{"a replayed header counts against the address, not the account", 3, time.Minute, []guardStep{
			replay(attacker, "1002"), replay(attacker, "1002"), replay(attacker, "1002"),
			replay("203.0.113.1", "1002"), replay("203.0.113.2", "1002"), replay("203.0.113.3", "1002"),
			check(attacker, "1002", blockedAddress),
			check(office, "1002", notBlocked),
		}},
		{"an IPv6 /64 counts as one address", 3, time.Minute, []guardStep{
			fail("2001:db8:1:2::1", "1002"), fail("2001:db8:1:2::2", "1002"), fail("2001:db8:1:2:ffff::3", "1002"),
			check("2001:db8:1:2::99", "1001", blockedAddress),
			check("2001:db8:1:3::1", "1001", notBlocked),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
			g := newAuthGuard(tt.limit, tt.window)
			g.now = func() time.Time { return now }
			for i, s := range tt.steps {
				switch s.op {
				case "fail", "replay":
					g.fail(s.host, s.account, s.op == "fail")
				case "ok":
					g.succeed(s.host, s.account)
				case "wait":
					now = now.Add(s.wait)
				case "check":
					if got := g.check(s.host, s.account, s.trusted); got != s.want {
						t.Fatalf("step %d: check(%s, %q, registered=%v) = %q, want %q", i, s.host, s.account, s.trusted, got, s.want)
					}
				}
			}
		})
	}
}

func TestAuthGuardReportsTheBlocksItBegins(t *testing.T) {
	g := newAuthGuard(2, time.Minute)
	var begun []blockReason
	for i := range 4 {
		begun = append(begun, g.fail(fmt.Sprintf("203.0.113.%d", i/2), "1002", true)...)
	}
	want := []blockReason{blockedAddress, blockedAddress, blockedAccount}
	if fmt.Sprint(begun) != fmt.Sprint(want) {
		t.Fatalf("blocks begun: %v, want %v", begun, want)
	}
}

func TestGuardTablesStayBounded(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	c := newBoundedCounters[string](64)
	// Eight blocked entries, then a flood of fresh ones.
	for i := range 8 {
		e := c.touch(fmt.Sprintf("blocked-%d", i), time.Minute, now)
		e.blockedUntil = now.Add(time.Minute)
	}
	for i := range 10_000 {
		c.touch(fmt.Sprintf("scan-%d", i), time.Minute, now).count++
		if len(c.entries) > 64 {
			t.Fatalf("%d entries, the bound is 64", len(c.entries))
		}
	}
	for i := range 8 {
		if c.get(fmt.Sprintf("blocked-%d", i)) == nil {
			t.Fatalf("a block in force was dropped for entries that block nothing")
		}
	}
}
