package sip

import (
	"context"
	"testing"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/calls"
	"github.com/emiago/sipgo/sip"
)

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
	sw.SetAgentJoin(func(context.Context, string, string, calls.Leg) error { return nil })
	rt, err := dial("*5512")
	if err != nil || !rt.AgentJoin || rt.Campaign != "12" || calls.RoutePeer(rt) != billing.EndpointTrunk {
		t.Fatalf("*5512: %+v, %v", rt, err)
	}
}
