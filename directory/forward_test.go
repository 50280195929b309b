package directory

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
)

func TestNextRuleForEachOutcome(t *testing.T) {
	rules := config.Forwarding{Busy: "b", NoAnswer: "n", Unregistered: "u", Always: "a"}
	for _, tt := range []struct {
		outcome Outcome
		want    string
	}{
		{OutcomeBusy, "b"},
		{OutcomeNoAnswer, "n"},
		{OutcomeUnavailable, "n"},
		{OutcomeNotRegistered, "u"},
		{OutcomeFailed, ""},
	} {
		if got := NextRule(rules, tt.outcome); got != tt.want {
			t.Errorf("NextRule(%d) = %q, want %q", tt.outcome, got, tt.want)
		}
		if got := NextRule(config.Forwarding{}, tt.outcome); got != "" {
			t.Errorf("NextRule(%d) without rules = %q", tt.outcome, got)
		}
	}
}

func TestRingTimeoutOfAHop(t *testing.T) {
	after := config.Duration{Duration: 7 * time.Second}
	for _, tt := range []struct {
		name string
		h    Hop
		want time.Duration
	}{
		{"the settings'", Hop{}, 30 * time.Second},
		{"the no-answer rule's", Hop{Rules: config.Forwarding{NoAnswer: "1002", NoAnswerAfter: after}}, 7 * time.Second},
		{"a no_answer_after without its rule", Hop{Rules: config.Forwarding{NoAnswerAfter: after}}, 30 * time.Second},
		{"the engine's", Hop{RingFor: 3 * time.Second, Rules: config.Forwarding{NoAnswer: "1002", NoAnswerAfter: after}}, 3 * time.Second},
	} {
		if got := tt.h.RingTimeout(30 * time.Second); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// forwarding is a forwarder for a call routed as rt, with the users'
// forwarding rules rules (by extension).
func forwarding(d *Directory, rt *Route, rules map[string]config.Forwarding, policy string) *Forwarder {
	return d.Forwarder(ForwardedCall{Route: rt, From: "+12125550123", CallerIDPolicy: policy,
		RulesOf: func(u *User) config.Forwarding { return rules[u.Extension] }})
}

func TestFirstHopTakesTheRulesOfTheNumberOrTheUser(t *testing.T) {
	d := testDirectory()
	alice, bob := d.User("1001"), d.User("1002")
	rules := map[string]config.Forwarding{"1001": {Busy: "1002"}, "1002": {Busy: "1001"}}
	numberRules := config.Forwarding{Always: "1003"}
	d.Number("+14155550199").Forwarding = numberRules
	for _, tt := range []struct {
		name   string
		rt     *Route
		rules  config.Forwarding
		owners int
	}{
		{"a user's own rules", &Route{Targets: []*User{alice}}, rules["1001"], 1},
		{"a number without rules: its user's", &Route{Number: d.Number("+14155550100"), Targets: []*User{alice}}, rules["1001"], 1},
		{"a number's rules win, under every owner", &Route{Number: d.Number("+14155550199"), Targets: []*User{alice}}, numberRules, 2},
		{"a group has none", &Route{Targets: []*User{alice, bob}}, config.Forwarding{}, 0},
		{"the trunk has none", &Route{OutTrunk: d.OutboundTrunk(), E164: "+12125550123"}, config.Forwarding{}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := forwarding(d, tt.rt, rules, "").FirstHop()
			if h.Rules != tt.rules || len(h.Owners) != tt.owners || h.Reason != billing.ReasonDirect {
				t.Fatalf("hop %+v, want rules %+v under %d owners", h, tt.rules, tt.owners)
			}
		})
	}
}

func TestFollowEachKindOfTarget(t *testing.T) {
	d := testDirectory()
	alice, bob := d.User("1001"), d.User("1002")
	rules := map[string]config.Forwarding{"1002": {NoAnswer: "voicemail"}}
	for _, tt := range []struct {
		name, target string
		from         *Hop
		want         string // the next hop
		trunk        bool
		rules        config.Forwarding
		err          error // or an error of this kind
	}{
		{name: "a user, with the user's rules", target: "1002", from: &Hop{Users: []*User{alice}}, want: "1002", rules: rules["1002"]},
		{name: "a user by name", target: "bob", from: &Hop{Users: []*User{alice}}, want: "1002", rules: rules["1002"]},
		{name: "a group rings those not rung yet", target: "group:sales", from: &Hop{Users: []*User{alice}}, want: "1002"},
		{name: "an organization number rings its owners", target: "+14155550199", from: &Hop{Users: []*User{d.User("1003")}}, want: "1001,1002"},
		{name: "an outside number goes to the trunk", target: "+12125550124", from: &Hop{Users: []*User{alice}, Owners: []*User{alice}}, want: "+12125550124", trunk: true},
		{name: "voicemail", target: "voicemail", from: &Hop{Users: []*User{bob}}, want: "voicemail:1002"},
		{name: "voicemail of a group", target: "voicemail", from: &Hop{Users: []*User{alice, bob}}, err: errors.New("")},
		{name: "back to one rung already", target: "1001", from: &Hop{Users: []*User{alice}}, err: ErrForwardLoop},
		{name: "a group all rung already", target: "group:sales", from: &Hop{Users: []*User{alice, bob}}, err: ErrForwardLoop},
		{name: "a number all of whose owners were rung", target: "+14155550199", from: &Hop{Users: []*User{alice, bob}}, err: ErrForwardLoop},
		{name: "an unknown target", target: "carol", from: &Hop{Users: []*User{alice}}, err: errors.New("")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fw := forwarding(d, &Route{Targets: tt.from.Users}, rules, config.ForwardCalledNumber)
			next, err := fw.Follow(tt.from, tt.target, false, func(fr *ForwardRefusal) { t.Fatalf("refused: %v", fr) })
			if tt.err != nil {
				if err == nil || (tt.err.Error() != "" && !errors.Is(err, tt.err)) {
					t.Fatalf("hop %v, error %v; want %v", next, err, tt.err)
				}
				return
			}
			if err != nil || next.String() != tt.want || (next.Trunk != nil) != tt.trunk || next.Rules != tt.rules || next.Reason != billing.ReasonForward {
				t.Fatalf("hop %+v, error %v; want %s", next, err, tt.want)
			}
		})
	}
}

