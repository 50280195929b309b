package calls

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dialtone/dialtone/billing"
	orgdir "github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/media"
)

// errNoAnchor: the engine's legs are the switch's own media ends.
var errNoAnchor = errors.New("originate: the switch must anchor media (media.anchor is off)")

// HostNetwork is the engine's own way to place legs (a Network): each leg
// is a call of its own on Host, rung through the host's HopRinger, with
// the checks of a call the user dials by hand. Log is the calls' logger.
type HostNetwork struct {
	Host Host
	Log  *slog.Logger
}

var _ Network = HostNetwork{}

// Place places a leg with the checks of a call the user dials by hand:
// the user exists, the outside number is one the user's role may call
// with that caller ID, the caller ID is the organization's or the user's
// (the directory's RouteOrigination), the user's phones are registered
// for a call to them, and the meter grants the first slice of credit. A
// refusal wraps ErrRefused, no credit billing.ErrInsufficientCredit, a
// switch shutting down ErrStopping, one setting up as many calls as its
// admission control allows ErrOverloaded. It returns once the leg rings;
// its progress comes from the leg.
func (n HostNetwork) Place(ctx context.Context, o Origination) (Leg, error) {
	host := n.Host
	dir := host.CallDirectory()
	u := dir.User(o.User)
	if u == nil {
		return nil, fmt.Errorf("%w: no such user %q", ErrRefused, o.User)
	}
	rt, err := dir.RouteOrigination(u, o.To, o.CallerID)
	var refusal *orgdir.Refusal
	if errors.As(err, &refusal) {
		return nil, fmt.Errorf("%w: %s", ErrRefused, refusal.Reason)
	}
	if err != nil {
		return nil, fmt.Errorf("originate: %w", err)
	}
	h := &orgdir.Hop{Users: rt.Targets, Trunk: rt.OutTrunk, E164: rt.E164, Reason: o.Reason, RingFor: o.RingTimeout, CallerID: o.CallerID}
	facts := billing.LegFacts{Direction: billing.Outbound, Endpoint: billing.EndpointPhone, Peer: billing.EndpointPhone}
	if h.Trunk != nil {
		facts.Endpoint = billing.EndpointTrunk
	} else if t := h.Users[0]; !host.Registered(t.Extension) {
		return nil, fmt.Errorf("originate to %s: %w", t.Extension, ErrNotRegistered)
	}
	if o.Free {
		// The agent's session leg: its party talks to the leads on the
		// trunk, so billing.Classify makes it free access.
		facts.Peer = billing.EndpointTrunk
	}
	done, setupDone, err := host.AdmitCall()
	if err != nil {
		return nil, fmt.Errorf("originate: %w", err)
	}
	c := newEngineCall(host, u, o.CallerID, dir.Settings, n.Log)
	c.OnSetupDone(setupDone)
	l := c.newLeg(facts)
	l.CDR.Reason = o.Reason
	l.CDR.CallerID, l.CDR.User = o.CallerID, u.Extension
	l.CDR.CampaignID, l.CDR.LeadID, l.CDR.AttemptID = o.Tags["campaign_id"], o.Tags["lead_id"], o.Tags["attempt_id"]
	if h.Trunk != nil {
		l.CDR.Trunk, l.CDR.From, l.CDR.To = h.Trunk.Name, o.CallerID, h.E164
	} else {
		l.CDR.From, l.CDR.To = u.Extension, h.Users[0].Extension
	}
	m, offer, err := c.placeMedia(ctx, l)
	if err != nil {
		c.releaseSetup()
		done()
		return nil, err
	}
	host.LegStarted(&l.CDR)
	e := newDialogLeg(host, l, m)
	go func() {
		defer done()
		e.place(c, h, offer)
	}()
	return e, nil
}

// placeMedia authorizes the leg's credit and gives it one of the switch's
// media ports, with the SDP offer of it; on an error the leg holds
// neither.
func (c *Call) placeMedia(ctx context.Context, l *CallLeg) (*media.Leg, []byte, error) {
	if _, err := c.Authorize(ctx, l); err != nil {
		if errors.Is(err, billing.ErrInsufficientCredit) {
			return nil, nil, fmt.Errorf("originate: %w", err)
		}
		if RefusalOf(err).Code == StatusForbidden {
			return nil, nil, fmt.Errorf("%w: %s", ErrRefused, RefusalOf(err).Reason)
		}
		return nil, nil, fmt.Errorf("originate: %w", err)
	}
	release := func() {
		if meter := c.host.CreditMeter(); meter != nil {
			meter.Release(l.CDR.LegID)
		}
	}
	pool := c.host.MediaPool()
	if pool == nil {
		release()
		return nil, nil, errNoAnchor
	}
	m, err := pool.Allocate()
	if err != nil {
		release()
		return nil, nil, fmt.Errorf("originate: %w", err)
	}
	offer, err := media.Offer(c.host.MediaAddr(), m.Port())
	if err != nil {
		_ = m.Close()
		release()
		return nil, nil, fmt.Errorf("originate: %w", err)
	}
	return m, offer, nil
}

// place rings the leg's destination, then keeps the answered leg up.
func (e *dialogLeg) place(c *Call, h *orgdir.Hop, offer []byte) {
	l := e.l
	var once sync.Once
	early := false
	provisional := func(p RingProgress) {
		// The callee has the INVITE (100 Trying, ringing): the switch's
		// part of the setup is done, as for a phone's call.
		c.releaseSetup()
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
	winner, party, res, err := c.ringWith(h, offer, l, provisional)
	c.releaseSetup() // answered or failed, whether or not anything came before
	if err != nil {
		disp, code := RingFailure(res, err)
		if e.hungUp() {
			disp, code = billing.Canceled, StatusRequestTerminated
		}
		l.End(disp, code)
		c.log.Info("engine leg not answered", "leg_id", l.CDR.LegID, "to", l.CDR.To, "disposition", disp, "code", code, "error", err)
		e.ended(c)
		return
	}
	l.Party = party
	e.answered(c, winner, offer)
}

// answered takes the leg's answer, acknowledges it and keeps it up.
func (e *dialogLeg) answered(c *Call, w Dialog, offer []byte) {
	l := e.l
	l.SetDialog(w)
	e.host.StoreDialog(l)
	l.SetAnswered(time.Now())
	if err := w.Answer(nil); err != nil {
		c.log.Warn("ack engine leg", "error", err)
	}
	if err := e.takeAnswer(offer, w.SDP(), w.Source()); err != nil {
		c.log.Warn("engine leg's answer refused", "error", err)
		ctx, cancel := context.WithTimeout(context.Background(), e.host.ByeTimeout())
		_ = w.Bye(ctx)
		cancel()
		l.End(billing.Failed, StatusNotAcceptableHere)
		e.ended(c)
		return
	}
	e.emit(Progress{Kind: ProgressAnswered, At: *l.CDR.AnsweredAt})
	c.keepLegUp(e.l, e.stop)
	e.ended(c)
}

// takeAnswer points the leg's media at the party's SDP (a 183 or the
// 2xx, from the address source) and picks the payload types to play in.
func (e *dialogLeg) takeAnswer(offer, body []byte, source string) error {
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
	if err := e.host.MediaPool().CheckRemote(remote); err != nil {
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
	e.media.SetSignalingSource(SignalingSource(source))
	e.media.SetRemote(remote)
	return nil
}
