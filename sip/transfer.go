package sip

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/calls"
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
	transferor     *leg // X: the leg that sent the REFER
	transferorGone bool // X hung up before the target answered
	user           *user
}

// notifyRefer tells the transferor how the transfer goes; a final status
// (code >= 200) ends the subscription.
func (sw *Switch) notifyRefer(x *leg, code int, reason string) {
	if x == nil || x.Dialog == nil || isDone(x.done()) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
	defer cancel()
	if err := x.Dialog.ReportTransfer(ctx, code, reason); err != nil {
		sw.log.Debug("notify transferor", "leg_id", x.CDR.LegID, "error", err)
	}
}

// transferLeg describes a leg a transfer adds, in this call.
func (c *call) transferLeg(f billing.LegFacts, parent *leg, u *user) *leg {
	l := newLeg(c.id, f)
	l.owner.Store(c)
	l.CDR.Reason = billing.ReasonTransfer
	l.CDR.ParentLegID = parent.CDR.LegID
	if u != nil {
		l.CDR.User = u.Extension
	}
	return l
}

// blindTransfer connects the transferor's peer P to what the transferor
// dialed, in the call's goroutine; the ringing happens in another one.
func (c *call) blindTransfer(x *leg, u *user, dialed string) {
	host := c.host
	p := c.peerOf(x)
	if c.xfer != nil || p == nil {
		host.notifyRefer(x, 491, "Request Pending")
		return
	}
	callerID := u.DefaultCallerID()
	rt, err := host.callDirectory().RouteDialed(u, dialed, callerID)
	if err != nil {
		ce := asCallError(err)
		host.notifyRefer(x, ce.Code, ce.Phrase)
		return
	}
	h := &hop{Users: rt.Targets, Trunk: rt.OutTrunk, E164: rt.E164, CallerID: rt.CallerID, Reason: billing.ReasonTransfer}
	c.xfer = &transfer{transferor: x, user: u}
	host.notifyRefer(x, 100, "Trying")
	c.startTransferLeg(h, p, x, u)
}

// startTransferLeg places the legs of a transfer to hop h for peer p.
func (c *call) startTransferLeg(h *hop, p, x *leg, u *user) {
	host := c.host
	var legs []*leg // what the transfer adds, in order
	var t *leg
	if h.Trunk != nil {
		t = c.transferLeg(billing.LegFacts{Direction: billing.Outbound, Endpoint: billing.EndpointTrunk, Peer: billing.EndpointPhone}, x, u)
		t.CDR.Trunk, t.CDR.CallerID, t.CDR.From, t.CDR.To = h.Trunk.Name, h.CallerID, h.CallerID, h.E164
		legs = []*leg{t}
	} else {
		v := c.transferLeg(billing.LegFacts{Direction: billing.Inbound, Endpoint: billing.EndpointPhone, Peer: billing.EndpointPhone}, x, u)
		v.CDR.From, v.CDR.To = u.Extension, h.Users[0].Extension
		t = c.transferLeg(billing.LegFacts{Direction: billing.Outbound, Endpoint: billing.EndpointPhone, Peer: billing.EndpointPhone}, v, h.Users[0])
		t.CDR.From, t.CDR.To = u.Extension, h.Users[0].Extension
		legs = []*leg{v, t}
	}
	for _, l := range legs {
		if _, err := c.authorize(context.Background(), l); err != nil {
			ce := asCallError(err)
			c.failTransfer(ce.Code, ce.Phrase, nil)
			return
		}
	}
	offer := p.SDP
	var tm *media.Leg
	if c.Relay != nil && len(p.SDP) > 0 {
		var err error
		if tm, err = host.mediaPool().Allocate(); err != nil {
			c.failTransfer(503, "Service Unavailable", legs)
			return
		}
		if offer, err = media.Rewrite(p.SDP, host.mediaAddr(), tm.Port()); err != nil {
			_ = tm.Close()
			c.failTransfer(488, "Not Acceptable Here", legs)
			return
		}
	}
	for _, l := range legs {
		host.legStarted(&l.CDR)
	}
	// Until the outcome is in, the call's end writes these legs' CDRs.
	c.xferLegs = legs
	from := x
	if c.xfer == nil || c.xfer.transferorGone {
		from = p
	}
	host.callStarted() // the call is counted: Shutdown waits for this too
	go func() {
		defer host.callDone()
		// Ringing is not reported: RFC 3515 makes provisional NOTIFYs
		// optional, and a transferor needs only the outcome.
		noRelay := func(calls.RingProgress) {}
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
				ctx, cancel := context.WithTimeout(context.Background(), host.byeTimeout())
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
func (c *call) transferAnswered(winner calls.Dialog, res *calls.FinalResponse, err error, legs []*leg, t *leg, tm *media.Leg, p, x *leg) {
	host := c.host
	xf := c.xfer
	c.xferLegs = nil
	if err != nil {
		if tm != nil {
			_ = tm.Close()
		}
		disp, code := calls.RingFailure(res, err)
		if errors.Is(err, calls.ErrShuttingDown) {
			disp, code = billing.Canceled, 487 // the switch stopped the ringing
		}
		for _, l := range legs {
			l.End(disp, code)
		}
		c.finishAll(legs...)
		reason := "Temporarily Unavailable"
		if res != nil {
			code, reason = res.StatusCode, res.Reason
		}
		host.notifyRefer(x, code, reason)
		c.log.Info("transfer target did not answer", "code", code, "error", err)
		c.xfer = nil
		if xf != nil && xf.transferorGone && !errors.Is(err, calls.ErrShuttingDown) {
			c.recall(xf, p)
		}
		return
	}
	now := time.Now()
	if err := winner.Answer(nil); err != nil {
		c.log.Warn("ack transfer target", "error", err)
	}
	t.SetDialog(winner)
	host.storeDialog(t)
	for _, l := range legs {
		l.SetAnswered(now)
	}
	if err := c.rebridge(p, x, t, tm); err != nil {
		c.log.Error("re-bridge media after transfer", "error", err)
	}
	host.notifyRefer(x, 200, "OK")
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
		if !isDone(x.done()) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = x.Bye(ctx)
			cancel()
		}
		x.End(billing.Answered, 200)
		c.finish(x)
	}
	c.log.Info("transfer completed", "to", t.CDR.To, "legs_added", len(legs))
}

