package dialer

import (
	"errors"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/dialtone/dialtone/internal/kv"
)

// Tags the dialer puts on a lead's leg; the engine copies them into the
// CDR.
const (
	TagCampaign = "campaign_id"
	TagLead     = "lead_id"
	TagAttempt  = "attempt_id"
)

// ReasonDialer is the CDR reason of every leg the dialer places.
const ReasonDialer = "dialer"

// dispatchLocked gives each ready agent of a running campaign the next
// eligible lead in list order, as many as the pacer says.
func (d *Dialer) dispatchLocked(r *run) {
	if r == nil || d.opts.Engine == nil || r.c.State != CampaignRunning || d.stopping || r.backingOff(d.now()) {
		return
	}
	if r.c.Mode == ModePredictive {
		d.dispatchPredictiveLocked(r)
		return
	}
	now := d.now()
	n := r.pacer.Dials(r.paceState(now))
	for _, s := range r.readyAgents() {
		if n <= 0 {
			return
		}
		if err := mayDial(d.opts.Directory, s.User); err != nil {
			d.log.Warn("dialer: agent may no longer dial", "campaign", r.c.ID, "user", s.User, "error", err)
			d.endSessionLocked(r, s, "permission: "+err.Error())
			continue
		}
		for {
			l := d.nextLeadLocked(r, s, now)
			if l == nil {
				break // nothing to dial for now: the agent waits, ready
			}
			dialled := d.dialLocked(r, s, l, now)
			if r.c.State != CampaignRunning || d.stopping || r.backingOff(now) {
				return // paused itself (credit), the switch is stopping or overloaded
			}
			if dialled {
				n--
				break
			}
		}
	}
}

// readyAgents are the ready agents, the longest waiting first.
func (r *run) readyAgents() []*session {
	var out []*session
	for _, s := range r.agents {
		if s.State == AgentReady {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Since.Equal(out[j].Since) {
			return out[i].Since.Before(out[j].Since)
		}
		return out[i].User < out[j].User
	})
	return out
}

func (r *run) paceState(now time.Time) PaceState {
	st := PaceState{Now: now}
	for _, s := range r.agents {
		st.Agents = append(st.Agents, AgentState{ID: s.User, Status: s.State, Since: s.Since})
	}
	for _, a := range r.inFlight {
		if a.AnsweredAt.IsZero() || r.pred != nil && r.pred.detecting[a.ID] {
			st.InFlight = append(st.InFlight, Call{DialedAt: a.StartedAt})
		}
	}
	if r.pred != nil {
		st.Waiting = len(r.pred.waiting)
	}
	return st
}

// nextLeadLocked is the first lead in list order agent s may dial now.
// Leads that may never be dialled are closed on the way (blocked with the
// reason); those that may be later (retry_after, calling hours, another
// agent's permissions) are left.
func (d *Dialer) nextLeadLocked(r *run, s *session, now time.Time) *Lead {
	for _, l := range r.leads {
		if l.State != LeadPending {
			continue
		}
		if l.Attempts >= r.c.MaxAttempts {
			d.closeLeadLocked(r, l, LeadDone, ReasonMaxAttempts)
			continue
		}
		if _, ok := d.dnc[l.Phone]; ok {
			d.blockLocked(r, l, s.User, ReasonDNC)
			continue
		}
		if !l.LastDialed.IsZero() && now.Before(l.LastDialed.Add(r.c.RetryAfter.Duration)) {
			continue
		}
		if !r.c.CallingHours.open(now, r.zonesOf(l)) || !d.mayRedialLocked(r, l, now) {
			continue
		}
		if err := mayCall(d.opts.Directory, s.User, r.c.CallerID, l.Phone); err != nil {
			if d.someAgentMayCall(r, l) {
				continue // left for an agent who may
			}
			d.blockLocked(r, l, s.User, ReasonPermission+": "+err.Error())
			continue
		}
		return l
	}
	return nil
}

// someAgentMayCall says whether any of the campaign's agents may call l.
func (d *Dialer) someAgentMayCall(r *run, l *Lead) bool {
	for _, a := range r.c.Agents {
		if mayCall(d.opts.Directory, a, r.c.CallerID, l.Phone) == nil {
			return true
		}
	}
	return false
}

func (r *run) zonesOf(l *Lead) []*time.Location {
	z, ok := r.zones[l.ID]
	if !ok {
		z = leadZones(l, r.c.CallerID)
		r.zones[l.ID] = z
	}
	return z
}

// dialLocked leases l to agent s and places the call: the lease and the
// attempt are on disk before the call leaves, so after a crash the lead
// is known to have been in flight (and is never dialled twice at once).
func (d *Dialer) dialLocked(r *run, s *session, l *Lead, now time.Time) bool {
	a := d.placeLocked(r, s.User, s.Leg, l, now)
	if a == nil {
		return false
	}
	if s.State == AgentReady {
		observeSince(d.metrics.idleGap, s.Since, d.now())
	}
	s.Dials++
	s.AttemptID, s.LeadLeg = a.ID, a.Leg
	d.setAgentStateLocked(r, s, AgentDialing)
	return true
}

