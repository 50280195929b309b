package calls

import (
	"context"
	"fmt"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/media"
)

// AgentJoin takes an agent's *55 call the switch answered: the call
// engine adopts the leg and hands it to the dialer. An error hangs the
// call up. It runs on the call's goroutine and must not wait for the
// leg's progress.
type AgentJoin func(ctx context.Context, user, campaignNumber string, leg Leg) error

// joinAgent answers an agent's *55 call with the switch's own media and
// hands the leg to the call engine (the host's AgentJoiner), then keeps it
// up until either side hangs up.
func (c *Call) joinAgent() {
	host := c.host
	if host.MediaPool() == nil || c.Relay == nil {
		c.refuseDialog(Refuse(StatusServiceUnavailable, "Service Unavailable", "the dialer needs anchored media"))
		return
	}
	a, b, err := c.Relay.Detach()
	c.Relay = nil
	if err != nil {
		c.refuseDialog(RefusalOf(fmt.Errorf("agent media: %w", err)))
		return
	}
	_ = b.Close()
	answer, sel, err := media.Answer(c.a.SDP, host.MediaAddr(), a.Port())
	if err != nil {
		_ = a.Close()
		c.refuseDialog(&Refusal{Code: StatusNotAcceptableHere, Phrase: "Not Acceptable Here", Reason: "no G.711 codec for the dialer", Err: err})
		return
	}
	te := media.DefaultTelephoneEvent
	if sel.TelephoneEvent != nil {
		te = sel.TelephoneEvent.PayloadType
	}
	e := newDialogLeg(host, c.a, a)
	e.setPayloadTypes(sel.Codec.PayloadType, te)
	c.a.CDR.Reason = billing.ReasonDialer
	c.a.SetAnswered(time.Now())
	c.releaseSetup()
	acked := make(chan struct{})
	c.sendAnswer(answer, acked)
	if !c.awaitAck(acked) {
		e.Hangup("no ACK")
	}
	host.CountCall("2xx")
	c.runAgentLeg(e)
}

// runAgentLeg hands the agent's answered leg to the dialer and keeps it
// up until either side hangs up.
func (c *Call) runAgentLeg(e *dialogLeg) {
	rt := c.rt
	join := c.host.AgentJoiner()
	if join == nil {
		e.Hangup("no dialer")
	} else if err := join(c.host.RunContext(), rt.Caller.Extension, rt.Campaign, e); err != nil {
		c.log.Info("agent join refused", "user", rt.Caller.Extension, "campaign", rt.Campaign, "error", err)
		e.Hangup(err.Error())
	}
	c.keepLegUp(e.l, e.stop)
	e.ended(c)
}
