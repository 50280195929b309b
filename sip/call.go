package sip

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/calls"
	orgdir "github.com/dialtone/dialtone/directory"
	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"
	"github.com/pion/sdp/v3"
)

// leg is one side of a call: one dialog, one CDR.
type leg struct {
	calls.CallLeg
	owner atomic.Pointer[call] // the call the leg is bridged in; a transfer moves it
}

// newLeg records a leg's facts; billing decides its class from them.
func newLeg(callID string, f billing.LegFacts) *leg {
	l := &leg{}
	l.InitCallLeg(callID, f)
	return l
}

// done is closed when the leg's dialog ends (BYE, CANCEL); nil for no leg.
func (l *leg) done() <-chan struct{} {
	if l == nil {
		return nil
	}
	return l.CallLeg.Done()
}

// handleInvite answers a new INVITE: it authenticates, routes and runs the
// whole call in this goroutine, which sipgo gives each transaction.
func (sw *Switch) handleInvite(req *sip.Request, tx sip.ServerTransaction) {
	if req.To() == nil || req.From() == nil || req.CallID() == nil || req.CSeq() == nil || req.Contact() == nil {
		respond(tx, req, 400, "Bad Request")
		return
	}
	if tag, _ := req.To().Params.Get("tag"); tag != "" {
		sw.handleReinvite(req, tx)
		return
	}
	if !sw.admit() {
		respond(tx, req, 503, "Service Unavailable", sip.NewHeader("Retry-After", "30"))
		return
	}
	// handedOver: the call was answered and goes on in a goroutine of its
	// own, which ends it (see run).
	handedOver := false
	defer func() {
		if !handedOver {
			sw.calls.Done()
		}
	}()
	// Before any work the call costs: authentication, routing, media.
	setup := sw.admission.acquireFor(req.GetHeader("Proxy-Authorization") != nil || req.GetHeader("Authorization") != nil)
	if setup == nil {
		sw.refuseOverload(req, tx)
		return
	}
	defer setup.release()
	if mf := req.MaxForwards(); mf != nil && mf.Val() == 0 {
		respond(tx, req, 483, "Too Many Hops")
		return
	}
	var rt *route
	var err error
	var offer *sdp.SessionDescription
	// A request claiming to be one of our users must authenticate even when
	// it comes from a trunk's address; anything else from a trunk's address
	// is the carrier. A phone's offer is checked once it has authenticated:
	// the INVITE that gets the challenge is answered the same either way.
	t := sw.directory().TrunkFor(sourceHost(req))
	switch {
	case t != nil && sw.directory().User(req.From().Address.User) == nil:
		if offer, err = checkInviteBody(req); err == nil {
			rt, err = sw.routeFromTrunk(req, t)
		}
	default:
		u := sw.authenticate(req, tx, true)
		if u == nil {
			return
		}
		if offer, err = checkInviteBody(req); err == nil {
			rt, err = sw.routeFromPhone(req, u)
		}
	}
	in := sw.newInboundLeg(req, tx)
	c := sw.newCall(in, originOf(req), rt)
	c.setupDone = setup.release
	c.ParsedOffer = offer
	sw.active.Add(1)
	sw.metrics.ActiveCalls.Inc()
	ended := func() {
		sw.metrics.ActiveCalls.Dec()
		sw.active.Add(-1)
	}
	defer func() {
		if !handedOver {
			ended()
		}
	}()
	if err != nil {
		c.refuse(asCallError(err))
		return
	}
	if up, answered := c.run(); up != nil {
		handedOver = true
		go func() {
			defer sw.calls.Done()
			defer ended()
			up()
		}()
		// sipgo ends the INVITE's transaction when this handler returns
		// unless a final response is in it: return once the answer went
		// out (the caller acknowledged it), or the call is over.
		select {
		case <-answered:
		case <-c.finished:
		}
	}
}

// checkInviteBody checks an INVITE's SDP offer, if it has one, and
// returns it parsed.
func checkInviteBody(req *sip.Request) (*sdp.SessionDescription, error) {
	body := req.Body()
	if len(body) == 0 {
		return nil, nil
	}
	if ct := req.ContentType(); ct != nil && ct.Value() != "application/sdp" {
		return nil, nil
	}
	return checkOffer(body)
}

