package sip

import (
	"context"

	"github.com/dialtone/dialtone/calls"
	orgdir "github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/media"
)

// AgentJoinPrefix is what a phone dials to join a dialer campaign as its
// agent (the directory routes it).
const AgentJoinPrefix = orgdir.AgentJoinPrefix

// AgentJoin takes an agent's *55 call the switch answered: the call
// engine adopts the leg and hands it to the dialer. An error hangs the
// call up. It runs on the call's goroutine and must not wait for the
// leg's progress.
type AgentJoin func(ctx context.Context, user, campaignNumber string, leg *EngineLeg) error

// SetAgentJoin routes *55 calls to join (nil: *55 is dialled like any
// other string).
func (sw *Switch) SetAgentJoin(join AgentJoin) { sw.agentJoin.Store(&join) }

func (sw *Switch) agentJoinHook() AgentJoin {
	if p := sw.agentJoin.Load(); p != nil {
		return *p
	}
	return nil
}

// agentLeg makes an agent's *55 leg, answered with the switch's media
// port m (payload types pt and te), a leg of the call engine. run hands
// it to the dialer and keeps it up until either side hangs up; hangUp
// ends it first (the agent's phone never acknowledged the answer).
func (sw *Switch) agentLeg(c *calls.Call, m *media.Leg, pt, te uint8) (run func(), hangUp func(reason string)) {
	e := newEngineLeg(sw, c.Caller(), m)
	rt := c.Route()
	e.setPayloadTypes(pt, te)
	run = func() {
		if err := sw.agentJoinHook()(sw.ctx, rt.Caller.Extension, rt.Campaign, e); err != nil {
			c.Log().Info("agent join refused", "user", rt.Caller.Extension, "campaign", rt.Campaign, "error", err)
			e.Hangup(err.Error())
		}
		c.KeepLegUp(e.l, e.stop)
		e.ended(c)
	}
	return run, e.Hangup
}

// Anchors reports whether the switch anchors media, which the call
// engine's legs need.
func (sw *Switch) Anchors() bool { return sw.media != nil }