// placeLocked leases l and places its call under user's rules: for that
// agent (power: earlyTo is the agent's leg and the lead is theirs) or
// for the campaign (predictive: earlyTo is empty and the lead goes to
// whoever is free when a person answers).
func (d *Dialer) placeLocked(r *run, user string, earlyTo LegID, l *Lead, now time.Time) *Attempt {
	holder := user
	if earlyTo == "" {
		holder = ""
	}
	a := &Attempt{ID: "att_" + uuid.NewString(), CampaignID: r.c.ID, LeadID: l.ID, Agent: holder, StartedAt: now}
	prev := *l
	l.State, l.Agent, l.AttemptID = LeadDialing, holder, a.ID
	err := d.update(func(tx kv.Tx) error {
		if err := putAttempt(tx, a); err != nil {
			return err
		}
		return tx.Put(bucketLeads, seqKey(r.c.ID, l.Seq), l)
	})
	if err != nil {
		*l = prev
		d.log.Error("dialer: lease lead", "campaign", r.c.ID, "lead", l.ID, "error", err)
		return nil
	}
	leg, err := d.opts.Engine.Originate(d.engineCtx(), Origination{
		User: user, To: l.Phone, CallerID: r.c.CallerID, RingTimeout: r.c.RingTimeout.Duration,
		EarlyMediaTo: earlyTo, Reason: ReasonDialer,
		Tags: map[string]string{TagCampaign: r.c.ID, TagLead: l.ID, TagAttempt: a.ID},
	})
	if err != nil {
		d.originateFailedLocked(r, l, a, err)
		return nil
	}
	a.Leg = leg
	r.inFlight[a.ID] = a
	d.legs[leg] = legRef{campaign: r.c.ID, attempt: a.ID}
	if err := d.update(func(tx kv.Tx) error { return putAttempt(tx, a) }); err != nil {
		d.log.Error("dialer: save attempt", "attempt", a.ID, "error", err)
	}
	return a
}

// originateFailedLocked closes an attempt the engine refused to place.
// No credit pauses the campaign (the lead stays as it was); a refusal by
// the rules of a hand-dialled call blocks the lead.
func (d *Dialer) originateFailedLocked(r *run, l *Lead, a *Attempt, err error) {
	d.log.Warn("dialer: originate", "campaign", r.c.ID, "lead", l.ID, "error", err)
	switch {
	case errors.Is(err, ErrNoCredit):
		a.Outcome, a.Reason = OutcomeBlocked, ReasonCredit
		d.finishAttemptLocked(r, a, nil)
		if err := d.setStateLocked(r, CampaignPaused, ReasonCredit); err != nil {
			d.log.Error("dialer: pause for credit", "campaign", r.c.ID, "error", err)
		}
	case errors.Is(err, ErrRefused):
		a.Outcome, a.Reason = OutcomeBlocked, err.Error()
		d.finishAttemptLocked(r, a, nil)
	case errors.Is(err, ErrOverloaded):
		// The switch turned the call away before dialling it, as it
		// turns away INVITEs past its setup limit: the lead is as it
		// was (interrupted attempts count for nothing) and the campaign
		// waits a moment instead of offering the next lead at once.
		a.Outcome, a.Reason = OutcomeInterrupted, err.Error()
		d.finishAttemptLocked(r, a, nil)
		d.backOffLocked(r)
	case errors.Is(err, ErrNoEngine):
		// The switch is stopping: the lead never left, as after a
		// restart, and nothing more is dialled.
		a.Outcome, a.Reason = OutcomeInterrupted, err.Error()
		d.finishAttemptLocked(r, a, nil)
		d.stopping = true
	default:
		a.Outcome, a.Reason = OutcomeFailed, err.Error()
		d.finishAttemptLocked(r, a, nil)
	}
}

// blockLocked records that l may never be dialled, as a blocked attempt
// with the reason.
func (d *Dialer) blockLocked(r *run, l *Lead, agent, reason string) {
	a := &Attempt{ID: "att_" + uuid.NewString(), CampaignID: r.c.ID, LeadID: l.ID, Agent: agent, StartedAt: d.now(),
		Outcome: OutcomeBlocked, Reason: reason}
	d.finishAttemptLocked(r, a, nil)
}

// closeLeadLocked closes a lead without an attempt (out of attempts).
func (d *Dialer) closeLeadLocked(r *run, l *Lead, state, reason string) {
	prev := *l
	l.State, l.Reason = state, reason
	if err := d.update(func(tx kv.Tx) error { return tx.Put(bucketLeads, seqKey(r.c.ID, l.Seq), l) }); err != nil {
		*l = prev
		d.log.Error("dialer: save lead", "lead", l.ID, "error", err)
	}
}

// overloadBackoff is how long a campaign waits after the switch refused
// one of its calls for overload: the switch's own 503s ask callers to
// retry after 1–4 s, and its setups take milliseconds, so a second gives
// it room without leaving agents idle for long.
const overloadBackoff = time.Second

// backingOff reports whether the campaign waits out an overload.
func (r *run) backingOff(now time.Time) bool { return now.Before(r.overloadedUntil) }

// backOffLocked holds r's dialling for overloadBackoff, then dispatches
// again (the next event may come later than that).
func (d *Dialer) backOffLocked(r *run) {
	if r.backingOff(d.now()) {
		return // a wake-up is on its way
	}
	r.overloadedUntil = d.now().Add(overloadBackoff)
	d.log.Warn("dialer: the switch is overloaded; dialling again shortly", "campaign", r.c.ID, "after", overloadBackoff)
	id := r.c.ID
	d.clock.AfterFunc(overloadBackoff, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.ctx.Err() != nil {
			return
		}
		if r := d.campaigns[id]; r != nil {
			d.dispatchLocked(r)
		}
	})
}
