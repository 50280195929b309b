package sip

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/calls"
	"github.com/dialtone/dialtone/config"
	orgdir "github.com/dialtone/dialtone/directory"
)

// keptCDRs keeps the CDRs a test's calls write.
type keptCDRs struct {
	mu   sync.Mutex
	legs []billing.CDR
}

func (k *keptCDRs) Started(*billing.CDR) {}
func (k *keptCDRs) Ended(c *billing.CDR) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.legs = append(k.legs, *c)
	return nil
}

// permissionsYAML: alice may call anything, bob may call out at home,
// carol may not call out; the sales group is alice and bob.
const permissionsYAML = `
organization:
  id: test
roles:
  - name: inbound-only
    permissions: [calls.inbound]
  - name: agent
    permissions: [calls.inbound, calls.outbound]
  - name: boss
    permissions: [calls.inbound, calls.outbound, calls.international, calls.premium]
users:
  - extension: "1001"
    name: alice
    password: alice-secret
    role: boss
    caller_ids: ["+14155550100"]
  - extension: "1002"
    name: bob
    password: bob-secret
    role: agent
    caller_ids: ["+14155550101"]
  - extension: "1003"
    name: carol
    password: carol-secret
    role: inbound-only
groups:
  - name: sales
    members: ["1001", "1002"]
numbers:
  - number: "+14155550100"
    user: "1001"
  - number: "+14155550102"
    group: sales
trunks:
  - name: carrier
    address: 127.0.0.1:5080
`

func permissionsSwitch(t *testing.T, yaml string) (*Switch, *keptCDRs) {
	t.Helper()
	return permissionsSwitchWith(t, yaml, nil)
}

// savedForwarding is forwarding rules saved through the API earlier.
type savedForwarding map[string]config.Forwarding

func (s savedForwarding) LoadForwarding() (map[string]config.Forwarding, error) { return s, nil }
func (s savedForwarding) SaveForwarding(ext string, f config.Forwarding) error {
	s[ext] = f
	return nil
}