func TestForwardingStopsAfterMaxHops(t *testing.T) {
	cfg := testConfig()
	rules := map[string]config.Forwarding{}
	for i := range MaxForwardHops + 2 {
		ext := fmt.Sprint(2000 + i)
		cfg.Users = append(cfg.Users, config.User{Extension: ext, Role: "agent"})
		rules[ext] = config.Forwarding{Always: fmt.Sprint(2001 + i)}
	}
	d := New(cfg, func(u, p string) string { return "" })
	h := &Hop{Users: []*User{d.User("2000")}, Rules: rules["2000"]}
	fw := forwarding(d, &Route{Targets: h.Users}, rules, "")
	for n := range MaxForwardHops {
		if !fw.CanForward() {
			t.Fatalf("no forward allowed after %d", n)
		}
		next, err := fw.Follow(h, h.Rules.Always, false, nil)
		if err != nil {
			t.Fatalf("forward %d: %v", n+1, err)
		}
		h = next
	}
	if fw.CanForward() {
		t.Error("a forward allowed past the limit")
	}
	if next, err := fw.Follow(h, h.Rules.Always, false, nil); !errors.Is(err, ErrForwardLoop) {
		t.Fatalf("forward %d: hop %v, error %v; want a loop", MaxForwardHops+1, next, err)
	}
}

func TestAForwardTheOwnersMayNotCall(t *testing.T) {
	d := testDirectory()
	bob := d.User("1002") // may call out at home, not premium numbers
	for _, tt := range []struct {
		name      string
		rules     config.Forwarding
		target    string
		voicemail bool
		want      string // the hop instead; "" refused
		refusals  int
	}{
		{"refused, nothing instead", config.Forwarding{Busy: "+19002345678"}, "+19002345678", false, "", 1},
		{"refused, the no-answer rule instead", config.Forwarding{Busy: "+19002345678", NoAnswer: "1001"}, "+19002345678", false, "1001", 1},
		{"refused, the no-answer rule refused too", config.Forwarding{Busy: "+19002345678", NoAnswer: "+442071234567"}, "+19002345678", false, "", 2},
		{"the no-answer rule itself refused", config.Forwarding{NoAnswer: "+19002345678"}, "+19002345678", false, "", 1},
		{"refused, voicemail instead", config.Forwarding{Busy: "+19002345678"}, "+19002345678", true, "voicemail:1002", 1},
		{"allowed", config.Forwarding{Busy: "+12125550124"}, "+12125550124", false, "+12125550124", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &Hop{Users: []*User{bob}, Owners: []*User{bob}, Rules: tt.rules}
			fw := forwarding(d, &Route{Targets: h.Users}, nil, config.ForwardCalledNumber)
			var refused []*ForwardRefusal
			next, err := fw.Follow(h, tt.target, tt.voicemail, func(fr *ForwardRefusal) { refused = append(refused, fr) })
			if len(refused) != tt.refusals {
				t.Fatalf("%d refusals, want %d", len(refused), tt.refusals)
			}
			if tt.refusals > 0 {
				fr := refused[0]
				if fr.Next.E164 != tt.target || fr.Next.Trunk == nil || fr.Next.CallerID != "+14155550100" ||
					!errors.Is(fr.Refusal, ErrForbidden) || fr.Refusal.Reason != "premium-rate numbers not permitted for this user" {
					t.Fatalf("refusal %+v (next %+v)", fr.Refusal, fr.Next)
				}
			}
			if tt.want == "" {
				var fr *ForwardRefusal
				if !errors.Is(err, ErrForwardRefused) || !errors.As(err, &fr) || next != nil {
					t.Fatalf("hop %v, error %v; want refused", next, err)
				}
				return
			}
			if err != nil || next.String() != tt.want {
				t.Fatalf("hop %v, error %v; want %s", next, err, tt.want)
			}
		})
	}
}

