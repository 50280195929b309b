package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"
)

// leg is one side of a call: one dialog, one CDR.
type leg struct {
	cdr    billing.CDR
	server *sipgo.DialogServerSession // legs whose INVITE we received
	client *sipgo.DialogClientSession // legs whose INVITE we sent
}

func newLeg(callID string, dir billing.Direction, ep billing.Endpoint, class billing.Class) *leg {
	return &leg{cdr: billing.CDR{
		LegID:        uuid.NewString(),
		CallID:       callID,
		Direction:    dir,
		Endpoint:     ep,
		BillingClass: class,
		Reason:       billing.ReasonDirect,
		CreatedAt:    billing.Millis(time.Now()),
	}}
}

func (l *leg) answer(at time.Time) {
	t := billing.Millis(at)
	l.cdr.AnsweredAt = &t
}

// end fills the leg's final fields.
func (l *leg) end(d billing.Disposition, code int) {
	l.cdr.EndedAt = billing.Millis(time.Now())
	l.cdr.Disposition = d
	l.cdr.SIPCode = code
	l.cdr.BillableSecs = billing.BillableSeconds(l.cdr.AnsweredAt, l.cdr.EndedAt)
}

func (l *leg) bye(ctx context.Context) error {
	if l.server != nil {
		return l.server.Bye(ctx)
	}
	return l.client.Bye(ctx)
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
	if sw.draining.Load() {
		respond(tx, req, 503, "Service Unavailable", sip.NewHeader("Retry-After", "30"))
		return
	}
	if mf := req.MaxForwards(); mf != nil && mf.Val() == 0 {
		respond(tx, req, 483, "Too Many Hops")
		return
	}
	var rt *route
	var err error
	if body := req.Body(); len(body) > 0 {
		if ct := req.ContentType(); ct == nil || ct.Value() == "application/sdp" {
			err = checkOffer(body)
		}
	}
	// A request claiming to be one of our users must authenticate even when
	// it comes from a trunk's address; anything else from a trunk's address
	// is the carrier.
	t := sw.dir.trunkFor(sourceHost(req))
	switch {
	case t != nil && sw.dir.user(req.From().Address.User) == nil:
		if err == nil {
			rt, err = sw.routeFromTrunk(req, t)
		}
	default:
		u := sw.authenticate(req, tx, true)
		if u == nil {
			return
		}
		if err == nil {
			rt, err = sw.routeFromPhone(req, u)
		}
	}
	c := sw.newCall(req, tx, rt)
	sw.calls.Add(1)
	sw.active.Add(1)
	sw.metrics.ActiveCalls.Inc()
	defer func() {
		sw.metrics.ActiveCalls.Dec()
		sw.active.Add(-1)
		sw.calls.Done()
	}()
	if err != nil {
		c.refuse(asCallError(err))
		return
	}
	c.run()
}

// call is one call: the leg that came in, and the leg the switch placed.
type call struct {
	sw  *Switch
	id  string
	req *sip.Request
	tx  sip.ServerTransaction
	rt  *route
	a   *leg
	b   *leg
	log *slogger
}

func (sw *Switch) newCall(req *sip.Request, tx sip.ServerTransaction, rt *route) *call {
	c := &call{sw: sw, id: uuid.NewString(), req: req, tx: tx, rt: rt}
	ep := billing.EndpointPhone
	class := billing.ClassClient
	if rt != nil {
		class = rt.aClass
		if rt.inTrunk != nil {
			ep = billing.EndpointTrunk
		}
	}
	c.a = newLeg(c.id, billing.Inbound, ep, class)
	c.a.cdr.From = req.From().Address.User
	c.a.cdr.To = dialedUser(req)
	if rt != nil {
		c.a.cdr.CallerID = rt.callerID
		if rt.caller != nil {
			c.a.cdr.User = rt.caller.Extension
		}
		if rt.inTrunk != nil {
			c.a.cdr.Trunk = rt.inTrunk.Name
		}
		if rt.number != nil {
			c.a.cdr.PhoneNumber = rt.number.Number
		}
	}
	c.log = newSlogger(sw.log, "call_id", c.id, "sip_call_id", req.CallID().Value())
	return c
}

