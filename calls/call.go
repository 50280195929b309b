package calls

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/dialtone/dialtone/billing"
	orgdir "github.com/dialtone/dialtone/directory"
)

// Call is one call a phone or the trunk places, or the call engine
// (Originate) places a leg of: the leg that came in (a), the leg the
// switch placed (b), and the B2BUA loop that rings, bridges, transfers
// and ends them. It reaches the switch only through its Host, and its
// legs' signalling only through their Dialogs.
type Call struct {
	// host is the switch as the loop sees it: the loop reaches the
	// switch through nothing else.
	host   Host
	id     string
	origin Origin
	rt     *orgdir.Route
	a      *CallLeg
	b      *CallLeg
	log    *slog.Logger

	// CallMedia is the call's anchored media, recording and
	// announcement; ParsedOffer is the caller's offer as the switch
	// parsed it.
	CallMedia

	inbox chan func() // work for the call's goroutine (transfers)
	// xferResult takes a blind transfer's outcome. Unbuffered: it is
	// taken only while the call is up, so an outcome is never left
	// behind in a buffer after the call ended (with its target answered
	// and never hung up, or its legs never written). Made by the call's
	// first blind transfer: until then the call does not wait on it (a
	// channel and a parked select's entry, 192 bytes a call held).
	xferResult chan func()
	xferLegs   []*CallLeg    // the legs of the blind transfer ringing now
	ended      chan struct{} // closed (by endCall) to end the call from its inbox
	endOnce    sync.Once
	finished   chan struct{} // closed when the call stops taking work
	xfer       *transfer     // a blind transfer in progress

	endpointCancel  context.CancelFunc // ends a call the switch answers itself
	endpointCut     chan time.Time     // the credit watch of such a call: when the credit or the cap ended it; closed when the watch is over
	endpointEndedAt time.Time          // when the switch hung up such a call
	riders          []*CallLeg         // legs that end with the call but are not bridged (a transferor's leg)

	set *Settings // the sip: settings applied when the call started

	// setupDone frees the call's place in admission control once it
	// rings or is answered; nil: the call has none (engine calls, tests).
	setupDone func()

	life callLife // once answered (Run)
}

// newCall is a call on a host: its id, origin and route, and the
// settings it keeps. It has no legs yet.
func newCall(host Host, id string, o Origin, rt *orgdir.Route, set Settings, log *slog.Logger) *Call {
	return &Call{host: host, id: id, origin: o, rt: rt, log: log,
		inbox: make(chan func(), 4), ended: make(chan struct{}), finished: make(chan struct{}), set: &set}
}

// NewIncomingCall is the call a phone's or the trunk's INVITE starts:
// the caller's leg is in (its CDR says who called whom, as routed), the
// call keeps a copy of the settings set (a reload while it is up does
// not change them), and its log lines carry its id and the INVITE's
// Call-ID. Run it with Run, or refuse it with Refuse.
func NewIncomingCall(host Host, in Dialog, o Origin, rt *orgdir.Route, set Settings, log *slog.Logger) *Call {
	id := uuid.NewString()
	c := newCall(host, id, o, rt, set, log.With("call_id", id, "sip_call_id", o.SIPCallID))
	a := billing.LegFacts{Direction: billing.Inbound, Endpoint: billing.EndpointPhone}
	if rt != nil {
		if rt.InTrunk != nil {
			a.Endpoint = billing.EndpointTrunk
		}
		a.Peer = RoutePeer(rt)
	}
	c.a = c.newLeg(a)
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
	return c
}

// newEngineCall is the call a leg the call engine places belongs to: it
// has no incoming INVITE, so the outgoing one comes from user u with
// callerID.
func newEngineCall(host Host, u *orgdir.User, callerID string, set Settings, log *slog.Logger) *Call {
	id := uuid.NewString()
	return newCall(host, id, Origin{From: u.Extension}, &orgdir.Route{Caller: u, CallerID: callerID}, set, log.With("call_id", id, "engine", true))
}

