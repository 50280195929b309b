package sip

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/calls"
	"github.com/emiago/sipgo/sip"
)

// brokeMeter refuses every leg's first slice.
type brokeMeter struct{}

func (brokeMeter) Authorize(context.Context, billing.LegRequest) (*billing.Reservation, error) {
	return nil, billing.ErrInsufficientCredit
}
func (brokeMeter) Answered(string, time.Time) {}
func (brokeMeter) Renew(context.Context, string) (time.Duration, error) {
	return 0, billing.ErrInsufficientCredit
}
func (brokeMeter) Release(string) {}

// The call engine's legs get a hand-dialled call's checks: the user, the
// outside number's permission for the caller ID's country, the caller ID
// itself, and the credit; a refusal is told apart from no credit.
func TestOriginateChecksLikeAHandDialledCall(t *testing.T) {
	for _, tc := range []struct {
		name      string
		o         Origination
		broke     bool
		refused   bool
		noCredit  bool
		wantAllow bool // passes every check (and stops at the missing media pool)
	}{
		{name: "no such user", o: Origination{User: "7777", To: "+14155559999", CallerID: "+14155550100"}, refused: true},
		{name: "inbound-only role", o: Origination{User: "1003", To: "+14155559999", CallerID: "+14155550100"}, refused: true},
		{name: "international without the permission", o: Origination{User: "1002", To: "+442071234567", CallerID: "+14155550101"}, refused: true},
		{name: "a caller ID neither the organization's nor the user's", o: Origination{User: "1002", To: "+14155559999", CallerID: "+12125550199"}, refused: true},
		{name: "not a number", o: Origination{User: "1002", To: "nope", CallerID: "+14155550101"}, refused: true},
		{name: "the user's own caller ID", o: Origination{User: "1002", To: "+14155559999", CallerID: "+14155550101"}, wantAllow: true},
		{name: "an organization number", o: Origination{User: "1002", To: "(415) 555-9999", CallerID: "+14155550100"}, wantAllow: true},
		{name: "international with the permission", o: Origination{User: "1001", To: "+442071234567", CallerID: "+14155550100"}, wantAllow: true},
		{name: "no credit", o: Origination{User: "1002", To: "+14155559999", CallerID: "+14155550101"}, broke: true, noCredit: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sw, _ := permissionsSwitch(t, permissionsYAML)
			if tc.broke {
				sw.meter = brokeMeter{}
			}
			_, err := sw.Originate(context.Background(), tc.o)
			switch {
			case tc.refused && !errors.Is(err, ErrOriginateRefused):
				t.Fatalf("want a refusal, got %v", err)
			case tc.noCredit && (!errors.Is(err, billing.ErrInsufficientCredit) || errors.Is(err, ErrOriginateRefused)):
				t.Fatalf("want no credit, got %v", err)
			case tc.wantAllow && !errors.Is(err, errNoAnchor):
				t.Fatalf("want the checks passed, got %v", err)
			}
		})
	}
}

// *55 is an agent joining the dialer once the call engine hooks it (the
// directory's routing tests cover the numbers), and the agent's leg is
// free access.
func TestAgentJoinRoute(t *testing.T) {
	sw, _ := permissionsSwitch(t, permissionsYAML)
	u := sw.directory().User("1002")
	dial := func(dialed string) (*route, error) {
		return sw.routeFromPhone(sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: dialed, Host: "example.test"}), u)
	}
	if rt, _ := dial("*55"); rt != nil && rt.AgentJoin {
		t.Fatal("*55 routed with no engine hooked")
	}
	sw.SetAgentJoin(func(context.Context, string, string, *EngineLeg) error { return nil })
	rt, err := dial("*5512")
	if err != nil || !rt.AgentJoin || rt.Campaign != "12" || calls.RoutePeer(rt) != billing.EndpointTrunk {
		t.Fatalf("*5512: %+v, %v", rt, err)
	}
}
