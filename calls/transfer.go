package calls

import (
	"context"
	"errors"
	"fmt"
	"time"

	orgdir "github.com/dialtone/dialtone/directory"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/media"
)

// Transfers (RFC 3515 REFER; attended with RFC 3891 Replaces) re-bridge
// the transferee's leg P with a leg to the target T. The legs they add are
// the ones the help article charges for:
//   - to a user: the transferor's outbound leg to the user (here a leg with
//     reason transfer, user = transferor, parent = the transferor's leg)
//     and the user's incoming leg (parent = that one): three charged legs
//     with the original, repeated per transfer;
//   - to an outside number: one outbound trunk leg: two with the original.
// An attended transfer needs no new leg: the consultation call already
// made both, and they join the original call.

// transfer is a blind transfer in progress.
type transfer struct {
	transferor     *CallLeg // X: the leg that sent the REFER
	transferorGone bool     // X hung up before the target answered
	user           *orgdir.User
}

// notifyTimeout bounds a transfer report: the call's goroutine waits for
// it, and a transferor that does not answer NOTIFY must not hold the
// call up.
const notifyTimeout = 2 * time.Second

// notifyRefer tells the transferor how the transfer goes; a final status
// (code >= 200) ends the subscription.
func (c *Call) notifyRefer(x *CallLeg, code int, reason string) {
	if x == nil || x.Dialog == nil || isDone(x.Done()) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
	defer cancel()
	if err := x.Dialog.ReportTransfer(ctx, code, reason); err != nil {
		c.log.Debug("notify transferor", "leg_id", x.CDR.LegID, "error", err)
	}
}

// transferLeg describes a leg a transfer adds, in this call.
func (c *Call) transferLeg(f billing.LegFacts, parent *CallLeg, u *orgdir.User) *CallLeg {
	l := c.newLeg(f)
	l.CDR.Reason = billing.ReasonTransfer
	l.CDR.ParentLegID = parent.CDR.LegID
	if u != nil {
		l.CDR.User = u.Extension
	}
	return l
}

// blindTransfer connects the transferor's peer P to what the transferor
// dialed, in the call's goroutine; the ringing happens in another one.
func (c *Call) blindTransfer(x *CallLeg, u *orgdir.User, dialed string) {
	host := c.host
	p := c.peerOf(x)
	if c.xfer != nil || p == nil {
		c.notifyRefer(x, StatusRequestPending, "Request Pending")
		return
	}
	callerID := u.DefaultCallerID()
	rt, err := host.CallDirectory().RouteDialed(u, dialed, callerID)
	if err != nil {
		ce := RefusalOf(err)
		c.notifyRefer(x, ce.Code, ce.Phrase)
		return
	}
	h := &orgdir.Hop{Users: rt.Targets, Trunk: rt.OutTrunk, E164: rt.E164, CallerID: rt.CallerID, Reason: billing.ReasonTransfer}
	c.xfer = &transfer{transferor: x, user: u}
	c.notifyRefer(x, StatusTrying, "Trying")
	c.startTransferLeg(h, p, x, u)
}

// startTransferLeg places the legs of a transfer to hop h for peer p. It
// runs as the call's work, so it may make the call's xferResult.
func (c *Call) startTransferLeg(h *orgdir.Hop, p, x *CallLeg, u *orgdir.User) {
	host := c.host
	if c.xferResult == nil {
		c.xferResult = make(chan func())
	}
	var legs []*CallLeg // what the transfer adds, in order
	var t *CallLeg
	if h.Trunk != nil {
		t = c.transferLeg(billing.LegFacts{Direction: billing.Outbound, Endpoint: billing.EndpointTrunk, Peer: billing.EndpointPhone}, x, u)
		t.CDR.Trunk, t.CDR.CallerID, t.CDR.From, t.CDR.To = h.Trunk.Name, h.CallerID, h.CallerID, h.E164
		legs = []*CallLeg{t}
	} else {
		v := c.transferLeg(billing.LegFacts{Direction: billing.Inbound, Endpoint: billing.EndpointPhone, Peer: billing.EndpointPhone}, x, u)
		v.CDR.From, v.CDR.To = u.Extension, h.Users[0].Extension
		t = c.transferLeg(billing.LegFacts{Direction: billing.Outbound, Endpoint: billing.EndpointPhone, Peer: billing.EndpointPhone}, v, h.Users[0])
		t.CDR.From, t.CDR.To = u.Extension, h.Users[0].Extension
		legs = []*CallLeg{v, t}
	}
	for _, l := range legs {
		if _, err := c.Authorize(context.Background(), l); err != nil {
			ce := RefusalOf(err)
			c.failTransfer(ce.Code, ce.Phrase, nil)
			return
		}
	}
	offer := p.SDP
	var tm *media.Leg
	if c.Relay != nil && len(p.SDP) > 0 {
		var err error
		if tm, err = host.MediaPool().Allocate(); err != nil {
			c.failTransfer(StatusServiceUnavailable, "Service Unavailable", legs)
			return
		}
		if offer, err = media.Rewrite(p.SDP, host.MediaAddr(), tm.Port()); err != nil {
			_ = tm.Close()
			c.failTransfer(StatusNotAcceptableHere, "Not Acceptable Here", legs)
			return
		}
	}
	for _, l := range legs {
		host.LegStarted(&l.CDR)
	}
	// Until the outcome is in, the call's end writes these legs' CDRs.
	c.xferLegs = legs
	from := x
	if c.xfer == nil || c.xfer.transferorGone {
		from = p
	}
	host.CallStarted() // the call is counted: Shutdown waits for this too
	go func() {
		defer host.CallDone()
		// Ringing is not reported: RFC 3515 makes provisional NOTIFYs
		// optional, and a transferor needs only the outcome.
		noRelay := func(RingProgress) {}
		winner, party, res, err := c.ringWith(h, offer, from, noRelay)
		result := func() {
			t.Party = party
			c.transferAnswered(winner, res, err, legs, t, tm, p, x)
		}
		select {
		case c.xferResult <- result:
		case <-c.finished:
			// The call ended meanwhile and wrote the legs as canceled.
			if winner != nil {
				ctx, cancel := context.WithTimeout(context.Background(), host.ByeTimeout())
				_ = winner.Answer(nil)
				_ = winner.Bye(ctx)
				cancel()
			}
			if tm != nil {
				_ = tm.Close()
			}
		}
	}()
}