// permissionsSwitchWith starts with forwarding rules saved through the
// API (nil: none).
func permissionsSwitchWith(t *testing.T, yaml string, fwd ForwardingStore) (*Switch, *keptCDRs) {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cdrs := &keptCDRs{}
	sw, err := New(cfg, Options{CDRs: cdrs, Forwarding: fwd, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return sw, cdrs
}

// callTo is a call routed to user ext, or to an organization number.
func callTo(sw *Switch, ext, number string) *call {
	rt := &route{}
	dir := sw.directory()
	if number != "" {
		rt.Number = dir.Number(number)
		rt.Targets = dir.OwnerUsers(rt.Number)
	} else {
		rt.Targets = []*user{dir.User(ext)}
	}
	c := &call{host: sw, id: "c", origin: callOrigin{From: "+12125550123"}, rt: rt, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	c.a = newLeg(c.id, billing.LegFacts{Direction: billing.Inbound, Endpoint: billing.EndpointPhone, Peer: billing.EndpointPhone})
	return c
}

func TestForwardingIsCheckedWhenUsed(t *testing.T) {
	tests := []struct {
		name      string
		user      string // whose forwarding, set as the API sets it
		number    string // or the number called
		rules     config.Forwarding
		reloadAs  string // a role the reload gives alice first
		nextHop   string // where the call goes; "" refused with nothing to fall back to
		refusedTo string // the refused leg's destination
		reason    string
	}{
		{name: "a user who may call premium numbers is forwarded", user: "1001",
			rules: config.Forwarding{Always: "+19002345678"}, nextHop: "+19002345678"},
		{name: "a user without calls.outbound is not", user: "1003",
			rules: config.Forwarding{Always: "+19002345678"}, refusedTo: "+19002345678", reason: "outbound calls not permitted"},
		{name: "abroad without calls.international is not", user: "1002",
			rules: config.Forwarding{Busy: "+61291234567"}, refusedTo: "+61291234567", reason: "international calls not permitted"},
		{name: "a refused always falls back to the no-answer rule", user: "1003",
			rules: config.Forwarding{Always: "+19002345678", NoAnswer: "1002"}, nextHop: "1002", refusedTo: "+19002345678"},
		{name: "a permission a reload took away", user: "1001", reloadAs: "agent",
			rules: config.Forwarding{Always: "+19002345678"}, refusedTo: "+19002345678", reason: "premium-rate numbers not permitted"},
		{name: "a group's number needs every member's permission", number: "+14155550102",
			rules: config.Forwarding{Always: "+19002345678"}, refusedTo: "+19002345678", reason: "premium-rate numbers not permitted for this user (1002)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := permissionsYAML
			if tt.number != "" {
				yaml = strings.Replace(yaml, "    group: sales\n", "    group: sales\n    forwarding: {always: \"+14155550199\"}\n", 1)
			}
			// Saved through the API before, when it was allowed, or not
			// checked: the check when used must catch it.
			saved := savedForwarding{}
			if tt.user != "" {
				saved[tt.user] = tt.rules
			}
			sw, cdrs := permissionsSwitchWith(t, yaml, saved)
			if tt.number != "" {
				sw.directory().Number(tt.number).Forwarding = tt.rules // as if the config said so, past the loader's check
			}
			if tt.reloadAs != "" {
				cfg, err := config.Parse([]byte(strings.Replace(permissionsYAML, "    role: boss\n", "    role: "+tt.reloadAs+"\n", 1)), "t.yaml")
				if err != nil {
					t.Fatal(err)
				}
				if err := sw.Reload(cfg); err != nil {
					t.Fatal(err)
				}
			}
			c := callTo(sw, tt.user, tt.number)
			fw := c.forwarder()
			h := fw.FirstHop()
			target := h.Rules.Always
			if target == "" {
				target = h.Rules.Busy
			}
			next, err := c.follow(fw, h, target)
			switch {
			case tt.nextHop == "" && (!errors.Is(err, orgdir.ErrForwardRefused) || !errors.Is(err, calls.ErrNoAnswer)):
				t.Fatalf("got hop %v, error %v; want a refusal that counts as unanswered", next, err)
			case tt.nextHop != "" && (err != nil || next.String() != tt.nextHop):
				t.Fatalf("got hop %v, error %v; want %s", next, err, tt.nextHop)
			}
			var refused []billing.CDR
			for _, l := range cdrs.legs {
				if l.Disposition == billing.Refused {
					refused = append(refused, l)
				}
			}
			if tt.refusedTo == "" {
				if len(refused) > 0 {
					t.Fatalf("refused legs: %+v", refused)
				}
				return
			}
			if len(refused) != 1 {
				t.Fatalf("want one refused leg, got %+v", cdrs.legs)
			}
			l := refused[0]
			if l.To != tt.refusedTo || l.Reason != billing.ReasonForward || l.Endpoint != billing.EndpointTrunk || l.SIPCode != 403 ||
				l.ParentLegID != c.a.CDR.LegID || l.AnsweredAt != nil || !strings.Contains(l.RefuseReason, tt.reason) {
				t.Fatalf("refused leg: %+v", l)
			}
		})
	}
}

func TestPutForwardingRefusesWhatTheUserMayNotCall(t *testing.T) {
	tests := []struct {
		name, path, body string
		code             int
		rule             string
	}{
		{"a premium number for a user who may not call out", "/v1/users/1003/forwarding", `{"always":"+19002345678"}`, 422, "calls.outbound"},
		{"a premium number for a user who may call out", "/v1/users/bob/forwarding", `{"no_answer":"+19002345678"}`, 422, "calls.premium"},
		{"abroad for a user who may not", "/v1/users/bob/forwarding", `{"busy":"+61291234567"}`, 422, "calls.international"},
		{"a number at home", "/v1/users/bob/forwarding", `{"busy":"+14155550199"}`, 200, ""},
		{"the organization's own number rings inside", "/v1/users/carol/forwarding", `{"always":"+14155550100"}`, 200, ""},
		{"another user", "/v1/users/carol/forwarding", `{"always":"1001"}`, 200, ""},
		{"a number rented with forwarding its owner may not call", "/v1/numbers", `{"number":"+14155550103","user":"carol","forwarding":{"always":"+14155550199"}}`, 422, "calls.outbound"},
		{"a group's number forwarding abroad", "/v1/numbers", `{"number":"+14155550103","group":"sales","forwarding":{"always":"+61291234567"}}`, 422, "calls.international"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sw, _ := permissionsSwitch(t, permissionsYAML)
			var err error
			if tt.path == "/v1/numbers" {
				var n config.Number
				if err := json.Unmarshal([]byte(tt.body), &n); err != nil {
					t.Fatal(err)
				}
				_, err = sw.AddNumber(context.Background(), n)
			} else {
				var f config.Forwarding
				if err := json.Unmarshal([]byte(tt.body), &f); err != nil {
					t.Fatal(err)
				}
				err = sw.SetForwarding(strings.Split(tt.path, "/")[3], f)
			}
			if tt.code/100 == 2 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			// Package api answers a ForwardingRefusedError 422 with its
			// fields (TestSwitchErrorsAreAnsweredWithTheirStatus).
			var refused *ForwardingRefusedError
			if !errors.As(err, &refused) {
				t.Fatalf("error %v, want a forwarding refusal (%d)", err, tt.code)
			}
			if refused.Rule != tt.rule || !strings.Contains(refused.Error(), tt.rule) {
				t.Fatalf("error %+v, want the rule %s named", refused, tt.rule)
			}
			for _, ext := range []string{"1001", "1002", "1003"} {
				if f, _ := sw.Forwarding(ext); !f.IsZero() {
					t.Fatalf("a refused request set %s's forwarding: %+v", ext, f)
				}
			}
			if n := sw.Numbers(); len(n) != 2 {
				t.Fatalf("a refused request changed the numbers: %+v", n)
			}
		})
	}
}

func TestReplacesNamesOnlyTheTransferorsOwnDialogs(t *testing.T) {
	sw, _ := permissionsSwitch(t, permissionsYAML)
	bob := sw.directory().User("bob")
	dialog := func(ep billing.Endpoint, party string) *leg {
		l := newLeg("c", billing.LegFacts{Direction: billing.Inbound, Endpoint: ep, Peer: billing.EndpointPhone})
		l.Party = party
		return l
	}
	tests := []struct {
		name string
		x2   *leg
		ok   bool
	}{
		{"the transferor's consultation dialog", dialog(billing.EndpointPhone, "1002"), true},
		{"another user's dialog", dialog(billing.EndpointPhone, "1001"), false},
		{"a trunk's dialog", dialog(billing.EndpointTrunk, ""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mayReplace(bob, tt.x2); got != tt.ok {
				t.Fatalf("mayReplace = %t, want %t", got, tt.ok)
			}
		})
	}
}

func TestOutgoingInvitesNameTheUserEachRings(t *testing.T) {
	sw, _ := permissionsSwitch(t, permissionsYAML)
	for i, ext := range []string{"1001", "1002", "1002"} {
		b := binding{Contact: sip.Uri{Scheme: "sip", User: ext, Host: "127.0.0.1", Port: 5070 + i}, Source: "127.0.0.1:5070", Transport: "udp", Expires: time.Now().Add(time.Hour)}
		sw.reg.update(ext, registerChange{add: []binding{b}}, 10)
	}
	c := callTo(sw, "1001", "")
	sw.cfg.SIP.Domain = "example.test"
	c.origin = callOrigin{From: "sales"}
	c.rt.Caller = sw.directory().User("1003")
	r := ringRequest{CallID: c.id, Origin: c.origin, Caller: c.rt.Caller, MaxForks: c.settings().MaxForks}
	reqs, parties, err := sipNetwork{sw}.outgoingInvites(r, &hop{Users: []*user{sw.directory().User("1001"), sw.directory().User("1002")}})
	if err != nil {
		t.Fatal(err)
	}
	sorted := slices.Sorted(slices.Values(parties)) // the order is the contacts' freshness
	if len(reqs) != 3 || strings.Join(sorted, ",") != "1001,1002,1002" {
		t.Fatalf("%d invites for %v", len(reqs), parties)
	}
	for i, r := range reqs {
		if r.Recipient.User != parties[i] {
			t.Errorf("invite to %s is said to ring %s", r.Recipient.User, parties[i])
		}
	}
}