// RoutePeer is where the call's other side goes, as billing classifies
// the caller's leg: the trunk, a phone, or nothing (the switch answers).
func RoutePeer(r *orgdir.Route) billing.Endpoint {
	switch {
	case r.OutTrunk != nil, r.AgentJoin: // an agent's session talks to the leads on the trunk: its leg is free access
		return billing.EndpointTrunk
	case r.Mailbox:
		return ""
	default:
		return billing.EndpointPhone
	}
}

// newLeg records a new leg of the call; billing decides its class from
// its facts.
func (c *Call) newLeg(f billing.LegFacts) *CallLeg {
	l := &CallLeg{}
	l.initCallLeg(c.id, f)
	l.owner.Store(c)
	return l
}

// ID is the call's id, which its legs' CDRs carry.
func (c *Call) ID() string { return c.id }

// Origin is what started the call; a transfer never changes it.
func (c *Call) Origin() Origin { return c.origin }

// Log is the call's logger, with its id.
func (c *Call) Log() *slog.Logger { return c.log }

// Finished is closed when the call stops taking work: it ended.
func (c *Call) Finished() <-chan struct{} { return c.finished }

// OnSetupDone gives the call what frees its place in admission control:
// the call runs it once it rings or is answered.
func (c *Call) OnSetupDone(release func()) { c.setupDone = release }

// releaseSetup frees the call's place in admission control; later calls
// do nothing.
func (c *Call) releaseSetup() {
	if c.setupDone != nil {
		c.setupDone()
	}
}

// Settings are the sip: settings of the config applied when the call
// started: a reload while it is up does not change them, so the call sees
// one config throughout (its time limit and its cut-off disposition
// agree). A call built without them (tests) reads the current ones.
func (c *Call) Settings() *Settings {
	if c.set != nil {
		return c.set
	}
	return &c.host.CallDirectory().Settings
}

// Refuse answers the incoming INVITE with a final error and writes the
// refused leg's CDR.
func (c *Call) Refuse(ce *Refusal) {
	_ = c.a.Dialog.Refuse(ce)
	c.a.CDR.RefuseReason = ce.Reason
	c.a.End(billing.Refused, ce.Code)
	c.finish(c.a)
	c.log.Info("call refused", "code", ce.Code, "reason", ce.Reason, "from", c.a.CDR.From, "to", c.a.CDR.To)
	c.host.CountCall(codeClass(ce.Code))
}

// finish writes a leg's CDR, then counts and logs the leg. A leg is
// finished once.
func (c *Call) finish(l *CallLeg) {
	if !l.Finished.CompareAndSwap(false, true) {
		return
	}
	c.writeCDR(l)
	c.legEnded(l)
}

// writeCDR hands the CDR of a leg the caller took (Finished) to the CDR
// writer and waits until it is durable; it retries because a lost CDR is
// lost money, and records in the leg when it was lost all the same.
func (c *Call) writeCDR(l *CallLeg) {
	// The dialog is over for the switch: forget it, so in-dialog requests
	// that come late get 481.
	c.host.ForgetDialog(l)
	for attempt := 0; ; attempt++ {
		err := c.host.LegEnded(&l.CDR)
		if err == nil {
			return
		}
		c.log.Error("write CDR", "leg_id", l.CDR.LegID, "attempt", attempt, "error", err)
		if attempt == 4 {
			l.cdrLost = true
			return
		}
		time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
	}
}

// legEnded counts a finished leg, and logs it unless its CDR was lost.
func (c *Call) legEnded(l *CallLeg) {
	c.host.CountLeg(l.CDR.Disposition)
	if l.cdrLost {
		return
	}
	// Attrs, not key-value pairs: every call logs this line per leg, and
	// each value boxed into an interface would be an allocation.
	c.log.LogAttrs(context.Background(), slog.LevelInfo, "leg ended", slog.String("leg_id", l.CDR.LegID),
		slog.String("direction", string(l.CDR.Direction)), slog.String("endpoint", string(l.CDR.Endpoint)),
		slog.String("class", string(l.CDR.BillingClass)), slog.String("disposition", string(l.CDR.Disposition)),
		slog.Int("code", l.CDR.SIPCode), slog.Int64("billable_seconds", l.CDR.BillableSecs))
}

