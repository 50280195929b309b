package calls

import (
	"log/slog"
	"time"
)

// The meter grants credit in slices; a CreditClock renews a call's legs
// while it is up and says when the call must end. This file only shows
// it a call's legs.

// creditClock is a CreditClock over a call's legs.
type creditClock struct{ *CreditClock }

func newCreditClock(meter Meter, log *slog.Logger, answered time.Time, maxCall time.Duration) *creditClock {
	var cm CreditMeter
	if meter != nil {
		cm = meter
	}
	return &creditClock{NewCreditClock(cm, log, answered, maxCall)}
}

// check renews the grants of legs that are due and says when the call
// ends (CreditClock.Check); nil legs are skipped.
func (cc *creditClock) check(legs []*CallLeg) (endAt time.Time, end bool) {
	cl := make([]CreditLeg, 0, len(legs))
	for _, l := range legs {
		if l != nil {
			cl = append(cl, CreditLeg{ID: l.CDR.LegID, Answered: l.CDR.AnsweredAt, Credit: &l.Credit})
		}
	}
	return cc.Check(cl)
}
