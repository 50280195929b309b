package dialer

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/kv"
	"github.com/dialtone/dialtone/phone"
)

// CampaignRequest is the body of POST /v1/campaigns; absent settings take
// their defaults.
type CampaignRequest struct {
	Name          string        `json:"name"`
	Mode          string        `json:"mode"`
	CallerID      string        `json:"caller_id"`
	Agents        []string      `json:"agents"`
	CallingHours  *CallingHours `json:"calling_hours"`
	RingTimeout   *Duration     `json:"ring_timeout"`
	WrapUp        *Duration     `json:"wrap_up"`
	MaxAttempts   *int          `json:"max_attempts"`
	RetryAfter    *Duration     `json:"retry_after"`
	VoicemailDrop string        `json:"voicemail_drop"`
	PredictiveRequest
}

// Modes: power dials one lead per ready agent; predictive dials on
// dialer/pacing's forecast and connects persons to agents as they answer.
const (
	ModePower      = "power"
	ModePredictive = "predictive"
)

// campaignOf validates a request and fills in the defaults.
func (d *Dialer) campaignOf(req CampaignRequest) (Campaign, error) {
	bad := func(format string, a ...any) (Campaign, error) {
		return Campaign{}, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
	}
	c := Campaign{Name: strings.TrimSpace(req.Name), Mode: req.Mode, Agents: req.Agents, VoicemailDrop: req.VoicemailDrop,
		CallingHours: CallingHours{DefaultCallingStart, DefaultCallingEnd},
		RingTimeout:  Duration{Duration: DefaultRingTimeout}, WrapUp: Duration{Duration: DefaultWrapUp},
		MaxAttempts: DefaultMaxAttempts, RetryAfter: Duration{Duration: DefaultRetryAfter}}
	if c.Name == "" {
		return bad("name is required")
	}
	if c.Mode == "" {
		c.Mode = ModePower
	}
	if c.Mode != ModePower && c.Mode != ModePredictive {
		return bad("mode %q: %q or %q", req.Mode, ModePower, ModePredictive)
	}
	callerID, err := phone.Normalize(req.CallerID, "")
	if err != nil {
		return bad("caller_id: %v", err)
	}
	if !slices.Contains(d.opts.Directory.CallerIDs(), callerID) {
		return bad("caller_id %s is neither a number of the organization nor a verified caller ID", callerID)
	}
	c.CallerID = callerID
	if len(c.Agents) == 0 {
		return bad("agents: at least one user's extension")
	}
	seen := map[string]bool{}
	for _, a := range c.Agents {
		if _, ok := d.opts.Directory.Permissions(a); !ok {
			return bad("agents: no user %q", a)
		}
		if seen[a] {
			return bad("agents: %s is listed twice", a)
		}
		seen[a] = true
	}
	if req.CallingHours != nil {
		c.CallingHours = *req.CallingHours
	}
	if err := c.CallingHours.check(); err != nil {
		return bad("%v", err)
	}
	if req.RingTimeout != nil {
		c.RingTimeout = *req.RingTimeout
	}
	if c.RingTimeout.Duration < MinRingTimeout || c.RingTimeout.Duration > 5*time.Minute {
		return bad("ring_timeout %s: from %s to 5m (shorter hangs up on people reaching for the phone)", c.RingTimeout.Duration, MinRingTimeout)
	}
	if req.WrapUp != nil {
		c.WrapUp = *req.WrapUp
	}
	if c.WrapUp.Duration > time.Hour {
		return bad("wrap_up %s: at most 1h", c.WrapUp.Duration)
	}
	if req.MaxAttempts != nil {
		c.MaxAttempts = *req.MaxAttempts
	}
	if c.MaxAttempts < 1 || c.MaxAttempts > 100 {
		return bad("max_attempts %d: from 1 to 100", c.MaxAttempts)
	}
	if req.RetryAfter != nil {
		c.RetryAfter = *req.RetryAfter
	}
	if c.VoicemailDrop != "" {
		if d.opts.LoadAudio == nil {
			return bad("voicemail_drop: this switch cannot play messages")
		}
		if _, err := d.opts.LoadAudio(c.VoicemailDrop); err != nil {
			return bad("voicemail_drop: %v", err)
		}
	}
	if err := d.predictiveOf(&c, req.PredictiveRequest); err != nil {
		return bad("%v", err)
	}
	return c, nil
}