// rebridge connects p's media to tm (the media of the target t, which
// answered) in place of x's.
func (c *call) rebridge(p, x, t *leg, tm *media.Leg) error {
	if c.Relay == nil || tm == nil {
		return nil
	}
	remote, err := media.Remote(t.SDP)
	if err == nil {
		err = c.host.mediaPool().CheckRemote(remote)
	}
	if err != nil {
		_ = tm.Close()
		return fmt.Errorf("target's answer: %w", err)
	}
	if t.Dialog != nil {
		tm.SetSignalingSource(calls.SignalingSource(t.Dialog.Source()))
	}
	tm.SetRemote(remote)
	return c.rebridgeLeg(p, x, t, tm)
}

// recall rings the transferor again when a blind transfer failed after
// the transferor hung up, if the config says so; else the call ends.
func (c *call) recall(xf *transfer, p *leg) {
	if !c.settings().TransferRecall {
		c.log.Info("transfer failed and the transferor left: ending the call")
		c.endCall()
		return
	}
	c.xfer = &transfer{transferorGone: true, user: xf.user}
	h := &hop{Users: []*user{xf.user}, Reason: billing.ReasonTransfer}
	c.log.Info("transfer failed: ringing the transferor again", "user", xf.user.Extension)
	c.startTransferLeg(h, p, xf.transferor, xf.user)
}

// failTransfer reports a transfer that could not start.
func (c *call) failTransfer(code int, reason string, legs []*leg) {
	for _, l := range legs {
		l.End(billing.Failed, code)
	}
	c.finishAll(legs...)
	if c.xfer != nil {
		xf := c.xfer
		c.xfer = nil
		c.host.notifyRefer(xf.transferor, code, reason)
		if xf.transferorGone {
			c.endCall()
		}
	}
}

// attendedTransfer joins the transferor's peer in this call with the
// other party of the transferor's consultation call (named by Replaces).
func (c *call) attendedTransfer(x *leg, u *user, r *replaces) {
	host := c.host
	x2 := host.legByDialog(r)
	var c2 *call
	if x2 != nil {
		c2 = x2.owner.Load()
	}
	if x2 == nil || c2 == nil || c2 == c {
		host.notifyRefer(x, 481, "Call/Transaction Does Not Exist")
		return
	}
	p := c.peerOf(x)
	type handover struct {
		t  *leg
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
		host.notifyRefer(x, 481, "Call/Transaction Does Not Exist")
		return
	}
	var h handover
	select {
	case h = <-got:
	case <-time.After(5 * time.Second):
		host.notifyRefer(x, 500, "Server Internal Error")
		return
	}
	if h.t == nil {
		host.notifyRefer(x, 481, "Call/Transaction Does Not Exist")
		return
	}
	host.notifyRefer(x, 100, "Trying")
	if c.Relay != nil && h.tm != nil {
		if err := c.rebridgeLeg(p, x, h.t, h.tm); err != nil {
			c.log.Error("re-bridge media after attended transfer", "error", err)
		}
	}
	host.notifyRefer(x, 200, "OK")
	c.setSlot(x, h.t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = x.Bye(ctx)
	cancel()
	x.End(billing.Answered, 200)
	c.finish(x)
	c.log.Info("attended transfer completed", "user", u.Extension, "to", h.t.CDR.To)
}

// rebridgeLeg connects p's media to the media leg tm of the target t,
// already latched. The recording goes on in the new relay, and in a
// recorded call t hears the recording announcement before anything of p.
func (c *call) rebridgeLeg(p, x, t *leg, tm *media.Leg) error {
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

// mayReplace reports whether user u may have the dialog of leg x2
// replaced (RFC 3891) by a transfer: only a dialog of u's own phone, in
// the transferor's call or another call of u's. Anyone else's dialog
// would hand u's transferee another user's call (and its charges).
func mayReplace(u *user, x2 *leg) bool {
	return x2.CDR.Endpoint == billing.EndpointPhone && x2.Party != "" && x2.Party == u.Extension
}