// transferAnswered finishes a blind transfer in the call's goroutine.
func (c *Call) transferAnswered(winner Dialog, res *FinalResponse, err error, legs []*CallLeg, t *CallLeg, tm *media.Leg, p, x *CallLeg) {
	host := c.host
	xf := c.xfer
	c.xferLegs = nil
	if err != nil {
		if tm != nil {
			_ = tm.Close()
		}
		disp, code := RingFailure(res, err)
		if errors.Is(err, ErrShuttingDown) {
			disp, code = billing.Canceled, StatusRequestTerminated // the switch stopped the ringing
		}
		for _, l := range legs {
			l.End(disp, code)
		}
		c.finishAll(legs...)
		reason := "Temporarily Unavailable"
		if res != nil {
			code, reason = res.StatusCode, res.Reason
		}
		c.notifyRefer(x, code, reason)
		c.log.Info("transfer target did not answer", "code", code, "error", err)
		c.xfer = nil
		if xf != nil && xf.transferorGone && !errors.Is(err, ErrShuttingDown) {
			c.recall(xf, p)
		}
		return
	}
	now := time.Now()
	if err := winner.Answer(nil); err != nil {
		c.log.Warn("ack transfer target", "error", err)
	}
	t.SetDialog(winner)
	host.StoreDialog(t)
	for _, l := range legs {
		l.SetAnswered(now)
	}
	if err := c.rebridge(p, x, t, tm); err != nil {
		c.log.Error("re-bridge media after transfer", "error", err)
	}
	c.notifyRefer(x, StatusOK, "OK")
	if c.a == x || c.b == x {
		c.setSlot(x, t)
	} else {
		c.setSlot(nil, t) // the transferor left: its slot is empty
	}
	if len(legs) == 2 {
		c.riders = append(c.riders, legs[0]) // the transferor's leg to the user lasts as long as the user's
	}
	c.xfer = nil
	if x != nil && (xf == nil || !xf.transferorGone) {
		// The transferor's BYE may already be in (its handler not yet
		// run): then no BYE is owed, but the leg still ends here, since
		// it has left the call's slots and the call's end won't see it.
		if !isDone(x.Done()) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = x.Bye(ctx)
			cancel()
		}
		x.End(billing.Answered, StatusOK)
		c.finish(x)
	}
	c.log.Info("transfer completed", "to", t.CDR.To, "legs_added", len(legs))
}

// rebridge connects p's media to tm (the media of the target t, which
// answered) in place of x's.
func (c *Call) rebridge(p, x, t *CallLeg, tm *media.Leg) error {
	if c.Relay == nil || tm == nil {
		return nil
	}
	remote, err := media.Remote(t.SDP)
	if err == nil {
		err = c.host.MediaPool().CheckRemote(remote)
	}
	if err != nil {
		_ = tm.Close()
		return fmt.Errorf("target's answer: %w", err)
	}
	if t.Dialog != nil {
		tm.SetSignalingSource(SignalingSource(t.Dialog.Source()))
	}
	tm.SetRemote(remote)
	return c.rebridgeLeg(p, x, t, tm)
}