// callOrigin is what started a call (calls.Origin); originOf reads it
// off the caller's INVITE.
type callOrigin = calls.Origin

// call is one call: the leg that came in, and the leg the switch placed.
type call struct {
	// host is the switch as the loop sees it: the loop reaches the
	// switch through nothing else.
	host   callHost
	id     string
	origin callOrigin
	rt     *route
	a      *leg
	b      *leg
	log    *slogger

	// CallMedia is the call's anchored media, recording and
	// announcement; ParsedOffer is the caller's offer as checkOffer
	// parsed it.
	calls.CallMedia

	inbox chan func() // work for the call's goroutine (transfers)
	// xferResult takes a blind transfer's outcome. Unbuffered: it is
	// taken only while the call is up, so an outcome is never left
	// behind in a buffer after the call ended (with its target answered
	// and never hung up, or its legs never written).
	xferResult chan func()
	xferLegs   []*leg        // the legs of the blind transfer ringing now
	ended      chan struct{} // closed (by endCall) to end the call from its inbox
	endOnce    sync.Once
	finished   chan struct{} // closed when the call stops taking work
	xfer       *transfer     // a blind transfer in progress

	endpointCancel  context.CancelFunc // ends a call the switch answers itself
	endpointCut     chan time.Time     // the credit watch of such a call: when the credit or the cap ended it; closed when the watch is over
	endpointEndedAt time.Time          // when the switch hung up such a call
	riders          []*leg             // legs that end with the call but are not bridged (a transferor's leg)

	set *calls.Settings // the sip: settings applied when the call started

	// setupDone frees the call's place in admission control once it
	// rings or is answered; nil: the call has none (engine calls, tests).
	setupDone func()
}

// releaseSetup frees the call's place in admission control; later calls
// do nothing.
func (c *call) releaseSetup() {
	if c.setupDone != nil {
		c.setupDone()
	}
}

// settings are the sip: settings of the config applied when the call
// started: a reload while it is up does not change them, so the call sees
// one config throughout (its time limit and its cut-off disposition
// agree). A call built without newCall (tests) reads the current ones.
func (c *call) settings() *calls.Settings {
	if c.set != nil {
		return c.set
	}
	return &c.host.callDirectory().Settings
}

// newLoopCall is a call on a host: its id, origin and route, and the
// settings it keeps. It has no legs yet.
func newLoopCall(host callHost, id string, o callOrigin, rt *route, set calls.Settings) *call {
	return &call{host: host, id: id, origin: o, rt: rt,
		inbox: make(chan func(), 4), xferResult: make(chan func()), ended: make(chan struct{}), finished: make(chan struct{}), set: &set}
}

func (sw *Switch) newCall(in calls.Dialog, o callOrigin, rt *route) *call {
	// The settings are a copy: the call does not keep the directory.
	c := newLoopCall(sw, uuid.NewString(), o, rt, sw.directory().Settings)
	a := billing.LegFacts{Direction: billing.Inbound, Endpoint: billing.EndpointPhone}
	if rt != nil {
		if rt.InTrunk != nil {
			a.Endpoint = billing.EndpointTrunk
		}
		a.Peer = routePeer(rt)
	}
	c.a = newLeg(c.id, a)
	c.a.owner.Store(c)
	c.a.SetDialog(in)
	c.a.CDR.From = o.From
	c.a.CDR.To = o.Dialed
	if rt != nil {
		c.a.CDR.CallerID = rt.CallerID
		if rt.Caller != nil {
			c.a.CDR.User = rt.Caller.Extension
			c.a.Party = rt.Caller.Extension
		}
		if rt.InTrunk != nil {
			c.a.CDR.Trunk = rt.InTrunk.Name
		}
		if rt.Number != nil {
			c.a.CDR.PhoneNumber = rt.Number.Number
		}
	}
	c.log = newSlogger(sw.log, "call_id", c.id, "sip_call_id", o.SIPCallID)
	return c
}

