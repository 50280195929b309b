package calls

import (
	"fmt"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/media"
)

// joinAgent answers an agent's *55 call with the switch's own media and
// hands the leg to the call engine (the host's agentLeg), then keeps it
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
	run, hangUp := host.AgentLeg(c, a, sel.Codec.PayloadType, te)
	c.a.CDR.Reason = billing.ReasonDialer
	c.a.SetAnswered(time.Now())
	c.releaseSetup()
	acked := make(chan struct{})
	c.sendAnswer(answer, acked)
	if !c.awaitAck(acked) {
		hangUp("no ACK")
	}
	host.CountCall("2xx")
	run()
}
