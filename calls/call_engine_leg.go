package calls

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/media"
)

// A leg the call engine drives (dialogLeg) belongs to a
// call of its own (newEngineCall), which authorizes it (Authorize), rings
// it (ringWith), keeps it up and writes its CDR: these are the call's
// parts it uses.

// keepLegUp keeps the answered leg l up until its party hangs up, stop
// is closed (the engine hangs it up), its credit runs out or the switch
// shuts down; then it ends the leg (BYE unless the party left) at the
// time the leg's bill ends. The CDR is finishLeg's to write.
func (c *Call) keepLegUp(l *CallLeg, stop <-chan struct{}) {
	credit := newCreditClock(c.host.CreditMeter(), c.log, *l.CDR.AnsweredAt, c.Settings().MaxCallDuration)
	defer credit.Stop()
	disposition := billing.Answered
	var cutAt time.Time
	done := l.Dialog.Done()
	gone := false
wait:
	for {
		select {
		case <-done:
			gone = true
			break wait
		case <-stop:
			break wait
		case <-c.host.RunContext().Done():
			break wait
		case <-credit.C():
			if at, end := credit.check([]*CallLeg{l}); end {
				cutAt, disposition = at, c.CutoffDisposition(at.Sub(*l.CDR.AnsweredAt))
				break wait
			}
		}
	}
	endedAt := time.Now()
	if !gone {
		ctx, cancel := context.WithTimeout(context.Background(), c.host.ByeTimeout())
		if err := l.Bye(ctx); err != nil {
			c.log.Debug("bye", "leg_id", l.CDR.LegID, "error", err)
		}
		cancel()
	}
	if disposition == billing.CreditExhausted {
		endedAt = cutAt
	}
	l.EndAt(endedAt, disposition, StatusOK)
}

// finishLeg copies media leg m's packet counters (nil: none) into l's
// CDR and the metrics, and writes the CDR.
func (c *Call) finishLeg(l *CallLeg, m *media.Leg) {
	c.countMedia(l, m)
	c.finish(l)
}
