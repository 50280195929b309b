package calls

import "time"

// sendAnswer sends the caller the 2xx with answer and closes acked when
// the inbound leg's dialog stops retransmitting it: the ACK came, the
// caller hung up (the SIP stack, sipgo, reports "No ACK received" when
// ACK and BYE cross; the dialog itself tells whether the caller is still
// there), or the INVITE transaction ended. The SIP stack never gives up
// waiting for the ACK by itself: up and awaitAck do, after AckTimeout.
func (c *Call) sendAnswer(answer []byte, acked chan struct{}) {
	in := c.a.Dialog
	go func() {
		defer close(acked)
		if err := in.Answer(answer); err != nil {
			c.log.Debug("answer caller", "error", err)
		}
	}()
}

// awaitAck waits for the caller's ACK of the 2xx sendAnswer sent, at most
// ackTimeout (or until the switch shuts down); false: the caller never
// acknowledged it and the call must be hung up (see dropUnacked).
func (c *Call) awaitAck(acked <-chan struct{}) bool {
	timer := time.NewTimer(c.host.AckTimeout())
	defer timer.Stop()
	select {
	case <-acked:
	case <-timer.C:
		if c.unacked(c.a) {
			c.noAck(c.a)
		}
	case <-c.host.RunContext().Done():
	}
	return !c.dropUnacked(c.a)
}

// unacked reports whether l's party has not acknowledged the switch's 2xx.
func (c *Call) unacked(l *CallLeg) bool {
	return l != nil && l.Dialog != nil && l.Dialog.Unacked()
}

// noAck reports a caller that never acknowledged the answer.
func (c *Call) noAck(l *CallLeg) {
	c.log.Warn("the caller never acknowledged the answer: hanging up", "leg_id", l.CDR.LegID, "after", c.host.AckTimeout())
	c.host.CountNoAck()
}

// dropUnacked gets a leg whose party has not acknowledged the 2xx ready
// to be hung up, and reports whether it had to: the SIP stack's BYE waits
// for the INVITE transaction to end (64×T1 of its own timers, or never while it
// retransmits the 2xx), so the switch ends the transaction first.
func (c *Call) dropUnacked(l *CallLeg) bool {
	if !c.unacked(l) {
		return false
	}
	l.Dialog.AbandonAnswer()
	return true
}

// isDone reports whether a done channel is closed.
func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