func TestAGroupsForwardNeedsEveryOwner(t *testing.T) {
	d := testDirectory()
	n := d.Number("+14155550199") // sales: alice may call premium numbers, bob may not
	h := &Hop{Users: d.OwnerUsers(n), Owners: d.OwnerUsers(n)}
	fw := forwarding(d, &Route{Number: n, Targets: h.Users}, nil, "")
	var reason string
	_, err := fw.Follow(h, "+19002345678", false, func(fr *ForwardRefusal) { reason = fr.Refusal.Reason })
	if !errors.Is(err, ErrForwardRefused) || reason != "premium-rate numbers not permitted for this user (1002)" {
		t.Fatalf("error %v, reason %q", err, reason)
	}
}

func TestCallerIDOfACallForwardedOutside(t *testing.T) {
	d := testDirectory()
	alice, lobby := d.User("1001"), d.User("1003")
	for _, tt := range []struct {
		name, policy, from string
		rt                 *Route
		hopUsers           []*User
		want               string
	}{
		{"the number called", config.ForwardCalledNumber, "+12125550123", &Route{Number: d.Number("+14155550199")}, []*User{alice}, "+14155550199"},
		{"the forwarding user's caller ID", config.ForwardCalledNumber, "+12125550123", &Route{CallerID: "+14155550101"}, []*User{alice}, "+14155550100"},
		{"the caller's, when the user has none", config.ForwardCalledNumber, "1002", &Route{CallerID: "+14155550101"}, []*User{lobby}, "+14155550101"},
		{"the original caller's number", config.ForwardOriginalCaller, "+12125550123", &Route{Number: d.Number("+14155550199")}, []*User{alice}, "+12125550123"},
		{"an original caller with no number", config.ForwardOriginalCaller, "1002", &Route{Number: d.Number("+14155550199")}, []*User{alice}, "+14155550199"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fw := d.Forwarder(ForwardedCall{Route: tt.rt, From: tt.from, CallerIDPolicy: tt.policy, RulesOf: func(*User) config.Forwarding { return config.Forwarding{} }})
			next, err := fw.Follow(&Hop{Users: tt.hopUsers, Owners: []*User{alice}}, "+12125550124", false, nil)
			if err != nil || next.CallerID != tt.want {
				t.Fatalf("hop %+v, error %v; want caller ID %s", next, err, tt.want)
			}
		})
	}
}

func TestAForwardFollowsAReloadWhileTheCallRings(t *testing.T) {
	d := testDirectory()
	cfg := testConfig()
	cfg.Users = append(cfg.Users, config.User{Extension: "2000", Role: "agent"}) // the reload adds a user
	reloaded := New(cfg, func(u, p string) string { return "" })
	current := d
	fw := d.Forwarder(ForwardedCall{Route: &Route{Targets: []*User{d.User("1001")}}, RulesOf: func(*User) config.Forwarding { return config.Forwarding{} },
		Current: func() *Directory { return current }})
	h := fw.FirstHop()
	if next, err := fw.Follow(h, "2000", false, nil); err == nil {
		t.Fatalf("forwarded to %v before the reload", next)
	}
	current = reloaded
	if next, err := fw.Follow(h, "2000", false, nil); err != nil || next.Users[0] != reloaded.User("2000") {
		t.Fatalf("after the reload: hop %v, error %v", next, err)
	}
}