// refuse answers the incoming INVITE with a final error and writes the
// refused leg's CDR.
func (c *call) refuse(ce *callError) {
	_ = c.a.Dialog.Refuse(ce)
	c.a.CDR.RefuseReason = ce.Reason
	c.a.End(billing.Refused, ce.Code)
	c.finish(c.a)
	c.log.Info("call refused", "code", ce.Code, "reason", ce.Reason, "from", c.a.CDR.From, "to", c.a.CDR.To)
	c.host.countCall(codeClass(ce.Code))
}

// finish writes a leg's CDR; it retries because a lost CDR is lost money.
func (c *call) finish(l *leg) {
	if !l.Finished.CompareAndSwap(false, true) {
		return
	}
	// The dialog is over for the switch: forget it, so in-dialog requests
	// that come late get 481.
	c.host.forgetDialog(l)
	c.host.countLeg(l.CDR.Disposition)
	for attempt := 0; ; attempt++ {
		err := c.host.legEnded(&l.CDR)
		if err == nil {
			break
		}
		c.log.Error("write CDR", "leg_id", l.CDR.LegID, "attempt", attempt, "error", err)
		if attempt == 4 {
			return
		}
		time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
	}
	c.log.Info("leg ended", "leg_id", l.CDR.LegID, "direction", l.CDR.Direction, "endpoint", l.CDR.Endpoint,
		"class", l.CDR.BillingClass, "disposition", l.CDR.Disposition, "code", l.CDR.SIPCode, "billable_seconds", l.CDR.BillableSecs)
}

func codeClass(code int) string { return fmt.Sprintf("%dxx", code/100) }

// authorize asks the meter for each chargeable leg's first slice of
// credit and returns the shortest first grant (the call renews them while
// it is up).
func (c *call) authorize(ctx context.Context, legs ...*leg) (time.Duration, error) {
	limit := c.settings().MaxCallDuration
	if c.host.creditMeter() == nil {
		return limit, nil
	}
	for i, l := range legs {
		if l.CDR.BillingClass == billing.ClassAccess {
			continue
		}
		r, err := c.host.creditMeter().Authorize(ctx, billing.LegRequestFromCDR(&l.CDR))
		if err != nil {
			for _, prev := range legs[:i] {
				c.host.creditMeter().Release(prev.CDR.LegID)
			}
			if errors.Is(err, billing.ErrInsufficientCredit) {
				return 0, &callError{Code: 402, Phrase: "Payment Required", Reason: "insufficient usage credit", Err: err}
			}
			if errors.Is(err, billing.ErrNoRate) {
				return 0, &callError{Code: 403, Phrase: "Forbidden", Reason: "destination not priced in the rate deck", Err: err}
			}
			return 0, &callError{Code: 503, Phrase: "Service Unavailable", Reason: "credit check failed", Err: err}
		}
		d := r.Granted
		l.Credit.Grant(d)
		if d > 0 && d < limit {
			limit = d
		}
	}
	return limit, nil
}

// limitUser counts a call against the caller's concurrent-call limit.
func (c *call) limitUser() (release func(), ok bool) {
	return c.host.claimUserCall(c.rt.Caller)
}