// refuse answers the incoming INVITE with a final error and writes the
// refused leg's CDR.
func (c *call) refuse(ce *callError) {
	res := sip.NewResponseFromRequest(c.req, ce.Code, ce.Phrase, nil)
	if ce.Reason != "" {
		res.AppendHeader(sip.NewHeader("Reason", fmt.Sprintf("SIP;cause=%d;text=%q", ce.Code, ce.Reason)))
	}
	_ = c.tx.Respond(res)
	c.a.cdr.RefuseReason = ce.Reason
	c.a.end(billing.Refused, ce.Code)
	c.finish(c.a)
	c.log.Info("call refused", "code", ce.Code, "reason", ce.Reason, "from", c.a.cdr.From, "to", c.a.cdr.To)
	c.sw.metrics.Calls.WithLabelValues(codeClass(ce.Code)).Inc()
}

// finish writes a leg's CDR; it retries because a lost CDR is lost money.
func (c *call) finish(l *leg) {
	c.sw.metrics.Legs.WithLabelValues(string(l.cdr.Disposition)).Inc()
	for attempt := 0; ; attempt++ {
		err := c.sw.cdrs.Ended(&l.cdr)
		if err == nil {
			break
		}
		c.log.Error("write CDR", "leg_id", l.cdr.LegID, "attempt", attempt, "error", err)
		if attempt == 4 {
			return
		}
		time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
	}
	c.log.Info("leg ended", "leg_id", l.cdr.LegID, "direction", l.cdr.Direction, "endpoint", l.cdr.Endpoint,
		"class", l.cdr.BillingClass, "disposition", l.cdr.Disposition, "code", l.cdr.SIPCode, "billable_seconds", l.cdr.BillableSecs)
}

func codeClass(code int) string { return fmt.Sprintf("%dxx", code/100) }

// authorize asks the meter for each chargeable leg and returns the longest
// time the call may last.
func (c *call) authorize(ctx context.Context, legs ...*leg) (time.Duration, error) {
	limit := c.sw.cfg.SIP.MaxCallDuration.Duration
	if c.sw.meter == nil {
		return limit, nil
	}
	for i, l := range legs {
		if l.cdr.BillingClass == billing.ClassAccess {
			continue
		}
		d, err := c.sw.meter.Authorize(ctx, &l.cdr)
		if err != nil {
			for _, prev := range legs[:i] {
				c.sw.meter.Release(prev.cdr.LegID)
			}
			if errors.Is(err, billing.ErrInsufficientCredit) {
				return 0, &callError{Code: 402, Phrase: "Payment Required", Reason: "insufficient usage credit", Err: err}
			}
			if errors.Is(err, billing.ErrNoRate) {
				return 0, &callError{Code: 403, Phrase: "Forbidden", Reason: "destination not priced in the rate deck", Err: err}
			}
			return 0, &callError{Code: 503, Phrase: "Service Unavailable", Reason: "credit check failed", Err: err}
		}
		if d > 0 && d < limit {
			limit = d
		}
	}
	return limit, nil
}

// limitUser counts a call against the caller's concurrent-call limit.
func (c *call) limitUser() (release func(), ok bool) {
	u := c.rt.caller
	if u == nil || u.MaxCalls <= 0 {
		return func() {}, true
	}
	sw := c.sw
	sw.userCallsMu.Lock()
	defer sw.userCallsMu.Unlock()
	if sw.userCalls[u.Extension] >= u.MaxCalls {
		return nil, false
	}
	sw.userCalls[u.Extension]++
	return func() {
		sw.userCallsMu.Lock()
		sw.userCalls[u.Extension]--
		sw.userCallsMu.Unlock()
	}, true
}

