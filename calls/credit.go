package calls

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/dialtone/dialtone/billing"
)

// Credit limits. The meter grants credit in slices (a few minutes of a
// leg's rate at a time), so a call renews its legs' grants while it is up
// and ends only when a renewal is refused, at the end of the time already
// granted, or at its hard cap (max_call_duration). The CreditClock does
// that for any engine: it knows legs by their meter id, answer time and
// grant, not by their protocol.

// CreditMeter is the meter as the credit clock uses it (*billing.Credit).
type CreditMeter interface {
	// Answered starts a leg's granted time: it counts from the answer,
	// as the leg's billable seconds do.
	Answered(legID string, at time.Time)
	// Renew adds a slice to the leg's reservation and returns all the
	// time it now grants from the answer. A refusal
	// (billing.ErrInsufficientCredit) leaves the grant as it was: the
	// clock ends the call at its end.
	Renew(ctx context.Context, legID string) (time.Duration, error)
}

// LegCredit is the call time the meter granted a leg, counted from the
// leg's answer as its billable seconds are. The zero value is a leg
// without a limit (a free leg, or no meter).
type LegCredit struct {
	granted time.Duration // 0: no limit
	step    time.Duration // the last grant added: the next renewal comes a fifth of it before the end
	refused bool          // a renewal was refused: the leg ends when its grant does
	started bool          // the meter was told the grant's start
}

// Grant records the meter's first grant for a leg (0: no limit).
func (lc *LegCredit) Grant(d time.Duration) { *lc = LegCredit{granted: d, step: d} }

// BilledUntil is when a leg ending at at stops being billed: at, or the
// end of its grant once a renewal was refused, so a hang-up that beats the
// cut-off timer by a moment is not billed past what the leg holds.
func (lc *LegCredit) BilledUntil(answered *time.Time, at time.Time) time.Time {
	if !lc.refused || lc.granted <= 0 || answered == nil {
		return at
	}
	return earliest(at, answered.Add(lc.granted))
}

// renewLead is how long before the end of its grant a leg renews: when 80 %
// of the last slice is used, and never less than a second, so a renewal
// is in before the grant runs out even on a busy machine.
func (lc *LegCredit) renewLead() time.Duration {
	return max(lc.step/5, time.Second)
}

// CreditLeg is a leg as the credit clock sees it.
type CreditLeg struct {
	ID       string     // the meter's leg id (the CDR's)
	Answered *time.Time // nil while the leg rings: its grant has not started
	Credit   *LegCredit // the leg's own, so a leg moved to another call keeps it
}

// CreditClock keeps a call's chargeable legs in credit while the call is
// up: it renews each leg's grant before it runs out and says when the
// call must end: at the end of a leg's grant once its renewal is refused,
// or at the call's hard cap, whichever comes first. It is used from one
// goroutine, the call's: select on C and call Check when it fires; Poke
// when the call's legs change.
type CreditClock struct {
	meter CreditMeter // nil: no credit control, only the cap
	log   *slog.Logger
	now   func() time.Time // time.Now; a test sets a fake one and reads Next instead of waiting for C
	capAt time.Time        // the call's answer + its longest length
	timer *time.Timer
	next  time.Time
}

// NewCreditClock starts the clock of a call answered at answered that may
// last maxCall at most. meter nil: only the cap applies. It fires at once
// so that the first Check looks at the legs.
func NewCreditClock(meter CreditMeter, log *slog.Logger, answered time.Time, maxCall time.Duration) *CreditClock {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cc := &CreditClock{meter: meter, log: log, now: time.Now, capAt: answered.Add(maxCall)}
	cc.timer = time.NewTimer(0)
	return cc
}

// C fires when the clock has something to do: call Check.
func (cc *CreditClock) C() <-chan time.Time { return cc.timer.C }

// Poke makes the clock look at the legs again soon (a transfer brought
// new ones in).
func (cc *CreditClock) Poke() { cc.timer.Reset(0) }

// Stop stops the timer; call it when the call ends.
func (cc *CreditClock) Stop() { cc.timer.Stop() }

// Next is when the clock wants to look at the legs again, as the last
// Check armed it (zero before the first, or once the call must end).
func (cc *CreditClock) Next() time.Time { return cc.next }

// Check renews the grants that are due and re-arms the clock. When the
// call must end it returns the moment it ends (the end of a refused grant,
// or the cap), which may be a little in the past: the CDRs end then, so a
// leg is never billed past what it was granted.
func (cc *CreditClock) Check(legs []CreditLeg) (endAt time.Time, end bool) {
	now := cc.now()
	endAt, end, next := cc.step(now, legs)
	cc.next = time.Time{}
	if !end {
		cc.next = next
		cc.timer.Reset(max(next.Sub(now), 0))
	}
	return endAt, end
}

// step is Check at a given time: it renews what is due at now and says
// when the call ends, or when to look again.
func (cc *CreditClock) step(now time.Time, legs []CreditLeg) (endAt time.Time, end bool, next time.Time) {
	next = cc.capAt
	for _, l := range legs {
		lc := l.Credit
		if lc == nil || lc.granted <= 0 || l.Answered == nil || cc.meter == nil {
			continue
		}
		answered := *l.Answered
		if !lc.started {
			lc.started = true
			cc.meter.Answered(l.ID, answered)
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
func (cc *CreditClock) renew(l CreditLeg) {
	lc := l.Credit
	granted, err := cc.meter.Renew(context.Background(), l.ID)
	if err != nil || granted <= lc.granted {
		lc.refused = true
		level := slog.LevelInfo
		if !errors.Is(err, billing.ErrInsufficientCredit) {
			level = slog.LevelWarn
		}
		cc.log.Log(context.Background(), level, "credit renewal refused: the call ends when its granted time does",
			"leg_id", l.ID, "granted", lc.granted, "error", err)
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
