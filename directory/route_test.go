package directory

import (
	"errors"
	"slices"
	"testing"
)

// routeSummary is what a test checks of a route.
type routeSummary struct {
	targets  []string
	number   string
	e164     string
	trunk    string
	callerID string
	mailbox  bool
	campaign string // "*" + campaign for an agent's join
}

func summarize(r *Route) routeSummary {
	s := routeSummary{e164: r.E164, callerID: r.CallerID, mailbox: r.Mailbox}
	for _, u := range r.Targets {
		s.targets = append(s.targets, u.Extension)
	}
	if r.Number != nil {
		s.number = r.Number.Number
	}
	if r.OutTrunk != nil {
		s.trunk = r.OutTrunk.Name
	}
	if r.AgentJoin {
		s.campaign = "*" + r.Campaign
	}
	return s
}

func (s routeSummary) equal(o routeSummary) bool {
	return slices.Equal(s.targets, o.targets) && s.number == o.number && s.e164 == o.e164 && s.trunk == o.trunk &&
		s.callerID == o.callerID && s.mailbox == o.mailbox && s.campaign == o.campaign
}

// wantRoute checks a route of caller against want, or a refusal of kind
// saying reason (kind set).
func wantRoute(t *testing.T, r *Route, err error, caller *User, want routeSummary, kind error, reason string) {
	t.Helper()
	if kind != nil {
		wantRefusal(t, err, kind, reason)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := summarize(r); !got.equal(want) || r.Caller != caller {
		t.Fatalf("route %+v, want %+v", got, want)
	}
}

// wantRefusal checks err is a Refusal of kind saying reason.
func wantRefusal(t *testing.T, err error, kind error, reason string) {
	t.Helper()
	var r *Refusal
	if !errors.As(err, &r) || !errors.Is(err, kind) || r.Reason != reason {
		t.Fatalf("error %v, want a %v refusal %q", err, kind, reason)
	}
}

func TestRouteFromPhone(t *testing.T) {
	d := testDirectory()
	verified := &AskedIdentity{Number: "+14155550101", OK: true}
	for _, tt := range []struct {
		name, user, dialed string
		identity           *AskedIdentity
		agentJoin          bool
		want               routeSummary
		kind               error
		reason             string
	}{
		{name: "an extension", user: "1002", dialed: "1001", want: routeSummary{targets: []string{"1001"}, callerID: "+14155550100"}},
		{name: "a name", user: "1002", dialed: "alice", want: routeSummary{targets: []string{"1001"}, callerID: "+14155550100"}},
		{name: "oneself", user: "1001", dialed: "1001", want: routeSummary{targets: []string{"1001"}, callerID: "+14155550100"}},
		{name: "a group rings everyone but the caller", user: "1001", dialed: "sales", want: routeSummary{targets: []string{"1002"}, callerID: "+14155550100"}},
		{name: "an empty group", user: "1001", dialed: "empty", kind: ErrNobodyToRing, reason: "no one else in the group"},
		{name: "an organization number rings its owners", user: "1003", dialed: "+14155550199",
			want: routeSummary{targets: []string{"1001", "1002"}, number: "+14155550199"}},
		{name: "a national organization number", user: "1002", dialed: "4155550199",
			want: routeSummary{targets: []string{"1001"}, number: "+14155550199", callerID: "+14155550100"}},
		{name: "one's own number", user: "1001", dialed: "+14155550100", kind: ErrNobodyToRing, reason: "the number has no one else to ring"},
		{name: "an outside number goes to the trunk", user: "1002", dialed: "+12125550123",
			want: routeSummary{e164: "+12125550123", trunk: "carrier", callerID: "+14155550100"}},
		{name: "a national outside number in the caller's country", user: "1002", dialed: "2125550123",
			want: routeSummary{e164: "+12125550123", trunk: "carrier", callerID: "+14155550100"}},
		{name: "abroad without calls.international", user: "1002", dialed: "+442071234567", kind: ErrForbidden, reason: "international calls not permitted for this user"},
		{name: "premium without calls.premium", user: "1002", dialed: "+19002345678", kind: ErrForbidden, reason: "premium-rate numbers not permitted for this user"},
		{name: "premium with it", user: "1001", dialed: "+19002345678", want: routeSummary{e164: "+19002345678", trunk: "carrier", callerID: "+14155550100"}},
		{name: "no such user or number", user: "1002", dialed: "carol", kind: ErrNotFound, reason: "no such user or number"},
		{name: "the voicemail extension", user: "1002", dialed: "*97", want: routeSummary{mailbox: true, callerID: "+14155550100"}},
		{name: "*72 presents the second caller ID", user: "1001", dialed: "*72+12125550123",
			want: routeSummary{e164: "+12125550123", trunk: "carrier", callerID: "+14155550101"}},
		{name: "*70 is no caller ID", user: "1001", dialed: "*70+12125550123", kind: ErrNotFound, reason: "caller ID prefix needs a digit 1-9"},
		{name: "*73 is one the user does not have", user: "1001", dialed: "*73+12125550123", kind: ErrForbidden, reason: "no such caller ID for this user"},
		{name: "a verified identity asked for", user: "1001", dialed: "+12125550123", identity: verified,
			want: routeSummary{e164: "+12125550123", trunk: "carrier", callerID: "+14155550101"}},
		{name: "an identity not the user's", user: "1002", dialed: "+12125550123", identity: verified,
			kind: ErrForbidden, reason: "caller ID +14155550101 is not verified for this user"},
		{name: "an unreadable identity", user: "1001", dialed: "+12125550123", identity: &AskedIdentity{},
			kind: ErrMalformed, reason: "unreadable P-Preferred-Identity"},
		{name: "*55 with the dialer on", user: "1002", dialed: "*55", agentJoin: true, want: routeSummary{campaign: "*", callerID: "+14155550100"}},
		{name: "*55 and a campaign number", user: "1002", dialed: "*5512", agentJoin: true, want: routeSummary{campaign: "*12", callerID: "+14155550100"}},
		{name: "*55 and not a number", user: "1002", dialed: "*55x", agentJoin: true, kind: ErrNotFound, reason: "no such user or number"},
		{name: "*55 with the dialer off", user: "1002", dialed: "*5512", kind: ErrNotFound, reason: "no such user or number"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := d.RouteFromPhone(d.User(tt.user), Dialing{Dialed: tt.dialed, Identity: tt.identity, VoicemailExtension: "*97", AgentJoin: tt.agentJoin})
			wantRoute(t, r, err, d.User(tt.user), tt.want, tt.kind, tt.reason)
		})
	}
}