// run places the outgoing leg and bridges the two. A call that fails ends
// here (up is nil). An answered call is returned as up, which waits for
// its end and ends both legs, and answered, closed once the caller has the
// answer: handleInvite runs up in a goroutine of its own and returns, so
// what waits while the call is up is that goroutine, whose stack (up's
// frames only, not sipgo's, handleInvite's and run's) the runtime shrinks
// from 8 to 4 KB.
func (c *call) run() (up func(), answered <-chan struct{}) {
	host := c.host
	release, ok := c.limitUser()
	if !ok {
		c.refuse(refuse(486, "Busy Here", "concurrent call limit reached"))
		return nil, nil
	}
	defer func() {
		if up == nil {
			release()
		}
	}()

	if err := c.a.Dialog.Accept(); err != nil {
		c.log.Warn("read invite", "error", err)
		c.a.End(billing.Failed, 400)
		c.finish(c.a)
		return nil, nil
	}
	host.storeDialog(c.a)

	limit, err := c.authorize(c.a.Dialog.Context(), c.a)
	if err != nil {
		c.log.Info("credit refused", "error", err)
		c.refuseDialog(asCallError(err))
		return nil, nil
	}
	if err := c.anchorOffer(); err != nil {
		c.log.Warn("anchor media", "error", err)
		c.refuseDialog(asCallError(err))
		return nil, nil
	}
	defer func() {
		if up == nil {
			c.closeMedia()
		}
	}()
	host.legStarted(&c.a.CDR)
	if c.rt.Mailbox {
		c.listenMailbox(c.rt.Caller)
		return nil, nil
	}
	if c.rt.AgentJoin {
		c.joinAgent()
		return nil, nil
	}

	winner, bLimit, ok := c.ringHops()
	if !ok {
		return nil, nil
	}
	limit = min(limit, bLimit)
	c.b.SetDialog(winner)
	host.storeDialog(c.b)
	now := time.Now()
	c.b.SetAnswered(now)
	answer, answerErr := c.anchorAnswer(winner.SDP(), winner.Source())
	acked := make(chan struct{}) // the caller's ACK (or its timeout) came
	if answerErr == nil && c.Relay != nil {
		c.Relay.Answered()
		// Before the callee's ACK, which lets its phone talk: a recorded
		// call's announcement mutes the relay until it has played. It
		// starts at the caller's ACK, as a phone may drop audio that
		// beats the 200 OK to it.
		c.startRecording(acked)
	}
	if err := winner.Answer(nil); err != nil {
		c.log.Warn("ack callee", "error", err)
	}
	if answerErr != nil {
		ce := asCallError(answerErr)
		c.log.Warn("callee's answer refused", "error", answerErr)
		byeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = winner.Bye(byeCtx)
		cancel()
		c.refuseDialogWith(ce, c.b)
		return nil, nil
	}
	c.a.SetAnswered(now)
	c.releaseSetup()
	c.sendAnswer(answer, acked)
	host.countCall("2xx")
	c.log.Info("call answered", "from", c.a.CDR.From, "to", c.b.CDR.To, "first_grant", limit)
	answeredAt := *c.a.CDR.AnsweredAt
	return func() {
		defer release()
		defer c.closeMedia()
		c.up(answeredAt, c.a)
	}, acked
}

// up runs an answered call until it ends: a party hangs up, the credit or
// the media runs out, the caller never acknowledges the answer (ackLeg is
// the leg the switch sent its 2xx to; nil: none to wait for), or the
// switch shuts down. Transfers replace legs meanwhile, through the call's
// inbox.
func (c *call) up(answered time.Time, ackLeg *leg) {
	c.host.storeCall(c)
	defer c.host.forgetCall(c.id)
	credit := newCreditClock(c.host.creditMeter(), c.log, answered, c.settings().MaxCallDuration)
	defer credit.stop()
	ackTimer := time.NewTimer(c.host.ackTimeout())
	defer ackTimer.Stop()
	noAck := ackTimer.C
	if ackLeg == nil {
		noAck = nil
	}
	disposition := billing.Answered
	var endAt time.Time // when the credit or the cap ended the call
	var gone *leg
	for gone == nil {
		var mediaTimeout <-chan struct{}
		if c.Relay != nil {
			mediaTimeout = c.Relay.TimedOut()
		}
		stop := false
		select {
		case <-c.a.done():
			gone = c.hungUp(c.a)
		case <-c.b.done():
			gone = c.hungUp(c.b)
		case f := <-c.inbox:
			f()
			credit.poke() // a transfer may have brought legs in
		case f := <-c.xferResult:
			f()
			credit.poke()
		case <-noAck:
			noAck = nil
			if c.unacked(ackLeg) {
				c.noAck(ackLeg)
				stop = true
			}
		case <-credit.C():
			if at, end := credit.check(c.creditLegs()); end {
				endAt, disposition, stop = at, c.cutoffDisposition(at.Sub(answered)), true
			}
		case <-mediaTimeout:
			disposition, stop = billing.MediaTimeout, true
		case <-c.host.runContext().Done():
			stop = true
		case <-c.ended:
			stop = true // handed over to another call, or nobody left
		}
		if stop {
			break
		}
	}
	if gone != nil && c.Relay != nil {
		// Before the announcement stops: its end would resume relaying,
		// and the party who hung up must not be heard again.
		c.Relay.Silence()
	}
	// The legs end now, when the switch hangs up (or the party did): a
	// peer that is slow to answer the BYE, or never does, is not billed
	// for the wait.
	endedAt := time.Now()
	c.dropUnacked(ackLeg)
	c.StopAnnouncement() // before the BYEs: a hang-up ends it at once
	close(c.finished)
	byeCtx, cancel := context.WithTimeout(context.Background(), c.host.byeTimeout())
	defer cancel()
	var wg sync.WaitGroup
	for _, l := range []*leg{c.a, c.b} {
		if l == nil || l == gone {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Bye(byeCtx); err != nil {
				c.log.Debug("bye", "leg_id", l.CDR.LegID, "error", err)
			}
		}()
	}
	wg.Wait()
	c.closeMedia()
	var legs []*leg
	for _, l := range append([]*leg{c.a, c.b}, c.riders...) {
		if l == nil {
			continue
		}
		if disposition == billing.CreditExhausted {
			l.EndAt(endAt, disposition, 200)
		} else {
			l.EndAt(endedAt, disposition, 200)
		}
		legs = append(legs, l)
	}
	// A transfer still ringing: the switch canceled its target.
	for _, l := range c.xferLegs {
		if !l.Finished.Load() {
			l.EndAt(endedAt, billing.Canceled, 487)
			legs = append(legs, l)
		}
	}
	c.xferLegs = nil
	c.finishAll(legs...)
	c.log.Info("call ended", "disposition", disposition, "hung_up_by", c.hangupSide(gone))
}

