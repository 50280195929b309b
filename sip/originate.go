package sip

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/calls"
	orgdir "github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/media"
)

// errNoAnchor: the engine's legs are the switch's own media ends.
var errNoAnchor = errors.New("originate: the switch must anchor media (media.anchor is off)")

// Origination is a leg the call engine asks the switch to place.
type Origination struct {
	User        string        // whose permissions, caller IDs and credit the leg uses
	To          string        // an extension (the user's phones) or a number (E.164 or national)
	CallerID    string        // presented outside; an organization number or one of User's caller IDs
	RingTimeout time.Duration // 0: sip.ring_timeout
	Reason      billing.Reason
	// Free makes the leg cost nothing (an agent's session leg).
	Free bool
	// Campaign, lead and attempt ids go into the CDR.
	CampaignID, LeadID, AttemptID string
}

// Originate places a leg for the call engine, with the checks of a call
// the user dials by hand: the user exists, the outside number is one
// the user's role may call with that caller ID, the caller ID is the
// organization's or the user's (the directory's RouteOrigination), the
// user's phones are registered for a call to them, and the meter grants
// the first slice of credit. A refusal wraps ErrOriginateRefused, no
// credit billing.ErrInsufficientCredit. It returns once the INVITE is on
// its way; progress comes from the leg.
func (sw *Switch) Originate(ctx context.Context, o Origination) (*EngineLeg, error) {
	dir := sw.directory()
	u := dir.User(o.User)
	if u == nil {
		return nil, fmt.Errorf("%w: no such user %q", ErrOriginateRefused, o.User)
	}
	rt, err := dir.RouteOrigination(u, o.To, o.CallerID)
	var refusal *orgdir.Refusal
	if errors.As(err, &refusal) {
		return nil, fmt.Errorf("%w: %s", ErrOriginateRefused, refusal.Reason)
	}
	if err != nil {
		return nil, fmt.Errorf("originate: %w", err)
	}
	h := &orgdir.Hop{Users: rt.Targets, Trunk: rt.OutTrunk, E164: rt.E164, Reason: o.Reason, RingFor: o.RingTimeout, CallerID: o.CallerID}
	facts := billing.LegFacts{Direction: billing.Outbound, Endpoint: billing.EndpointPhone, Peer: billing.EndpointPhone}
	if h.Trunk != nil {
		facts.Endpoint = billing.EndpointTrunk
	} else if t := h.Users[0]; len(sw.reg.lookup(t.Extension)) == 0 {
		return nil, fmt.Errorf("originate to %s: %w", t.Extension, calls.ErrNotRegistered)
	}
	if o.Free {
		// The agent's session leg: its party talks to the leads on the
		// trunk, so billing.Classify makes it free access.
		facts.Peer = billing.EndpointTrunk
	}
	if !sw.admit() {
		return nil, fmt.Errorf("originate: %w", calls.ErrShuttingDown)
	}
	c := calls.NewEngineCall(sw.callHost(), u, o.CallerID, sw.directory().Settings, sw.log)
	l := c.NewLeg(facts)
	l.CDR.Reason = o.Reason
	l.CDR.CallerID, l.CDR.User = o.CallerID, u.Extension
	l.CDR.CampaignID, l.CDR.LeadID, l.CDR.AttemptID = o.CampaignID, o.LeadID, o.AttemptID
	if h.Trunk != nil {
		l.CDR.Trunk, l.CDR.From, l.CDR.To = h.Trunk.Name, o.CallerID, h.E164
	} else {
		l.CDR.From, l.CDR.To = u.Extension, h.Users[0].Extension
	}
	if _, err := c.Authorize(ctx, l); err != nil {
		sw.calls.Done()
		ce := asCallError(err)
		if errors.Is(err, billing.ErrInsufficientCredit) {
			return nil, fmt.Errorf("originate: %w", err)
		}
		if ce.Code == 403 {
			return nil, fmt.Errorf("%w: %s", ErrOriginateRefused, ce.Reason)
		}
		return nil, fmt.Errorf("originate: %w", err)
	}
	if sw.media == nil {
		sw.calls.Done()
		if sw.meter != nil {
			sw.meter.Release(l.CDR.LegID)
		}
		return nil, errNoAnchor
	}
	m, err := sw.media.Allocate()
	if err != nil {
		sw.calls.Done()
		if sw.meter != nil {
			sw.meter.Release(l.CDR.LegID)
		}
		return nil, fmt.Errorf("originate: %w", err)
	}
	offer, err := media.Offer(sw.mediaIP, m.Port())
	if err != nil {
		sw.calls.Done()
		_ = m.Close()
		if sw.meter != nil {
			sw.meter.Release(l.CDR.LegID)
		}
		return nil, fmt.Errorf("originate: %w", err)
	}
	sw.cdrs.Started(&l.CDR)
	e := newEngineLeg(sw, l, m)
	sw.active.Add(1)
	go func() {
		defer sw.calls.Done()
		defer sw.active.Add(-1)
		e.place(c, h, offer)
	}()
	return e, nil
}