func TestRouteWithoutATrunk(t *testing.T) {
	cfg := testConfig()
	cfg.Trunks = nil
	d := New(cfg, func(u, p string) string { return "" })
	_, err := d.RouteDialed(d.User("1001"), "+12125550123", "+14155550100")
	wantRefusal(t, err, ErrNoTrunk, "no trunk to the public network")
}

func TestRouteFromTrunk(t *testing.T) {
	d := testDirectory()
	carrier := d.OutboundTrunk()
	for _, tt := range []struct {
		name, dialed string
		want         routeSummary
		kind         error
		reason       string
	}{
		{name: "a user's number", dialed: "+14155550100", want: routeSummary{targets: []string{"1001"}, number: "+14155550100", callerID: "+12125550123"}},
		{name: "without the plus", dialed: "14155550100", want: routeSummary{targets: []string{"1001"}, number: "+14155550100", callerID: "+12125550123"}},
		{name: "a group's number", dialed: "+14155550199", want: routeSummary{targets: []string{"1001", "1002"}, number: "+14155550199", callerID: "+12125550123"}},
		{name: "nobody who may take it", dialed: "+14155550198", kind: ErrForbidden, reason: "the number's owner may not take inbound calls"},
		{name: "not ours", dialed: "+14155550111", kind: ErrNotFound, reason: "not a number of this organization"},
		{name: "not a number", dialed: "alice", kind: ErrNotFound, reason: "not a number of this organization"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := d.RouteFromTrunk(carrier, tt.dialed, "+12125550123")
			if tt.kind != nil {
				wantRefusal(t, err, tt.kind, tt.reason)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := summarize(r); !got.equal(tt.want) || r.InTrunk != carrier || r.Caller != nil {
				t.Fatalf("route %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRouteOrigination(t *testing.T) {
	d := testDirectory()
	for _, tt := range []struct {
		name, user, to, callerID string
		want                     routeSummary
		kind                     error
		reason                   string
	}{
		{name: "an extension", user: "1002", to: "1001", want: routeSummary{targets: []string{"1001"}}},
		{name: "a lead with an organization number", user: "1002", to: "+12125550123", callerID: "+14155550199",
			want: routeSummary{e164: "+12125550123", trunk: "carrier", callerID: "+14155550199"}},
		{name: "a national lead", user: "1002", to: "2125550123", callerID: "+14155550100",
			want: routeSummary{e164: "+12125550123", trunk: "carrier", callerID: "+14155550100"}},
		{name: "a caller ID neither ours nor the user's", user: "1002", to: "+12125550123", callerID: "+12125550100",
			kind: ErrForbidden, reason: "caller ID +12125550100 is neither an organization number nor one of 1002's"},
		{name: "no number", user: "1002", to: "lead", callerID: "+14155550100", kind: ErrNotFound, reason: `"lead" is no number`},
		{name: "abroad without calls.international", user: "1002", to: "+442071234567", callerID: "+14155550100",
			kind: ErrForbidden, reason: "international calls not permitted for this user"},
		{name: "without calls.outbound", user: "1003", to: "+12125550123", callerID: "+14155550100",
			kind: ErrForbidden, reason: "outbound calls not permitted for this user"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := d.RouteOrigination(d.User(tt.user), tt.to, tt.callerID)
			wantRoute(t, r, err, d.User(tt.user), tt.want, tt.kind, tt.reason)
		})
	}
}