// run places the outgoing leg, bridges the two, and ends both.
func (c *call) run() {
	sw := c.sw
	release, ok := c.limitUser()
	if !ok {
		c.refuse(refuse(486, "Busy Here", "concurrent call limit reached"))
		return
	}
	defer release()

	ua := sw.dialogUA[strings.ToLower(c.req.Transport())]
	if ua == nil {
		ua = sw.dialogUA["udp"]
	}
	server, err := ua.ReadInvite(c.req, c.tx)
	if err != nil {
		c.log.Warn("read invite", "error", err)
		c.a.end(billing.Failed, 400)
		c.finish(c.a)
		return
	}
	c.a.server = server
	sw.uas.Store(server.ID, c.a)
	defer sw.uas.Delete(server.ID)

	c.b = c.newOutgoingLeg()
	limit, err := c.authorize(server.Context(), c.a, c.b)
	if err != nil {
		ce := asCallError(err)
		c.log.Info("credit refused", "error", err)
		c.refuseDialog(ce)
		return
	}
	sw.cdrs.Started(&c.a.cdr)
	sw.cdrs.Started(&c.b.cdr)

	winner, res, err := c.ring()
	if err != nil {
		c.failRinging(res, err)
		return
	}
	c.b.client = winner
	sw.uac.Store(winner.ID, c.b)
	defer sw.uac.Delete(winner.ID)
	now := time.Now()
	c.b.answer(now)
	if err := winner.Ack(context.Background()); err != nil {
		c.log.Warn("ack callee", "error", err)
	}
	c.a.answer(now)
	answerErr := make(chan error, 1)
	go func() { answerErr <- server.RespondSDP(winner.InviteResponse.Body()) }()
	sw.metrics.Calls.WithLabelValues("2xx").Inc()
	c.log.Info("call answered", "from", c.a.cdr.From, "to", c.b.cdr.To, "limit", limit)

	timer := time.NewTimer(limit)
	defer timer.Stop()
	disposition := billing.Answered
	hangA, hangB := true, true
	select {
	case <-server.Context().Done():
		hangA = false
	case <-winner.Context().Done():
		hangB = false
	case err := <-answerErr:
		if err == nil {
			// Answered and ACKed: now wait for the end.
			select {
			case <-server.Context().Done():
				hangA = false
			case <-winner.Context().Done():
				hangB = false
			case <-timer.C:
				disposition = c.cutoffDisposition(limit)
			case <-sw.ctx.Done():
			}
		} else {
			// sipgo reports "No ACK received" when ACK and BYE cross; the
			// dialog itself tells whether the caller is still there.
			select {
			case <-server.Context().Done():
				hangA = false
			case <-winner.Context().Done():
				hangB = false
			case <-timer.C:
				disposition = c.cutoffDisposition(limit)
			case <-sw.ctx.Done():
			}
		}
	case <-timer.C:
		disposition = c.cutoffDisposition(limit)
	case <-sw.ctx.Done():
	}
	byeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	if hangA {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.a.bye(byeCtx); err != nil {
				c.log.Debug("bye caller", "error", err)
			}
		}()
	}
	if hangB {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.b.bye(byeCtx); err != nil {
				c.log.Debug("bye callee", "error", err)
			}
		}()
	}
	wg.Wait()
	c.a.end(disposition, 200)
	c.b.end(disposition, 200)
	c.finishBoth()
	c.log.Info("call ended", "disposition", disposition, "hung_up_by", hungUpBy(hangA, hangB), "billable_seconds", c.a.cdr.BillableSecs)
}

// finishBoth writes both legs' CDRs concurrently so they share a commit.
func (c *call) finishBoth() {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); c.finish(c.b) }()
	c.finish(c.a)
	wg.Wait()
}

func hungUpBy(hangA, hangB bool) string {
	switch {
	case !hangA:
		return "caller"
	case !hangB:
		return "callee"
	default:
		return "switch"
	}
}

// cutoffDisposition says why the switch ended a call at its time limit.
func (c *call) cutoffDisposition(limit time.Duration) billing.Disposition {
	if limit < c.sw.cfg.SIP.MaxCallDuration.Duration {
		return billing.CreditExhausted
	}
	return billing.Answered
}

