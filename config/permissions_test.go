package config

import (
	"strings"
	"testing"
)

func TestCheckOutsideCall(t *testing.T) {
	all := map[string]bool{PermCallsOutbound: true, PermCallsInternational: true, PermCallsPremium: true}
	outbound := map[string]bool{PermCallsOutbound: true}
	tests := []struct {
		name     string
		perms    map[string]bool
		callerID string
		to       string
		rule     string // "" when allowed
	}{
		{"a domestic call with calls.outbound", outbound, "+14155550100", "+14155550199", ""},
		{"no calls.outbound", map[string]bool{PermCallsInbound: true}, "+14155550100", "+14155550199", PermCallsOutbound},
		{"no caller ID", outbound, "", "+14155550199", RuleCallerID},
		{"abroad from the caller ID's country", outbound, "+14155550100", "+61291234567", PermCallsInternational},
		{"abroad is relative to the caller ID", outbound, "+61291234567", "+61299999999", ""},
		{"a premium-rate number", outbound, "+14155550100", "+19002345678", PermCallsPremium},
		{"everything granted", all, "+14155550100", "+19002345678", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := CheckOutsideCall(tt.perms, tt.callerID, tt.to)
			switch {
			case tt.rule == "" && r != nil:
				t.Fatalf("refused: %v", r)
			case tt.rule != "" && (r == nil || r.Rule != tt.rule):
				t.Fatalf("got %+v, want a refusal by %s", r, tt.rule)
			}
		})
	}
}

func TestCheckOutsideCallForAGroupNeedsEveryMember(t *testing.T) {
	boss := Caller{Name: "1001", Perms: map[string]bool{PermCallsOutbound: true, PermCallsPremium: true}, CallerID: "+14155550100"}
	agent := Caller{Name: "1002", Perms: map[string]bool{PermCallsOutbound: true}, CallerID: "+14155550100"}
	if who, r := CheckOutsideCallFor([]Caller{boss, agent}, "+19002345678"); r == nil || who != "1002" || r.Rule != PermCallsPremium {
		t.Fatalf("got %s %+v, want 1002 refused by calls.premium", who, r)
	}
	if _, r := CheckOutsideCallFor([]Caller{boss}, "+19002345678"); r != nil {
		t.Fatalf("refused: %v", r)
	}
	if _, r := CheckOutsideCallFor(nil, "+14155550199"); r == nil {
		t.Fatal("a leg for nobody was allowed")
	}
}

// permsBase has a user without outbound calls and one without premium.
const permsBase = `
roles:
  - name: inbound-only
    permissions: [calls.inbound]
  - name: agent
    permissions: [calls.inbound, calls.outbound]
users:
  - extension: "1001"
    password: x-secret
    role: agent
    caller_ids: ["+14155550100"]
  - extension: "1003"
    name: carol
    password: y-secret
    role: inbound-only
groups:
  - name: sales
    members: ["1001", "1003"]
`

func TestForwardingToNumbersTheOwnerMayNotCallIsAConfigError(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // "" want: the config is valid
	}{
		{"a user without calls.outbound forwards to a premium number",
			strings.Replace(permsBase, "    role: inbound-only\n", "    role: inbound-only\n    forwarding: {always: \"+19002345678\"}\n", 1),
			[]string{`p.yaml:16: users[1].forwarding.always: forwarding to +19002345678 refused: outbound calls not permitted for this user (rule calls.outbound)`}},
		{"a user with calls.outbound forwards to a premium number",
			strings.Replace(permsBase, "    caller_ids: [\"+14155550100\"]\n", "    caller_ids: [\"+14155550100\"]\n    forwarding:\n      busy: \"1003\"\n      no_answer: \"+61291234567\"\n", 1),
			[]string{`p.yaml:14: users[0].forwarding.no_answer: forwarding to +61291234567 refused: international calls not permitted for this user (rule calls.international)`}},
		{"a user forwards to a domestic number",
			strings.Replace(permsBase, "    caller_ids: [\"+14155550100\"]\n", "    caller_ids: [\"+14155550100\"]\n    forwarding: {always: \"+14155550199\"}\n", 1), nil},
		{"forwarding to the organization's own number rings inside",
			strings.Replace(permsBase, "    role: inbound-only\n", "    role: inbound-only\n    forwarding: {always: \"+14155550101\"}\n", 1) +
				"numbers:\n  - number: \"+14155550101\"\n    user: \"1001\"\n", nil},
		{"a number's forwarding is checked against its owner",
			permsBase + "numbers:\n  - number: \"+14155550101\"\n    user: carol\n    forwarding: {unregistered: \"+14155550199\"}\n",
			[]string{`p.yaml:22: numbers[0].forwarding.unregistered: forwarding to +14155550199 refused: outbound calls not permitted`}},
		{"a group's number is checked against every member",
			permsBase + "numbers:\n  - number: \"+14155550101\"\n    group: sales\n    forwarding: {always: \"+14155550199\"}\n",
			[]string{`p.yaml:22: numbers[0].forwarding.always: forwarding to +14155550199 refused (user 1003): outbound calls not permitted`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The organization and trunk every config needs go last, so
			// the lines the errors name stay where they are.
			_, err := Parse([]byte(tt.yaml+"organization:\n  id: t\ntrunks:\n  - name: c\n    address: 127.0.0.1:5080\n"), "p.yaml")
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q not in\n%v", w, err)
				}
			}
		})
	}
}