// recall rings the transferor again when a blind transfer failed after
// the transferor hung up, if the config says so; else the call ends.
func (c *Call) recall(xf *transfer, p *CallLeg) {
	if !c.Settings().TransferRecall {
		c.log.Info("transfer failed and the transferor left: ending the call")
		c.endCall()
		return
	}
	c.xfer = &transfer{transferorGone: true, user: xf.user}
	h := &orgdir.Hop{Users: []*orgdir.User{xf.user}, Reason: billing.ReasonTransfer}
	c.log.Info("transfer failed: ringing the transferor again", "user", xf.user.Extension)
	c.startTransferLeg(h, p, xf.transferor, xf.user)
}

// failTransfer reports a transfer that could not start.
func (c *Call) failTransfer(code int, reason string, legs []*CallLeg) {
	for _, l := range legs {
		l.End(billing.Failed, code)
	}
	c.finishAll(legs...)
	if c.xfer != nil {
		xf := c.xfer
		c.xfer = nil
		c.notifyRefer(xf.transferor, code, reason)
		if xf.transferorGone {
			c.endCall()
		}
	}
}

// attendedTransfer joins the transferor's peer in this call with the
// other party of the transferor's consultation call (named by Replaces).
func (c *Call) attendedTransfer(x *CallLeg, u *orgdir.User, r *Replaces) {
	host := c.host
	x2 := host.LegByDialog(r)
	var c2 *Call
	if x2 != nil {
		c2 = x2.owner.Load()
	}
	if x2 == nil || c2 == nil || c2 == c {
		c.notifyRefer(x, StatusCallTransactionDoesNotExist, "Call/Transaction Does Not Exist")
		return
	}
	p := c.peerOf(x)
	type handover struct {
		t  *CallLeg
		tm *media.Leg
	}
	got := make(chan handover, 1)
	give := func() {
		t := c2.peerOf(x2)
		var tm *media.Leg
		if c2.Relay != nil {
			a, b, err := c2.Relay.Detach()
			if err == nil {
				tm, xm := a, b
				if c2.a == x2 {
					tm, xm = b, a
				}
				c2.countMedia(x2, xm)
				_ = xm.Close()
				got <- handover{t: t, tm: tm}
			}
			c2.Relay = nil
		}
		if tm == nil {
			got <- handover{t: t}
		}
		// The consultation legs now belong to the original call.
		x2.CDR.Reason, x2.CDR.ParentLegID, x2.CDR.CallID = billing.ReasonTransfer, x.CDR.LegID, c.id
		if t != nil {
			t.CDR.Reason, t.CDR.CallID = billing.ReasonTransfer, c.id
			t.owner.Store(c)
		}
		c2.setSlot(t, nil)
		c2.endCall()
	}
	select {
	case c2.inbox <- give:
	case <-c2.finished:
		c.notifyRefer(x, StatusCallTransactionDoesNotExist, "Call/Transaction Does Not Exist")
		return
	}
	var h handover
	select {
	case h = <-got:
	case <-time.After(5 * time.Second):
		c.notifyRefer(x, StatusInternalServerError, "Server Internal Error")
		return
	}
	if h.t == nil {
		c.notifyRefer(x, StatusCallTransactionDoesNotExist, "Call/Transaction Does Not Exist")
		return
	}
	c.notifyRefer(x, StatusTrying, "Trying")
	if c.Relay != nil && h.tm != nil {
		if err := c.rebridgeLeg(p, x, h.t, h.tm); err != nil {
			c.log.Error("re-bridge media after attended transfer", "error", err)
		}
	}
	c.notifyRefer(x, StatusOK, "OK")
	c.setSlot(x, h.t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = x.Bye(ctx)
	cancel()
	x.End(billing.Answered, StatusOK)
	c.finish(x)
	c.log.Info("attended transfer completed", "user", u.Extension, "to", h.t.CDR.To)
}

// rebridgeLeg connects p's media to the media leg tm of the target t,
// already latched. The recording goes on in the new relay, and in a
// recorded call t hears the recording announcement before anything of p.
func (c *Call) rebridgeLeg(p, x, t *CallLeg, tm *media.Leg) error {
	ann := c.transferAnnouncement(p, t)
	a, b, err := c.Relay.Detach()
	if err != nil {
		_ = tm.Close()
		return fmt.Errorf("detach: %w", err)
	}
	if c.b == p {
		// The transferor X was the A side: the target takes its place,
		// keeping the relay's (and the recording's) sides.
		c.countMedia(x, a)
		_ = a.Close()
		return c.newRelay(tm, b, ann)
	}
	c.countMedia(x, b)
	_ = b.Close()
	return c.newRelay(a, tm, ann)
}

// MayReplace reports whether user u may have the dialog of leg x2
// replaced (RFC 3891) by a transfer: only a dialog of u's own phone, in
// the transferor's call or another call of u's. Anyone else's dialog
// would hand u's transferee another user's call (and its charges).
func MayReplace(u *orgdir.User, x2 *CallLeg) bool {
	return x2.CDR.Endpoint == billing.EndpointPhone && x2.Party != "" && x2.Party == u.Extension
}
