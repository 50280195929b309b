package calls

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dialtone/dialtone/billing"
	orgdir "github.com/dialtone/dialtone/directory"
)

// An agent's *55 call is answered with the switch's media and handed to
// the engine as a leg of its own, which ends (and writes its CDR) when
// the agent hangs up; a join the dialer refuses hangs the call up.
func TestAStar55CallIsHandedToTheEngine(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("refused=%v", refuse), func(t *testing.T) {
			host := newFakeHost(t, nil)
			host.pool = newTestPool(t)
			e := New(nil, host.log)
			type joined struct {
				user, campaign string
				leg            LegID
				events         *stream
			}
			joins := make(chan joined, 1)
			host.agentJoin = func(_ context.Context, user, campaign string, leg Leg) error {
				// Subscribed before the engine has the leg: its end
				// may come at once.
				events := subscribe(t.Context(), e, Filter{Legs: []LegID{leg.ID()}})
				joins <- joined{user, campaign, e.Adopt(leg), events}
				if refuse {
					return errors.New("no such campaign")
				}
				return nil
			}
			agent := answeringParty(t, "agent")
			dir := host.CallDirectory()
			rt := &orgdir.Route{Caller: dir.User("1002"), AgentJoin: true, Campaign: "12"}
			c := NewIncomingCall(host, agent, Origin{From: "1002", Dialed: "*5512"}, rt, dir.Settings, host.log)
			over := start(c)
			var j joined
			select {
			case j = <-joins:
			case <-time.After(hangTimeout):
				t.Fatal("the *55 call was not handed to the engine")
			}
			if j.user != "1002" || j.campaign != "12" || string(j.leg) != c.a.CDR.LegID {
				t.Fatalf("joined %+v, want bob's leg in campaign 12", j)
			}
			if refuse {
				agent.await(t, "bye")
			} else {
				agent.await(t, "answer")
				agent.hangUp()
			}
			ended := next(t, j.events, j.leg, EventLegEnded)
			awaitOver(t, over)
			host.cdrs.mu.Lock()
			cdr := host.cdrs.legs[0]
			host.cdrs.mu.Unlock()
			if ended.CDRLegID != cdr.LegID || cdr.Reason != billing.ReasonDialer || cdr.Disposition != billing.Answered || cdr.AnsweredAt == nil {
				t.Errorf("ended %+v, CDR %+v", ended, cdr)
			}
		})
	}
}
