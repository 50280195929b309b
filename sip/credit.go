package sip

import (
	"log/slog"
	"time"

	"github.com/dialtone/dialtone/calls"
)

// The meter grants credit in slices; the call engine's credit clock
// (calls.CreditClock) renews a call's legs while it is up and says when
// the call must end. This file only shows it the switch's legs.

// creditClock is the call engine's credit clock over the switch's legs.
type creditClock struct{ *calls.CreditClock }

func newCreditClock(meter Meter, log *slog.Logger, answered time.Time, maxCall time.Duration) *creditClock {
	var cm calls.CreditMeter
	if meter != nil {
		cm = meter
	}
	return &creditClock{calls.NewCreditClock(cm, log, answered, maxCall)}
}

// check renews the grants of legs that are due and says when the call
// ends (calls.CreditClock.Check); nil legs are skipped.
func (cc *creditClock) check(legs []*leg) (endAt time.Time, end bool) {
	cl := make([]calls.CreditLeg, 0, len(legs))
	for _, l := range legs {
		if l != nil {
			cl = append(cl, calls.CreditLeg{ID: l.CDR.LegID, Answered: l.CDR.AnsweredAt, Credit: &l.Credit})
		}
	}
	return cc.Check(cl)
}

func (cc *creditClock) poke() { cc.Poke() }
func (cc *creditClock) stop() { cc.Stop() }
