package sip

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/dialtone/dialtone/billing"
)

// The meter grants credit in slices (a few minutes of a leg's rate at a
// time), so a call renews its legs' grants while it is up and ends only
// when a renewal is refused, at the end of the time already granted.

// legCredit is the call time the meter granted a leg, counted from the
// leg's answer as its billable seconds are.
type legCredit struct {
	granted time.Duration // 0: no limit (a free leg, or no meter)
	step    time.Duration // the last grant added: the next renewal comes a fifth of it before the end
	refused bool          // a renewal was refused: the leg ends when its grant does
	started bool          // the meter was told the grant's start
}

// grant records the meter's first grant for a leg.
func (lc *legCredit) grant(d time.Duration) { *lc = legCredit{granted: d, step: d} }

// billedUntil is when a leg ending at at stops being billed: at, or the
// end of its grant once a renewal was refused, so a hang-up that beats the
// cut-off timer by a moment is not billed past what the leg holds.
func (lc *legCredit) billedUntil(answered *time.Time, at time.Time) time.Time {
	if !lc.refused || lc.granted <= 0 || answered == nil {
		return at
	}
	return earliest(at, answered.Add(lc.granted))
}

// renewLead is how long before the end of its grant a leg renews: when 80 %
// of the last slice is used, and never less than a second, so a renewal
// is in before the grant runs out even on a busy machine.
func (lc *legCredit) renewLead() time.Duration {
	return max(lc.step/5, time.Second)
}

// creditClock keeps a call's chargeable legs in credit while the call is
// up: it renews each leg's grant before it runs out and says when the
// call must end: at the end of a leg's grant once its renewal is refused,
// or at the call's hard cap (sip.max_call_duration), whichever comes
// first. It runs in the call's goroutine; the legs carry their grants, so
// a leg a transfer moves into another call keeps its own.
type creditClock struct {
	meter Meter // nil: no credit control
	log   *slog.Logger
	start time.Time // the call's answer
	capAt time.Time // start + max_call_duration
	timer *time.Timer
}

func newCreditClock(meter Meter, log *slog.Logger, answered time.Time, maxCall time.Duration) *creditClock {
	return &creditClock{meter: meter, log: log, start: answered, capAt: answered.Add(maxCall), timer: time.NewTimer(0)}
}

// C fires when the clock has something to do: call check.
func (cc *creditClock) C() <-chan time.Time { return cc.timer.C }

// poke makes the clock look at the legs again soon (a transfer brought
// new ones in).
func (cc *creditClock) poke() { cc.timer.Reset(0) }

func (cc *creditClock) stop() { cc.timer.Stop() }

// check renews the grants that are due and re-arms the clock. When the
// call must end it returns the moment it ends (the end of a refused grant,
// or the cap), which may be a little in the past: the CDRs end then, so a
// leg is never billed past what it was granted.
func (cc *creditClock) check(legs []*leg) (endAt time.Time, end bool) {
	now := time.Now()
	endAt, end, next := cc.step(now, legs)
	if !end {
		cc.timer.Reset(max(next.Sub(now), 0))
	}
	return endAt, end
}

// step is check at a given time: it renews what is due at now and says
// when the call ends, or when to look again.
func (cc *creditClock) step(now time.Time, legs []*leg) (endAt time.Time, end bool, next time.Time) {
	next = cc.capAt
	for _, l := range legs {
		if l == nil || l.credit.granted <= 0 || l.cdr.AnsweredAt == nil || cc.meter == nil {
			continue
		}
		lc := &l.credit
		answered := *l.cdr.AnsweredAt
		if !lc.started {
			lc.started = true
			cc.meter.Answered(&l.cdr)
		}
		grantEnd := answered.Add(lc.granted)
		for !lc.refused && grantEnd.Before(cc.capAt) && !now.Before(grantEnd.Add(-lc.renewLead())) {
			cc.renew(l)
			grantEnd = answered.Add(lc.granted)
		}
		switch {
		case lc.refused && !grantEnd.After(now):
			if !end || grantEnd.Before(endAt) {
				endAt, end = grantEnd, true
			}
		case lc.refused:
			next = earliest(next, grantEnd)
		case grantEnd.Before(cc.capAt):
			next = earliest(next, grantEnd.Add(-lc.renewLead()))
		}
	}
	if !end && !now.Before(cc.capAt) {
		endAt, end = cc.capAt, true
	}
	return endAt, end, next
}

// renew asks the meter for another slice for leg l; a refusal (or a meter
// that lost the leg) leaves l with the time it has.
func (cc *creditClock) renew(l *leg) {
	lc := &l.credit
	granted, err := cc.meter.Renew(context.Background(), &l.cdr)
	if err != nil || granted <= lc.granted {
		lc.refused = true
		level := slog.LevelInfo
		if !errors.Is(err, billing.ErrInsufficientCredit) {
			level = slog.LevelWarn
		}
		cc.log.Log(context.Background(), level, "credit renewal refused: the call ends when its granted time does",
			"leg_id", l.cdr.LegID, "granted", lc.granted, "error", err)
		return
	}
	lc.step, lc.granted = granted-lc.granted, granted
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