// refuseDialog refuses a call after its dialog was read.
func (c *call) refuseDialog(ce *callError) {
	var hdrs []sip.Header
	if ce.Reason != "" {
		hdrs = append(hdrs, sip.NewHeader("Reason", fmt.Sprintf("SIP;cause=%d;text=%q", ce.Code, ce.Reason)))
	}
	_ = c.a.server.Respond(ce.Code, ce.Phrase, nil, hdrs...)
	c.a.cdr.RefuseReason = ce.Reason
	c.a.end(billing.Refused, ce.Code)
	c.finish(c.a)
	c.sw.metrics.Calls.WithLabelValues(codeClass(ce.Code)).Inc()
	c.log.Info("call refused", "code", ce.Code, "reason", ce.Reason, "from", c.a.cdr.From, "to", c.a.cdr.To)
}

// newOutgoingLeg describes the leg the switch will place.
func (c *call) newOutgoingLeg() *leg {
	rt := c.rt
	ep := billing.EndpointPhone
	if rt.outTrunk != nil {
		ep = billing.EndpointTrunk
	}
	b := newLeg(c.id, billing.Outbound, ep, rt.bClass)
	b.cdr.ParentLegID = c.a.cdr.LegID
	b.cdr.CallerID = rt.callerID
	if rt.number != nil {
		b.cdr.PhoneNumber = rt.number.Number
	}
	switch {
	case rt.outTrunk != nil:
		b.cdr.Trunk = rt.outTrunk.Name
		b.cdr.From = rt.callerID
		b.cdr.To = rt.e164
		if rt.caller != nil {
			b.cdr.User = rt.caller.Extension
		}
	default:
		b.cdr.From = c.a.cdr.From
		if rt.caller != nil {
			b.cdr.From = rt.caller.Extension
		}
		b.cdr.To = rt.targets[0].Extension
		b.cdr.User = rt.targets[0].Extension
		if rt.inTrunk != nil {
			b.cdr.Trunk = rt.inTrunk.Name
		}
	}
	return b
}

// failRinging ends a call that was never answered.
func (c *call) failRinging(res *sip.Response, err error) {
	var disp billing.Disposition
	code, phrase := 480, "Temporarily Unavailable"
	bCode := 0
	switch {
	case c.a.server.Context().Err() != nil:
		disp, code, phrase = billing.Canceled, 487, "Request Terminated"
	case errors.Is(err, errNoAnswer):
		disp = billing.NoAnswer
		bCode = 487
	case errors.Is(err, errNotRegistered):
		disp = billing.Failed
	case res != nil:
		bCode = res.StatusCode
		code, phrase = res.StatusCode, res.Reason
		switch {
		case res.StatusCode == 486 || res.StatusCode == 600:
			disp, code, phrase = billing.Busy, 486, "Busy Here"
		case res.StatusCode == 480 || res.StatusCode == 408:
			disp = billing.NoAnswer
		case res.StatusCode == 487:
			disp = billing.Canceled
		case res.StatusCode == 401 || res.StatusCode == 407:
			// The callee's challenge is not the caller's to answer.
			disp, code, phrase = billing.Failed, 503, "Service Unavailable"
		default:
			disp = billing.Failed
		}
	default:
		disp, code, phrase = billing.Failed, 503, "Service Unavailable"
	}
	if disp != billing.Canceled {
		var hdrs []sip.Header
		if errors.Is(err, errNotRegistered) {
			hdrs = append(hdrs, sip.NewHeader("Reason", `SIP;cause=480;text="user not registered"`))
		}
		_ = c.a.server.Respond(code, phrase, nil, hdrs...)
	}
	c.a.end(disp, code)
	if bCode == 0 {
		bCode = code
	}
	c.b.end(disp, bCode)
	c.finishBoth()
	c.sw.metrics.Calls.WithLabelValues(codeClass(code)).Inc()
	c.log.Info("call not answered", "disposition", disp, "code", code, "error", err)
}
