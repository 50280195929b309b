package calls

import (
	"errors"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
	orgdir "github.com/dialtone/dialtone/directory"
)

// callTo is a call routed to user ext, or to an organization number.
func callTo(h *fakeHost, ext, number string) *Call {
	rt := &orgdir.Route{}
	dir := h.CallDirectory()
	if number != "" {
		rt.Number = dir.Number(number)
		rt.Targets = dir.OwnerUsers(rt.Number)
	} else {
		rt.Targets = []*orgdir.User{dir.User(ext)}
	}
	c := &Call{host: h, id: "c", origin: Origin{From: "+12125550123"}, rt: rt, log: h.log}
	c.a = c.newLeg(billing.LegFacts{Direction: billing.Inbound, Endpoint: billing.EndpointPhone, Peer: billing.EndpointPhone})
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
			yaml := loopYAML
			if tt.number != "" {
				yaml = strings.Replace(yaml, "    group: sales\n", "    group: sales\n    forwarding: {always: \"+14155550199\"}\n", 1)
			}
			// Saved through the API before, when it was allowed, or not
			// checked: the check when used must catch it.
			saved := savedForwarding{}
			if tt.user != "" {
				saved[tt.user] = tt.rules
			}
			host := newFakeHost(t, saved)
			host.load(t, yaml)
			cdrs := host.cdrs
			if tt.number != "" {
				host.CallDirectory().Number(tt.number).Forwarding = tt.rules // as if the config said so, past the loader's check
			}
			if tt.reloadAs != "" {
				host.load(t, strings.Replace(loopYAML, "    role: boss\n", "    role: "+tt.reloadAs+"\n", 1))
			}
			c := callTo(host, tt.user, tt.number)
			fw := c.forwarder()
			h := fw.FirstHop()
			target := h.Rules.Always
			if target == "" {
				target = h.Rules.Busy
			}
			next, err := c.follow(fw, h, target)
			switch {
			case tt.nextHop == "" && (!errors.Is(err, orgdir.ErrForwardRefused) || !errors.Is(err, ErrNoAnswer)):
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

func TestReplacesNamesOnlyTheTransferorsOwnDialogs(t *testing.T) {
	bob := newFakeHost(t, nil).CallDirectory().User("bob")
	dialog := func(ep billing.Endpoint, party string) *CallLeg {
		l := &CallLeg{}
		l.initCallLeg("c", billing.LegFacts{Direction: billing.Inbound, Endpoint: ep, Peer: billing.EndpointPhone})
		l.Party = party
		return l
	}
	tests := []struct {
		name string
		x2   *CallLeg
		ok   bool
	}{
		{"the transferor's consultation dialog", dialog(billing.EndpointPhone, "1002"), true},
		{"another user's dialog", dialog(billing.EndpointPhone, "1001"), false},
		{"a trunk's dialog", dialog(billing.EndpointTrunk, ""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MayReplace(bob, tt.x2); got != tt.ok {
				t.Fatalf("MayReplace = %t, want %t", got, tt.ok)
			}
		})
	}
}