// hungUp handles a party's BYE: it ends the call, unless a blind transfer
// is on its way for the party that left (the transferor may leave first).
func (c *call) hungUp(l *leg) (gone *leg) {
	if l.Finished.Load() {
		return nil // a transferor whose leg the transfer already ended
	}
	if c.xfer != nil && c.xfer.transferor == l {
		c.xfer.transferorGone = true
		l.End(billing.Answered, 200)
		c.finish(l)
		c.setSlot(l, nil)
		return nil
	}
	return l
}

func (c *call) hangupSide(gone *leg) string {
	switch {
	case gone == nil:
		return "switch"
	case gone.CDR.Direction == billing.Inbound:
		return "caller"
	default:
		return "callee"
	}
}

// endCall ends the call from its inbox: the bridged legs still up are
// hung up and every CDR written.
func (c *call) endCall() { c.endOnce.Do(func() { close(c.ended) }) }

// setSlot replaces old (one of the two bridged legs) with l.
func (c *call) setSlot(old, l *leg) {
	if c.a == old {
		c.a = l
	} else if c.b == old {
		c.b = l
	}
}

// peerOf is the other bridged leg.
func (c *call) peerOf(l *leg) *leg {
	if c.a == l {
		return c.b
	}
	return c.a
}

// finishAll writes legs' CDRs concurrently so they share a commit.
func (c *call) finishAll(legs ...*leg) {
	var wg sync.WaitGroup
	for _, l := range legs {
		wg.Add(1)
		go func() { defer wg.Done(); c.finish(l) }()
	}
	wg.Wait()
}

// creditLegs are the legs the call's credit clock watches.
func (c *call) creditLegs() []*leg {
	return append([]*leg{c.a, c.b}, c.riders...)
}

// cutoffDisposition says why the switch ended a call at its time limit.
func (c *call) cutoffDisposition(limit time.Duration) billing.Disposition {
	if limit < c.settings().MaxCallDuration {
		return billing.CreditExhausted
	}
	return billing.Answered
}

// refuseDialog refuses a call after its dialog was read.
func (c *call) refuseDialog(ce *callError) { c.refuseDialogWith(ce, nil) }

// refuseDialogWith refuses the caller after an outgoing leg b answered
// something the switch cannot accept; b's CDR is written as failed.
func (c *call) refuseDialogWith(ce *callError, b *leg) {
	_ = c.a.Dialog.Refuse(ce)
	c.a.CDR.RefuseReason = ce.Reason
	c.a.End(billing.Refused, ce.Code)
	c.closeMedia()
	if b != nil {
		b.End(billing.Failed, ce.Code)
		c.finishAll(c.a, b)
	} else {
		c.finish(c.a)
	}
	c.host.countCall(codeClass(ce.Code))
	c.log.Info("call refused", "code", ce.Code, "reason", ce.Reason, "from", c.a.CDR.From, "to", c.a.CDR.To)
}

