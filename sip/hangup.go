package sip

import (
	"time"
)

const (
	// byeTimeout bounds the wait for a peer's answer to the switch's BYE.
	byeTimeout = 5 * time.Second
	// shutdownByeTimeout is shorter: on SIGTERM a peer that never answers
	// its BYE must not hold the process (its leg's CDR is written anyway).
	shutdownByeTimeout = 2 * time.Second
	// shutdownHangupLimit bounds how long Shutdown waits for the calls it
	// hung up to write their CDRs: a BYE's timeout, a transfer's NOTIFY and
	// the CDR retries fit well within it.
	shutdownHangupLimit = 10 * time.Second
	// defaultT1 is RFC 3261's round-trip estimate.
	defaultT1 = 500 * time.Millisecond
)

// byeTimeout is how long the switch waits for the answer to its BYE.
func (sw *Switch) byeTimeout() time.Duration {
	if sw.shuttingDown() {
		return shutdownByeTimeout
	}
	return byeTimeout
}

// shuttingDown reports whether the switch is hanging up every call.
func (sw *Switch) shuttingDown() bool { return sw.ctx != nil && sw.ctx.Err() != nil }

// ackTimeout is how long a 2xx the switch sent may go unacknowledged
// before the call is ended: 64×T1 (RFC 3261 §13.3.1.4).
func (sw *Switch) ackTimeout() time.Duration { return 64 * sw.t1 }

// sendAnswer sends the caller the 2xx with answer and closes acked when
// sipgo stops retransmitting it: the ACK came, the caller hung up (sipgo
// reports "No ACK received" when ACK and BYE cross; the dialog itself
// tells whether the caller is still there), or the INVITE transaction
// ended. sipgo never gives up waiting for the ACK by itself: up and
// awaitAck do, after ackTimeout.
func (c *call) sendAnswer(answer []byte, acked chan struct{}) {
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
func (c *call) awaitAck(acked <-chan struct{}) bool {
	timer := time.NewTimer(c.host.ackTimeout())
	defer timer.Stop()
	select {
	case <-acked:
	case <-timer.C:
		if c.unacked(c.a) {
			c.noAck(c.a)
		}
	case <-c.host.runContext().Done():
	}
	return !c.dropUnacked(c.a)
}

// unacked reports whether l's party has not acknowledged the switch's 2xx.
func (c *call) unacked(l *leg) bool {
	return l != nil && l.Dialog != nil && l.Dialog.Unacked()
}

// noAck reports a caller that never acknowledged the answer.
func (c *call) noAck(l *leg) {
	c.log.Warn("the caller never acknowledged the answer: hanging up", "leg_id", l.CDR.LegID, "after", c.host.ackTimeout())
	c.host.countNoAck()
}

// dropUnacked gets a leg whose party has not acknowledged the 2xx ready
// to be hung up, and reports whether it had to: sipgo's BYE waits for the
// INVITE transaction to end (64×T1 of its own timers, or never while it
// retransmits the 2xx), so the switch ends the transaction first.
func (c *call) dropUnacked(l *leg) bool {
	if !c.unacked(l) {
		return false
	}
	l.Dialog.AbandonAnswer()
	return true
}
