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
// with the dialer's originations and errors, and each ended leg's charge
// read back from its CDR (the CDR store has written it before the leg
// reports its end). Bridge, Unbridge, Play, Hangup and Subscribe are the
// engine's own.
type dialerEngine struct {
	*calls.Engine
	db  *bbolt.DB
	log *slog.Logger
}

var _ dialer.Engine = (*dialerEngine)(nil)

func newDialerEngine(sw *sip.Switch, db *bbolt.DB, log *slog.Logger) *dialerEngine {
	d := &dialerEngine{db: db, log: log}
	// The engine places its legs itself, as calls of their own on the
	// switch, which rings them over SIP.
	d.Engine = calls.New(calls.HostNetwork{Host: sw.CallHost(), Log: log}, log, calls.WithCharges(d.charge))
	return d
}

func (d *dialerEngine) Originate(ctx context.Context, o dialer.Origination) (dialer.LegID, error) {
	id, err := d.Engine.Originate(ctx, calls.Origination{
		User: o.User, To: o.To, CallerID: o.CallerID, RingTimeout: o.RingTimeout,
		EarlyMediaTo: o.EarlyMediaTo, Reason: billing.Reason(o.Reason), Tags: o.Tags,
		// The agent's own session leg (the dialer rings the agent) is free.
		Free: o.Tags[dialer.TagLead] == "",
	})
	if errors.Is(err, calls.ErrStopping) {
		return "", fmt.Errorf("%w: %v", dialer.ErrNoEngine, err)
	}
	return id, err
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
func (d *dialerEngine) agentJoin(dial *dialer.Dialer) calls.AgentJoin {
	return func(ctx context.Context, user, campaignNumber string, leg calls.Leg) error {
		id := d.Engine.Adopt(leg)
		return dial.AgentJoined(ctx, user, campaignNumber, id)
	}
}