// newOutgoingLeg describes the leg the switch will place for a hop.
func (c *call) newOutgoingLeg(h *hop) *leg {
	rt := c.rt
	f := billing.LegFacts{Direction: billing.Outbound, Endpoint: billing.EndpointPhone, Peer: billing.EndpointPhone}
	if h.Trunk != nil {
		f.Endpoint = billing.EndpointTrunk
	}
	if rt.InTrunk != nil {
		f.Peer = billing.EndpointTrunk
	}
	b := newLeg(c.id, f)
	b.owner.Store(c)
	b.CDR.ParentLegID = c.a.CDR.LegID
	b.CDR.Reason = h.Reason
	b.CDR.CallerID = h.CallerID
	if rt.Number != nil {
		b.CDR.PhoneNumber = rt.Number.Number
	}
	if h.Trunk != nil {
		b.CDR.Trunk = h.Trunk.Name
		b.CDR.From = h.CallerID
		b.CDR.To = h.E164
		if rt.Caller != nil {
			b.CDR.User = rt.Caller.Extension
		}
		return b
	}
	b.CDR.From = calls.FromUser(rt.Caller, c.origin)
	b.CDR.To = h.Users[0].Extension
	b.CDR.User = h.Users[0].Extension
	if rt.InTrunk != nil {
		b.CDR.Trunk = rt.InTrunk.Name
	}
	return b
}

// ringHops rings the call's target and follows its forwarding rules until
// a leg answers. On failure it has answered the caller and written every
// CDR; ok is false.
func (c *call) ringHops() (winner calls.Dialog, limit time.Duration, ok bool) {
	host := c.host
	fw := c.forwarder()
	h := fw.FirstHop()
	for {
		if h.Rules.Always != "" {
			next, err := c.follow(fw, h, h.Rules.Always)
			if err != nil {
				c.log.Warn("forwarding stopped", "rule", "always", "target", h.Rules.Always, "error", err)
				c.failRinging(nil, nil, err)
				return nil, 0, false
			}
			c.log.Info("forwarding", "rule", "always", "from", h.String(), "to", next.String())
			h = next
			continue
		}
		if h.Voicemail != nil {
			c.depositVoicemail(h.Voicemail)
			return nil, 0, false
		}
		if h.Trunk != nil && c.rt.Caller != nil {
			// The call leaves through the trunk: the caller's own leg is
			// the free access side of it, as for a dialed outside number.
			c.a.CDR.BillingClass = billing.Classify(billing.LegFacts{Direction: c.a.CDR.Direction, Endpoint: c.a.CDR.Endpoint, Peer: billing.EndpointTrunk})
		}
		if rule := c.orVoicemail(h, h.Rules.Unregistered, calls.ErrNotRegistered); !c.anyRegistered(h) && rule != "" && fw.CanForward() {
			// Nothing to ring: no leg is placed, no CDR is written.
			next, err := c.follow(fw, h, rule)
			if err == nil {
				c.log.Info("forwarding", "rule", "unregistered", "from", h.String(), "to", next.String())
				h = next
				continue
			}
			if errors.Is(err, orgdir.ErrForwardRefused) {
				// Refused and nothing to fall back to: ringing the
				// unregistered phones would only try the same rule again.
				c.failRinging(nil, nil, err)
				return nil, 0, false
			}
			c.log.Warn("forward unregistered", "error", err)
		}
		b := c.newOutgoingLeg(h)
		bLimit, err := c.authorize(c.a.Dialog.Context(), b)
		if err != nil {
			c.b = nil
			c.refuseDialog(asCallError(err))
			return nil, 0, false
		}
		c.b = b
		host.legStarted(&b.CDR)
		w, party, res, err := c.ring(h)
		if err == nil {
			b.Party = party
			return w, bLimit, true
		}
		rule := c.orVoicemail(h, orgdir.NextRule(h.Rules, calls.ForwardOutcome(res, err)), err)
		if rule == "" && calls.IsBusy(res) {
			rule = c.orVoicemail(h, "", calls.ErrBusy)
		}
		if rule == "" || isDone(c.a.done()) || errors.Is(err, calls.ErrShuttingDown) || !fw.CanForward() {
			c.failRinging(b, res, err)
			return nil, 0, false
		}
		next, ferr := c.follow(fw, h, rule)
		if errors.Is(ferr, orgdir.ErrForwardRefused) {
			disp, code := calls.RingFailure(res, err)
			b.End(disp, code)
			c.finish(b)
			c.failRinging(nil, nil, ferr)
			return nil, 0, false
		}
		if ferr != nil {
			c.log.Warn("forwarding stopped", "target", rule, "error", ferr)
			c.failRinging(b, res, err)
			return nil, 0, false
		}
		c.log.Info("forwarding", "from", h.String(), "to", next.String(), "because", err)
		disp, code := calls.RingFailure(res, err)
		b.End(disp, code)
		c.finish(b)
		h = next
	}
}