func codeClass(code int) string { return fmt.Sprintf("%dxx", code/100) }

// Authorize asks the meter for each chargeable leg's first slice of
// credit and returns the shortest first grant (the call renews them while
// it is up).
func (c *Call) Authorize(ctx context.Context, legs ...*CallLeg) (time.Duration, error) {
	limit := c.Settings().MaxCallDuration
	if c.host.CreditMeter() == nil {
		return limit, nil
	}
	for i, l := range legs {
		if l.CDR.BillingClass == billing.ClassAccess {
			continue
		}
		r, err := c.host.CreditMeter().Authorize(ctx, billing.LegRequestFromCDR(&l.CDR))
		if err != nil {
			for _, prev := range legs[:i] {
				c.host.CreditMeter().Release(prev.CDR.LegID)
			}
			if errors.Is(err, billing.ErrInsufficientCredit) {
				return 0, &Refusal{Code: StatusPaymentRequired, Phrase: "Payment Required", Reason: "insufficient usage credit", Err: err}
			}
			if errors.Is(err, billing.ErrNoRate) {
				return 0, &Refusal{Code: StatusForbidden, Phrase: "Forbidden", Reason: "destination not priced in the rate deck", Err: err}
			}
			return 0, &Refusal{Code: StatusServiceUnavailable, Phrase: "Service Unavailable", Reason: "credit check failed", Err: err}
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
func (c *Call) limitUser() (release func(), ok bool) {
	return c.host.ClaimUserCall(c.rt.Caller)
}

// Run places the outgoing leg and bridges the two. A call that fails ends
// here (up is nil). An answered call is returned as up, which waits for
// its end and ends both legs, and answered, closed once the caller has
// the answer: the switch's INVITE handler runs up in a goroutine of its
// own and returns, so what waits while the call is up is that goroutine,
// whose stack holds the call's own frames only, not the SIP stack's, the
// handler's and Run's (2 KB: see waitEnd).
func (c *Call) Run() (up func(), answered <-chan struct{}) {
	host := c.host
	release, ok := c.limitUser()
	if !ok {
		c.Refuse(Refuse(StatusBusyHere, "Busy Here", "concurrent call limit reached"))
		return nil, nil
	}
	defer func() {
		if up == nil {
			release()
		}
	}()

	if err := c.a.Dialog.Accept(); err != nil {
		c.log.Warn("read invite", "error", err)
		c.a.End(billing.Failed, StatusBadRequest)
		c.finish(c.a)
		return nil, nil
	}
	// The offer as the dialog keeps it: the INVITE as received, which
	// held it until now, goes once its transaction ends.
	c.a.SDP = c.a.Dialog.SDP()
	host.StoreDialog(c.a)

	limit, err := c.Authorize(c.a.Dialog.Context(), c.a)
	if err != nil {
		c.log.Info("credit refused", "error", err)
		c.refuseDialog(RefusalOf(err))
		return nil, nil
	}
	if err := c.anchorOffer(); err != nil {
		c.log.Warn("anchor media", "error", err)
		c.refuseDialog(RefusalOf(err))
		return nil, nil
	}
	defer func() {
		if up == nil {
			c.closeMedia()
		}
	}()
	host.LegStarted(&c.a.CDR)
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
	host.StoreDialog(c.b)
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
		ce := RefusalOf(answerErr)
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
	host.CountCall("2xx")
	c.log.LogAttrs(context.Background(), slog.LevelInfo, "call answered", slog.String("from", c.a.CDR.From),
		slog.String("to", c.b.CDR.To), slog.Duration("first_grant", limit))
	c.startLife(*c.a.CDR.AnsweredAt, c.a, release)
	return c.live, acked
}

// callLife is what an answered call keeps while it is up, and how it
// ended. It is the call's (not on the stack of the goroutine that waits
// for the end) so that this goroutine's frames stay small (see waitEnd).
type callLife struct {
	answered time.Time
	ackLeg   *CallLeg // the leg the switch sent its 2xx to; nil: none to wait for
	release  func()   // frees the call's place in the user's calls
	credit   *creditClock
	ackTimer *time.Timer      // nil once the ACK's wait is over
	noAck    <-chan time.Time // ackTimer's, while the ACK is waited for
	end      callEnd
	over     bool // the call ended before its goroutine waited
}

// callEnd is how an answered call ended: the leg whose party hung up
// (nil: the switch ended it), the disposition, and when the credit or the
// cap ended it.
type callEnd struct {
	gone        *CallLeg
	disposition billing.Disposition
	endAt       time.Time
}

// callEvent is what woke an answered call's goroutine.
type callEvent uint8

const (
	eventCallerGone callEvent = iota
	eventCalleeGone
	eventWork // a transfer's step
	eventNoAck
	eventCredit
	eventMediaTimeout
	eventShutdown
	eventEnded // handed over to another call, or nobody left
)

// startLife makes an answered call one the switch finds by its id,
// starts its clocks (its credit, the wait for the caller's ACK) and
// looks at its credit a first time. It runs on Run's goroutine: the
// meter's work needs more stack than waiting does (see waitEnd).
func (c *Call) startLife(answered time.Time, ackLeg *CallLeg, release func()) {
	c.host.StoreCall(c)
	w := &c.life
	w.answered, w.ackLeg, w.release = answered, ackLeg, release
	w.end.disposition = billing.Answered
	w.credit = newCreditClock(c.host.CreditMeter(), c.log, answered, c.Settings().MaxCallDuration)
	if ackLeg != nil {
		w.ackTimer = time.NewTimer(c.host.AckTimeout())
		w.noAck = w.ackTimer.C
	}
	// The clock fires at once for its first look: take it here (the
	// check re-arms the clock, and a timer reset drops what it had not
	// delivered yet).
	w.over = c.handle(w, eventCredit, nil)
}

// live runs an answered call until it ends: a party hangs up, the credit
// or the media runs out, the caller never acknowledges the answer, or the
// switch shuts down. Transfers replace legs meanwhile, through the call's
// inbox.
func (c *Call) live() {
	if !c.life.over {
		c.waitEnd(&c.life)
	}
	c.endLife(&c.life)
}

// endLife hangs up a call that ended, stops its clocks, forgets it, frees
// its media and its place in the user's calls.
func (c *Call) endLife(w *callLife) {
	defer w.release()
	defer c.closeMedia()
	defer c.host.ForgetCall(c.id)
	defer w.credit.Stop()
	defer w.stopAckTimer()
	c.hangUp(w.end, w.ackLeg)
}

// stopAckTimer stops the wait for the caller's ACK and lets its timer go.
func (w *callLife) stopAckTimer() {
	if w.ackTimer != nil {
		w.ackTimer.Stop()
	}
	w.ackTimer, w.noAck = nil, nil
}

// waitEnd waits for what the call must do until the call ends. A held
// call's goroutine is parked here for as long as the call lasts, and a
// goroutine's stack, once grown, stays grown while it is parked: the
// runtime halves a stack only when what it has in use, plus 800 bytes it
// keeps in reserve, is under a quarter of it (224 bytes of a 4 KB stack,
// less than a select's own frame). So this goroutine does little else:
// the call's state is in c.life, not in its frames, the work that needs
// stack (the credit meter's renewals, a transfer's steps) runs aside,
// and it starts at 2 KB and stays there, half what it would grow to.
func (c *Call) waitEnd(w *callLife) {
	for {
		var mediaTimeout <-chan struct{}
		if c.Relay != nil {
			mediaTimeout = c.Relay.TimedOut()
		}
		var ev callEvent
		var f func()
		select {
		case <-c.a.Done():
			ev = eventCallerGone
		case <-c.b.Done():
			ev = eventCalleeGone
		case f = <-c.inbox:
			ev = eventWork
		case f = <-c.xferResult:
			ev = eventWork
		case <-w.noAck:
			ev = eventNoAck
		case <-w.credit.C():
			ev = eventCredit
		case <-mediaTimeout:
			ev = eventMediaTimeout
		case <-c.host.RunContext().Done():
			ev = eventShutdown
		case <-c.ended:
			ev = eventEnded
		}
		var ended bool
		if ev == eventWork || ev == eventCredit {
			ended = c.handleAside(w, ev, f)
		} else {
			ended = c.handle(w, ev, f) // light, or the call ends
		}
		if ended {
			return
		}
	}
}

// handleAside runs handle on a goroutine of its own and waits for it.
// What it handles is seldom (a renewal a minute or so, a transfer's
// step), so a goroutine each time costs little.
func (c *Call) handleAside(w *callLife, ev callEvent, f func()) (ended bool) {
	done := make(chan bool, 1)
	go func() { done <- c.handle(w, ev, f) }()
	return <-done
}

// handle does what woke the call's goroutine and reports whether the
// call ended (w.end says how).
func (c *Call) handle(w *callLife, ev callEvent, f func()) (ended bool) {
	switch ev {
	case eventCallerGone:
		w.end.gone = c.hungUp(c.a)
		return w.end.gone != nil
	case eventCalleeGone:
		w.end.gone = c.hungUp(c.b)
		return w.end.gone != nil
	case eventWork:
		f()
		w.credit.Poke() // a transfer may have brought legs in
		return false
	case eventNoAck:
		w.stopAckTimer()
		if c.unacked(w.ackLeg) {
			c.noAck(w.ackLeg)
			return true
		}
		return false
	case eventCredit:
		at, end := w.credit.check(c.creditLegs())
		if end {
			w.end.endAt, w.end.disposition = at, c.CutoffDisposition(at.Sub(w.answered))
		}
		return end
	case eventMediaTimeout:
		w.end.disposition = billing.MediaTimeout
		return true
	}
	return true // shut down, or ended
}

// hangUp ends the legs of a call that ended as end says.
func (c *Call) hangUp(end callEnd, ackLeg *CallLeg) {
	gone, disposition := end.gone, end.disposition
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
	c.stopAnnouncement() // before the BYEs: a hang-up ends it at once
	close(c.finished)
	byeCtx, cancel := context.WithTimeout(context.Background(), c.host.ByeTimeout())
	defer cancel()
	var wg sync.WaitGroup
	for _, l := range []*CallLeg{c.a, c.b} {
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
	var legs []*CallLeg
	for _, l := range append([]*CallLeg{c.a, c.b}, c.riders...) {
		if l == nil {
			continue
		}
		if disposition == billing.CreditExhausted {
			l.EndAt(end.endAt, disposition, StatusOK)
		} else {
			l.EndAt(endedAt, disposition, StatusOK)
		}
		legs = append(legs, l)
	}
	// A transfer still ringing: the switch canceled its target.
	for _, l := range c.xferLegs {
		if !l.Finished.Load() {
			l.EndAt(endedAt, billing.Canceled, StatusRequestTerminated)
			legs = append(legs, l)
		}
	}
	c.xferLegs = nil
	c.finishAll(legs...)
	c.log.LogAttrs(context.Background(), slog.LevelInfo, "call ended", slog.String("disposition", string(disposition)),
		slog.String("hung_up_by", c.hangupSide(gone)))
}

// hungUp handles a party's BYE: it ends the call, unless a blind transfer
// is on its way for the party that left (the transferor may leave first).
func (c *Call) hungUp(l *CallLeg) (gone *CallLeg) {
	if l.Finished.Load() {
		return nil // a transferor whose leg the transfer already ended
	}
	if c.xfer != nil && c.xfer.transferor == l {
		c.xfer.transferorGone = true
		l.End(billing.Answered, StatusOK)
		c.finish(l)
		c.setSlot(l, nil)
		return nil
	}
	return l
}

func (c *Call) hangupSide(gone *CallLeg) string {
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
func (c *Call) endCall() { c.endOnce.Do(func() { close(c.ended) }) }

// setSlot replaces old (one of the two bridged legs) with l.
func (c *Call) setSlot(old, l *CallLeg) {
	if c.a == old {
		c.a = l
	} else if c.b == old {
		c.b = l
	}
}

// peerOf is the other bridged leg.
func (c *Call) peerOf(l *CallLeg) *CallLeg {
	if c.a == l {
		return c.b
	}
	return c.a
}

// finishAll writes legs' CDRs concurrently so they share a commit. The
// goroutines only wait for the CDR writer: the legs are counted and
// logged here once they are done, since logging is deep enough to grow
// a new goroutine's stack twice (each growth copies the stack).
func (c *Call) finishAll(legs ...*CallLeg) {
	var wg sync.WaitGroup
	var buf [4]*CallLeg
	mine := buf[:0] // the legs this call finishes (see finish)
	for _, l := range legs {
		if l.Finished.CompareAndSwap(false, true) {
			mine = append(mine, l)
			wg.Add(1)
			go func() { defer wg.Done(); c.writeCDR(l) }()
		}
	}
	wg.Wait()
	for _, l := range mine {
		c.legEnded(l)
	}
}

// creditLegs are the legs the call's credit clock watches.
func (c *Call) creditLegs() []*CallLeg {
	return append([]*CallLeg{c.a, c.b}, c.riders...)
}

// CutoffDisposition says why the switch ended a call at its time limit.
func (c *Call) CutoffDisposition(limit time.Duration) billing.Disposition {
	if limit < c.Settings().MaxCallDuration {
		return billing.CreditExhausted
	}
	return billing.Answered
}

// refuseDialog refuses a call after its dialog was read.
func (c *Call) refuseDialog(ce *Refusal) { c.refuseDialogWith(ce, nil) }

// refuseDialogWith refuses the caller after an outgoing leg b answered
// something the switch cannot accept; b's CDR is written as failed.
func (c *Call) refuseDialogWith(ce *Refusal, b *CallLeg) {
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
	c.host.CountCall(codeClass(ce.Code))
	c.log.Info("call refused", "code", ce.Code, "reason", ce.Reason, "from", c.a.CDR.From, "to", c.a.CDR.To)
}

// newOutgoingLeg describes the leg the switch will place for a hop.
func (c *Call) newOutgoingLeg(h *orgdir.Hop) *CallLeg {
	rt := c.rt
	f := billing.LegFacts{Direction: billing.Outbound, Endpoint: billing.EndpointPhone, Peer: billing.EndpointPhone}
	if h.Trunk != nil {
		f.Endpoint = billing.EndpointTrunk
	}
	if rt.InTrunk != nil {
		f.Peer = billing.EndpointTrunk
	}
	b := c.newLeg(f)
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
	b.CDR.From = FromUser(rt.Caller, c.origin)
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
func (c *Call) ringHops() (winner Dialog, limit time.Duration, ok bool) {
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
		if rule := c.orVoicemail(h, h.Rules.Unregistered, ErrNotRegistered); !c.anyRegistered(h) && rule != "" && fw.CanForward() {
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
		bLimit, err := c.Authorize(c.a.Dialog.Context(), b)
		if err != nil {
			c.b = nil
			c.refuseDialog(RefusalOf(err))
			return nil, 0, false
		}
		c.b = b
		host.LegStarted(&b.CDR)
		w, party, res, err := c.ring(h)
		if err == nil {
			b.Party = party
			return w, bLimit, true
		}
		rule := c.orVoicemail(h, orgdir.NextRule(h.Rules, ForwardOutcome(res, err)), err)
		if rule == "" && IsBusy(res) {
			rule = c.orVoicemail(h, "", ErrBusy)
		}
		if rule == "" || isDone(c.a.Done()) || errors.Is(err, ErrShuttingDown) || !fw.CanForward() {
			c.failRinging(b, res, err)
			return nil, 0, false
		}
		next, ferr := c.follow(fw, h, rule)
		if errors.Is(ferr, orgdir.ErrForwardRefused) {
			disp, code := RingFailure(res, err)
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
		disp, code := RingFailure(res, err)
		b.End(disp, code)
		c.finish(b)
		h = next
	}
}

// orVoicemail is rule, or the user's voicemail when no rule applies, the
// switch takes voicemail, and the call failed as voicemail catches: no
// answer, busy, or not registered.
func (c *Call) orVoicemail(h *orgdir.Hop, rule string, why error) string {
	host := c.host
	if rule != "" || !c.Settings().VoicemailDefault || host.VoicemailBox() == nil || c.Relay == nil || len(h.Users) != 1 || h.Trunk != nil {
		return rule
	}
	if errors.Is(why, ErrNoAnswer) || errors.Is(why, ErrNotRegistered) || errors.Is(why, ErrBusy) {
		return "voicemail"
	}
	return ""
}

// anyRegistered reports whether a hop has someone to ring.
func (c *Call) anyRegistered(h *orgdir.Hop) bool {
	if h.Trunk != nil {
		return true
	}
	for _, u := range h.Users {
		if c.host.Registered(u.Extension) {
			return true
		}
	}
	return false
}

// failRinging ends a call that was never answered; b is the last
// outgoing leg placed, if any.
func (c *Call) failRinging(b *CallLeg, res *FinalResponse, err error) {
	c.closeMedia()
	disp, bCode := RingFailure(res, err)
	code, phrase := StatusTemporarilyUnavailable, "Temporarily Unavailable"
	var reason string
	retryAfter := 0
	switch {
	case isDone(c.a.Done()):
		disp, code, phrase, bCode = billing.Canceled, StatusRequestTerminated, "Request Terminated", StatusRequestTerminated
	case errors.Is(err, ErrShuttingDown):
		// The switch stopped ringing (CANCEL to the callee) to shut down:
		// the caller may try again elsewhere or later.
		disp, code, phrase, bCode = billing.Failed, StatusServiceUnavailable, "Service Unavailable", StatusRequestTerminated
		retryAfter = 30
	case disp == billing.Busy:
		code, phrase = StatusBusyHere, "Busy Here"
	case errors.Is(err, ErrNotRegistered):
		reason = "user not registered"
	case errors.Is(err, orgdir.ErrForwardLoop):
		ce := RefusalOf(err)
		code, phrase = ce.Code, ce.Phrase
	case res != nil && (res.StatusCode == StatusUnauthorized || res.StatusCode == StatusProxyAuthRequired):
		// The callee's challenge is not the caller's to answer.
		disp, code, phrase = billing.Failed, StatusServiceUnavailable, "Service Unavailable"
	case res != nil && isFailure(res.StatusCode) && disp == billing.Failed:
		code, phrase = res.StatusCode, res.Reason
	case res == nil && disp == billing.Failed && !errors.Is(err, ErrNoVoicemail):
		code, phrase = StatusServiceUnavailable, "Service Unavailable"
	}
	if disp != billing.Canceled {
		_ = c.a.Dialog.Refuse(&Refusal{Code: code, Phrase: phrase, Reason: reason, RetryAfter: retryAfter})
	}
	c.a.End(disp, code)
	if b != nil {
		bDisp := disp
		if errors.Is(err, ErrShuttingDown) {
			bDisp = billing.Canceled
		}
		b.End(bDisp, bCode)
		c.finishAll(c.a, b)
	} else {
		c.finish(c.a)
	}
	c.host.CountCall(codeClass(code))
	c.log.Info("call not answered", "disposition", disp, "code", code, "error", err)
}