// place rings the leg's destination, then keeps the answered leg up.
func (e *EngineLeg) place(c *calls.Call, h *orgdir.Hop, offer []byte) {
	l := e.l
	var once sync.Once
	early := false
	provisional := func(p calls.RingProgress) {
		if !p.Relayed() {
			return
		}
		if len(p.SDP) > 0 && !early {
			if err := e.takeAnswer(offer, p.SDP, p.Source); err == nil {
				early = true
				e.emit(Progress{Kind: ProgressEarlyMedia})
				return
			}
		}
		once.Do(func() { e.emit(Progress{Kind: ProgressRinging}) })
	}
	winner, party, res, err := c.RingWith(h, offer, l, provisional)
	if err != nil {
		disp, code := calls.RingFailure(res, err)
		if e.hungUp() {
			disp, code = billing.Canceled, 487
		}
		l.End(disp, code)
		c.Log().Info("engine leg not answered", "leg_id", l.CDR.LegID, "to", l.CDR.To, "disposition", disp, "code", code, "error", err)
		e.ended(c)
		return
	}
	l.Party = party
	e.answered(c, winner, offer)
}

// answered takes the leg's answer, acknowledges it and keeps it up.
func (e *EngineLeg) answered(c *calls.Call, w calls.Dialog, offer []byte) {
	l := e.l
	l.SetDialog(w)
	e.sw.storeDialog(l)
	l.SetAnswered(time.Now())
	if err := w.Answer(nil); err != nil {
		c.Log().Warn("ack engine leg", "error", err)
	}
	if err := e.takeAnswer(offer, w.SDP(), w.Source()); err != nil {
		c.Log().Warn("engine leg's answer refused", "error", err)
		ctx, cancel := context.WithTimeout(context.Background(), e.sw.byeTimeout())
		_ = w.Bye(ctx)
		cancel()
		l.End(billing.Failed, 488)
		e.ended(c)
		return
	}
	e.emit(Progress{Kind: ProgressAnswered, At: *l.CDR.AnsweredAt})
	c.KeepLegUp(e.l, e.stop)
	e.ended(c)
}

// takeAnswer points the leg's media at the party's SDP (a 183 or the
// 2xx, from the address source) and picks the payload types to play in.
func (e *EngineLeg) takeAnswer(offer, body []byte, source string) error {
	if len(body) == 0 {
		return nil // no SDP in the 2xx: the 183's stands
	}
	if err := media.Negotiable(offer, body); err != nil {
		return err
	}
	remote, err := media.Remote(body)
	if err != nil {
		return err
	}
	if err := e.sw.media.CheckRemote(remote); err != nil {
		return err
	}
	_, pt, err := media.PromptPayloadTypes(offer, body)
	if err != nil {
		return err
	}
	te := media.DefaultTelephoneEvent
	if d, err := media.Parse(body); err == nil {
		if c, ok := d.TelephoneEvent(); ok {
			te = c.PayloadType
		}
	}
	e.setPayloadTypes(pt, te)
	e.media.SetSignalingSource(calls.SignalingSource(source))
	e.media.SetRemote(remote)
	return nil
}