// orVoicemail is rule, or the user's voicemail when no rule applies, the
// switch takes voicemail, and the call failed as voicemail catches: no
// answer, busy, or not registered.
func (c *call) orVoicemail(h *hop, rule string, why error) string {
	host := c.host
	if rule != "" || !c.settings().VoicemailDefault || host.voicemailBox() == nil || c.Relay == nil || len(h.Users) != 1 || h.Trunk != nil {
		return rule
	}
	if errors.Is(why, calls.ErrNoAnswer) || errors.Is(why, calls.ErrNotRegistered) || errors.Is(why, calls.ErrBusy) {
		return "voicemail"
	}
	return ""
}

// anyRegistered reports whether a hop has someone to ring.
func (c *call) anyRegistered(h *hop) bool {
	if h.Trunk != nil {
		return true
	}
	for _, u := range h.Users {
		if c.host.registered(u.Extension) {
			return true
		}
	}
	return false
}

// failRinging ends a call that was never answered; b is the last
// outgoing leg placed, if any.
func (c *call) failRinging(b *leg, res *calls.FinalResponse, err error) {
	c.closeMedia()
	disp, bCode := calls.RingFailure(res, err)
	code, phrase := 480, "Temporarily Unavailable"
	var reason string
	retryAfter := 0
	switch {
	case isDone(c.a.done()):
		disp, code, phrase, bCode = billing.Canceled, 487, "Request Terminated", 487
	case errors.Is(err, calls.ErrShuttingDown):
		// The switch stopped ringing (CANCEL to the callee) to shut down:
		// the caller may try again elsewhere or later.
		disp, code, phrase, bCode = billing.Failed, 503, "Service Unavailable", 487
		retryAfter = 30
	case disp == billing.Busy:
		code, phrase = 486, "Busy Here"
	case errors.Is(err, calls.ErrNotRegistered):
		reason = "user not registered"
	case errors.Is(err, orgdir.ErrForwardLoop):
		ce := asCallError(err)
		code, phrase = ce.Code, ce.Phrase
	case res != nil && (res.StatusCode == 401 || res.StatusCode == 407):
		// The callee's challenge is not the caller's to answer.
		disp, code, phrase = billing.Failed, 503, "Service Unavailable"
	case res != nil && res.StatusCode >= 400 && disp == billing.Failed:
		code, phrase = res.StatusCode, res.Reason
	case res == nil && disp == billing.Failed && !errors.Is(err, calls.ErrNoVoicemail):
		code, phrase = 503, "Service Unavailable"
	}
	if disp != billing.Canceled {
		_ = c.a.Dialog.Refuse(&callError{Code: code, Phrase: phrase, Reason: reason, RetryAfter: retryAfter})
	}
	c.a.End(disp, code)
	if b != nil {
		bDisp := disp
		if errors.Is(err, calls.ErrShuttingDown) {
			bDisp = billing.Canceled
		}
		b.End(bDisp, bCode)
		c.finishAll(c.a, b)
	} else {
		c.finish(c.a)
	}
	c.host.countCall(codeClass(code))
	c.log.Info("call not answered", "disposition", disp, "code", code, "error", err)
}