// CreateCampaign adds a campaign in the draft state, with a short number
// agents dial after *55.
func (d *Dialer) CreateCampaign(req CampaignRequest) (Campaign, error) {
	c, err := d.campaignOf(req)
	if err != nil {
		return Campaign{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	c.State, c.CreatedAt, c.StateSince = CampaignDraft, now, now
	err = d.update(func(tx kv.Tx) error {
		seq, err := tx.NextSequence(bucketCampaigns)
		if err != nil {
			return err
		}
		c.Number = strconv.FormatUint(seq, 10)
		c.ID = "cmp_" + c.Number
		return tx.Put(bucketCampaigns, c.ID, c)
	})
	if err != nil {
		return Campaign{}, fmt.Errorf("save campaign: %w", err)
	}
	d.addRunLocked(c)
	return c, nil
}

// Campaigns lists the campaigns, oldest first.
func (d *Dialer) Campaigns() []Campaign {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Campaign, 0, len(d.order))
	for _, id := range d.order {
		out = append(out, d.campaigns[id].c)
	}
	return out
}

// Start runs a draft or paused campaign.
func (d *Dialer) StartCampaign(id string) (Campaign, error) {
	return d.changeState(id, CampaignRunning, "")
}

// PauseCampaign stops dialling: leads still ringing are canceled, calls
// in progress go on, agents stay.
func (d *Dialer) PauseCampaign(id string) (Campaign, error) {
	return d.changeState(id, CampaignPaused, "")
}

// StopCampaign ends a campaign for good: leads still ringing are
// canceled and agents not on a call leave (those on one leave when it
// ends).
func (d *Dialer) StopCampaign(id string) (Campaign, error) {
	return d.changeState(id, CampaignStopped, "")
}

func (d *Dialer) changeState(id, state, reason string) (Campaign, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, err := d.campaignLocked(id)
	if err != nil {
		return Campaign{}, err
	}
	if r.c.State == CampaignStopped && state != CampaignStopped {
		return Campaign{}, fmt.Errorf("%w: campaign %s is stopped", ErrConflict, id)
	}
	if state == CampaignRunning && d.opts.Engine == nil {
		return Campaign{}, ErrNoEngine
	}
	if err := d.setStateLocked(r, state, reason); err != nil {
		return Campaign{}, err
	}
	return r.c, nil
}

// setStateLocked moves a campaign to state and does what the state asks
// of calls in flight and agents.
func (d *Dialer) setStateLocked(r *run, state, reason string) error {
	if r.c.State == state && r.c.PauseReason == reason {
		return nil
	}
	prev := r.c
	r.c.State, r.c.PauseReason, r.c.StateSince = state, reason, d.now()
	err := d.update(func(tx kv.Tx) error {
		if err := tx.Put(bucketCampaigns, r.c.ID, r.c); err != nil {
			return err
		}
		return d.emit(tx, "campaign.state", map[string]any{"campaign_id": r.c.ID, "name": r.c.Name, "state": state,
			"reason": reason, "at": r.c.StateSince})
	})
	if err != nil {
		r.c = prev
		return fmt.Errorf("save campaign %s: %w", r.c.ID, err)
	}
	d.log.Info("dialer: campaign", "campaign", r.c.ID, "state", state, "reason", reason)
	switch state {
	case CampaignRunning:
		d.dispatchLocked(r)
	case CampaignPaused, CampaignStopped:
		d.cancelRingingLocked(r)
		if state == CampaignStopped {
			for _, s := range r.agents {
				if s.State != AgentTalking {
					d.endSessionLocked(r, s, "campaign stopped")
				}
			}
		}
	}
	return nil
}

// cancelRingingLocked hangs up the leads not yet answered: their
// attempts end canceled when the engine reports the legs ended.
func (d *Dialer) cancelRingingLocked(r *run) {
	for _, a := range r.inFlight {
		if a.AnsweredAt.IsZero() && a.Leg != "" && a.Outcome == "" {
			a.Outcome = OutcomeCanceled
			if err := d.opts.Engine.Hangup(d.engineCtx(), a.Leg, dispCanceled); err != nil {
				d.log.Warn("dialer: cancel lead leg", "leg", a.Leg, "error", err)
			}
		}
	}
}

// DeleteCampaign removes a stopped campaign with its leads, attempts and
// sessions.
func (d *Dialer) DeleteCampaign(id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, err := d.campaignLocked(id)
	if err != nil {
		return err
	}
	if r.c.State != CampaignStopped {
		return fmt.Errorf("%w: campaign %s is %s: stop it first", ErrConflict, id, r.c.State)
	}
	if len(r.inFlight) > 0 || len(r.agents) > 0 {
		return fmt.Errorf("%w: campaign %s still has calls; try again when they end", ErrConflict, id)
	}
	err = d.update(func(tx kv.Tx) error {
		for _, b := range []string{bucketLeads, bucketAttempts, bucketSessions} {
			if err := tx.DeletePrefix(b, campaignPrefix(id)); err != nil {
				return err
			}
		}
		return tx.Delete(bucketCampaigns, id)
	})
	if err != nil {
		return fmt.Errorf("delete campaign %s: %w", id, err)
	}
	delete(d.campaigns, id)
	d.order = slices.DeleteFunc(d.order, func(x string) bool { return x == id })
	return nil
}
