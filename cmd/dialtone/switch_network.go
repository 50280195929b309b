package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/dialtone/dialtone/calls"
	"github.com/dialtone/dialtone/media"
	"github.com/dialtone/dialtone/sip"
)

// switchNetwork places the call engine's legs through the switch, which
// applies a hand-dialled call's checks. It lives with the wiring so that
// package calls never imports sip (sip uses the engine's credit clock).
type switchNetwork struct{ Switch *sip.Switch }

// Place implements calls.Network.
func (n switchNetwork) Place(ctx context.Context, o calls.Origination) (calls.Leg, error) {
	el, err := n.Switch.Originate(ctx, sip.Origination{
		User: o.User, To: o.To, CallerID: o.CallerID, RingTimeout: o.RingTimeout, Reason: o.Reason, Free: o.Free,
		CampaignID: o.Tags["campaign_id"], LeadID: o.Tags["lead_id"], AttemptID: o.Tags["attempt_id"],
	})
	if errors.Is(err, sip.ErrOriginateRefused) {
		return nil, fmt.Errorf("%w: %v", calls.ErrRefused, err)
	}
	if errors.Is(err, sip.ErrStopping) {
		return nil, fmt.Errorf("%w: %v", calls.ErrStopping, err)
	}
	if err != nil {
		return nil, err
	}
	return switchLeg(el), nil
}

// switchLeg adapts one of the switch's engine legs (placed, or a *55
// call it answered) to a calls.Leg.
func switchLeg(el *sip.EngineLeg) calls.Leg {
	l := &engineLeg{el: el, progress: make(chan calls.Progress, 64)}
	go func() {
		defer close(l.progress)
		for p := range el.Progress() {
			l.progress <- calls.Progress{Kind: calls.ProgressKind(p.Kind), At: p.At, Key: p.Key, Code: p.Code,
				Disposition: p.Disposition, CDRLegID: p.CDRLegID}
		}
	}()
	return l
}

type engineLeg struct {
	el       *sip.EngineLeg
	progress chan calls.Progress
}

func (l *engineLeg) ID() calls.LegID                 { return calls.LegID(l.el.ID()) }
func (l *engineLeg) Media() *media.Leg               { return l.el.Media() }
func (l *engineLeg) PayloadTypes() (pt, te uint8)    { return l.el.PayloadTypes() }
func (l *engineLeg) Progress() <-chan calls.Progress { return l.progress }
func (l *engineLeg) Hangup(reason string)            { l.el.Hangup(reason) }
