package calls

import (
	"context"
	"errors"
	"fmt"

	"github.com/dialtone/dialtone/media"
	"github.com/dialtone/dialtone/sip"
)

// SwitchNetwork places the engine's legs through the switch, which
// applies a hand-dialled call's checks.
type SwitchNetwork struct{ Switch *sip.Switch }

// Place implements Network.
func (n SwitchNetwork) Place(ctx context.Context, o Origination) (Leg, error) {
	el, err := n.Switch.Originate(ctx, sip.Origination{
		User: o.User, To: o.To, CallerID: o.CallerID, RingTimeout: o.RingTimeout, Reason: o.Reason, Free: o.Free,
		CampaignID: o.Tags["campaign_id"], LeadID: o.Tags["lead_id"], AttemptID: o.Tags["attempt_id"],
	})
	if errors.Is(err, sip.ErrOriginateRefused) {
		return nil, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	if errors.Is(err, sip.ErrStopping) {
		return nil, fmt.Errorf("%w: %v", ErrStopping, err)
	}
	if err != nil {
		return nil, err
	}
	return SwitchLeg(el), nil
}

// SwitchLeg adapts one of the switch's engine legs (placed, or a *55
// call it answered) to a Leg.
func SwitchLeg(el *sip.EngineLeg) Leg {
	l := &switchLeg{el: el, progress: make(chan Progress, 64)}
	go func() {
		defer close(l.progress)
		for p := range el.Progress() {
			l.progress <- Progress{Kind: ProgressKind(p.Kind), At: p.At, Key: p.Key, Code: p.Code,
				Disposition: p.Disposition, CDRLegID: p.CDRLegID}
		}
	}()
	return l
}

type switchLeg struct {
	el       *sip.EngineLeg
	progress chan Progress
}

func (l *switchLeg) ID() LegID                    { return LegID(l.el.ID()) }
func (l *switchLeg) Media() *media.Leg            { return l.el.Media() }
func (l *switchLeg) PayloadTypes() (pt, te uint8) { return l.el.PayloadTypes() }
func (l *switchLeg) Progress() <-chan Progress    { return l.progress }
func (l *switchLeg) Hangup(reason string)         { l.el.Hangup(reason) }
