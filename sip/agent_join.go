package sip

import (
	"fmt"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/media"
)

// joinAgent answers an agent's *55 call with the switch's own media and
// hands the leg to the call engine (the host's agentLeg), then keeps it
// up until either side hangs up.
func (c *call) joinAgent() {
	host := c.host
	if host.mediaPool() == nil || c.Relay == nil {
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
	answer, sel, err := media.Answer(c.a.SDP, host.mediaAddr(), a.Port())
	if err != nil {
		_ = a.Close()
		c.refuseDialog(&callError{Code: 488, Phrase: "Not Acceptable Here", Reason: "no G.711 codec for the dialer", Err: err})
		return
	}
	te := media.DefaultTelephoneEvent
	if sel.TelephoneEvent != nil {
		te = sel.TelephoneEvent.PayloadType
	}
	run, hangUp := host.agentLeg(c, a, sel.Codec.PayloadType, te)
	c.a.CDR.Reason = billing.ReasonDialer
	c.a.SetAnswered(time.Now())
	c.releaseSetup()
	acked := make(chan struct{})
	c.sendAnswer(answer, acked)
	if !c.awaitAck(acked) {
		hangUp("no ACK")
	}
	host.countCall("2xx")
	run()
}
