package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.etcd.io/bbolt"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/calls"
	"github.com/dialtone/dialtone/dialer"
	"github.com/dialtone/dialtone/sip"
)

// dialerEngine is the call engine as the dialer sees it: calls.Engine
// with the dialer's types, and each ended leg's charge read back from its
// CDR (the CDR store has written it before the leg reports its end).
type dialerEngine struct {
	eng *calls.Engine
	db  *bbolt.DB
	log *slog.Logger
}

var _ dialer.Engine = (*dialerEngine)(nil)

func newDialerEngine(sw *sip.Switch, db *bbolt.DB, log *slog.Logger) *dialerEngine {
	return &dialerEngine{eng: calls.New(switchNetwork{Switch: sw}, log), db: db, log: log}
}

func (d *dialerEngine) Originate(ctx context.Context, o dialer.Origination) (dialer.LegID, error) {
	id, err := d.eng.Originate(ctx, calls.Origination{
		User: o.User, To: o.To, CallerID: o.CallerID, RingTimeout: o.RingTimeout,
		EarlyMediaTo: calls.LegID(o.EarlyMediaTo), Reason: billing.Reason(o.Reason), Tags: o.Tags,
		// The agent's own session leg (the dialer rings the agent) is free.
		Free: o.Tags[dialer.TagLead] == "",
	})
	if errors.Is(err, calls.ErrRefused) {
		return "", fmt.Errorf("%w: %v", dialer.ErrRefused, err)
	}
	if errors.Is(err, calls.ErrStopping) {
		return "", fmt.Errorf("%w: %v", dialer.ErrNoEngine, err)
	}
	return dialer.LegID(id), err
}

func (d *dialerEngine) Bridge(ctx context.Context, a, b dialer.LegID) error {
	return d.eng.Bridge(ctx, calls.LegID(a), calls.LegID(b))
}

func (d *dialerEngine) Unbridge(ctx context.Context, leg dialer.LegID) error {
	return d.eng.Unbridge(ctx, calls.LegID(leg))
}

func (d *dialerEngine) Play(ctx context.Context, leg dialer.LegID, samples []int16) error {
	return d.eng.Play(ctx, calls.LegID(leg), samples)
}

func (d *dialerEngine) Hangup(ctx context.Context, leg dialer.LegID, reason string) error {
	return d.eng.Hangup(ctx, calls.LegID(leg), reason)
}

func (d *dialerEngine) Subscribe(ctx context.Context, f dialer.EventFilter) <-chan dialer.Event {
	cf := calls.Filter{Audio: f.Audio}
	for _, l := range f.Legs {
		cf.Legs = append(cf.Legs, calls.LegID(l))
	}
	in := d.eng.Subscribe(ctx, cf)
	out := make(chan dialer.Event, 64)
	go func() {
		defer close(out)
		for ev := range in {
			de := dialer.Event{Kind: dialer.EventKind(ev.Kind), Leg: dialer.LegID(ev.Leg), At: ev.At, Key: ev.Key,
				Code: ev.Code, Disposition: ev.Disposition, CDRLegID: ev.CDRLegID, Samples: ev.Samples}
			if ev.Kind == calls.EventLegEnded {
				de.Charge = d.charge(ev.CDRLegID)
			}
			select {
			case out <- de:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// charge is what the meter charged for a leg, if it rated it.
func (d *dialerEngine) charge(legID string) string {
	if legID == "" {
		return ""
	}
	cdr, err := billing.GetCDR(d.db, legID)
	if err != nil || cdr == nil || cdr.Charge == nil {
		return ""
	}
	return cdr.Charge.Amount.String()
}

// agentJoin is the switch's *55 hook: the engine adopts the answered leg
// and the dialer makes it an agent's session. It runs on the call's
// goroutine with no lock of the engine's held, as the dialer asks.
func (d *dialerEngine) agentJoin(dial *dialer.Dialer) sip.AgentJoin {
	return func(ctx context.Context, user, campaignNumber string, el *sip.EngineLeg) error {
		id := d.eng.Adopt(switchLeg(el))
		return dial.AgentJoined(ctx, user, campaignNumber, dialer.LegID(id))
	}
}
