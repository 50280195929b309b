package sip

import (
	"context"
	"fmt"
	"time"

	"github.com/dialtone/dialtone/billing"
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

// joinAgent answers an agent's *55 call with the switch's own media and
// hands the leg to the call engine, then keeps it up until either side
// hangs up.
func (c *call) joinAgent() {
	sw := c.sw
	if sw.media == nil || c.Relay == nil {
		c.refuseDialog(refuse(503, "Service Unavailable", "the dialer needs anchored media"))
		return
	}
	a, b, err := c.Relay.Detach()
	c.Relay = nil
	if err != nil {
		c.refuseDialog(asCallError(fmt.Errorf("agent media: %w", err)))
		return
	}
	_ = b.Close()
	answer, sel, err := media.Answer(c.a.SDP, sw.mediaIP, a.Port())
	if err != nil {
		_ = a.Close()
		c.refuseDialog(&callError{Code: 488, Phrase: "Not Acceptable Here", Reason: "no G.711 codec for the dialer", Err: err})
		return
	}
	e := newEngineLeg(sw, c.a, a)
	te := media.DefaultTelephoneEvent
	if sel.TelephoneEvent != nil {
		te = sel.TelephoneEvent.PayloadType
	}
	e.setPayloadTypes(sel.Codec.PayloadType, te)
	c.a.CDR.Reason = billing.ReasonDialer
	c.a.SetAnswered(time.Now())
	c.setup.release()
	acked := make(chan struct{})
	c.sendAnswer(answer, acked)
	if !c.awaitAck(acked) {
		e.Hangup("no ACK")
	}
	sw.metrics.Calls.WithLabelValues("2xx").Inc()
	if err := sw.agentJoinHook()(sw.ctx, c.rt.Caller.Extension, c.rt.Campaign, e); err != nil {
		c.log.Info("agent join refused", "user", c.rt.Caller.Extension, "campaign", c.rt.Campaign, "error", err)
		e.Hangup(err.Error())
	}
	e.waitUp(c)
}

// Anchors reports whether the switch anchors media, which the call
// engine's legs need.
func (sw *Switch) Anchors() bool { return sw.media != nil }
