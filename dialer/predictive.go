package dialer

import (
	"context"
	"slices"
	"time"

	"github.com/dialtone/dialtone/dialer/pacing"
	"github.com/dialtone/dialtone/internal/kv"
)

// A predictive campaign dials leads for no agent in particular, as many
// as dialer/pacing's forecast says; a person who answers (after
// answering-machine detection, when on) goes to the agent who has waited
// longest, or waits for the next agent to come free. Nobody free within
// AbandonAfter: the call is abandoned, the abandon message plays and 9
// puts the number on the do-not-call list.

// predictiveState is a predictive campaign's calls between answer and
// agent, in memory (a restart interrupts them with the rest).
type predictiveState struct {
	detecting map[string]bool // attempts answered, AMD still listening
	waiting   []string        // attempts of persons waiting for an agent, first come first
}

func (r *run) predictive() *predictiveState {
	if r.pred == nil {
		r.pred = &predictiveState{detecting: map[string]bool{}}
	}
	return r.pred
}

// dispatchPredictiveLocked connects waiting persons to ready agents, then
// dials what the pacer asks, capped at max_lines_per_agent lines per
// agent taking calls.
func (d *Dialer) dispatchPredictiveLocked(r *run) {
	d.connectWaitingLocked(r)
	now := d.now()
	if r.backingOff(now) {
		return // the waiting persons were offered to agents; no new dials
	}
	st := r.paceState(now)
	n := r.pacer.Dials(st)
	taking := 0
	for _, s := range r.agents {
		if s.State != AgentPaused && s.State != AgentJoining {
			taking++
		}
	}
	n = min(n, taking*r.c.MaxLinesPerAgent-len(r.inFlight))
	for ; n > 0; n-- {
		if !d.dialForCampaignLocked(r, now) || r.c.State != CampaignRunning {
			return
		}
	}
}

// dialForCampaignLocked dials the next eligible lead in list order under
// the permissions of the campaign's longest waiting agent.
func (d *Dialer) dialForCampaignLocked(r *run, now time.Time) bool {
	agents := r.sessionsByWait()
	if len(agents) == 0 {
		return false
	}
	s := agents[0]
	for {
		l := d.nextLeadLocked(r, s, now)
		if l == nil {
			return false
		}
		if a := d.placeLocked(r, s.User, "", l, now); a != nil {
			return true
		}
		if r.c.State != CampaignRunning || d.stopping || r.backingOff(now) {
			return false
		}
	}
}

// sessionsByWait are the agents taking calls, the longest waiting first.
func (r *run) sessionsByWait() []*session {
	var out []*session
	for _, s := range r.agents {
		if s.State != AgentPaused && s.State != AgentJoining {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b *session) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return compareStrings(a.User, b.User)
	})
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// predictiveAnsweredLocked takes a predictive lead's answer: detection
// first when the campaign asks for it, else a person.
func (d *Dialer) predictiveAnsweredLocked(r *run, a *Attempt) {
	if a.Outcome != "" {
		_ = d.opts.Engine.Hangup(d.engineCtx(), a.Leg, dispCanceled) // canceled as it was answered
		return
	}
	if r.c.AMD == AMDOff || r.c.AMD == "" {
		d.personAnsweredLocked(r, a, a.AnsweredAt)
		return
	}
	r.predictive().detecting[a.ID] = true
	ctx, cancel := context.WithCancel(d.engineCtx())
	// Subscribed under the lock, so no frame is lost; read outside it.
	frames := d.opts.Engine.Subscribe(ctx, EventFilter{Legs: []LegID{a.Leg}, Audio: true})
	go d.detect(ctx, cancel, r.c, a.ID, a.Leg, frames)
}

// personAnsweredLocked counts a person's answer and connects them to an
// agent, or has them wait; the abandon clock runs from `from`.
func (d *Dialer) personAnsweredLocked(r *run, a *Attempt, from time.Time) {
	delete(r.predictive().detecting, a.ID)
	d.recordHumanLocked(r, a.AnsweredAt)
	if s := d.freeAgentLocked(r); s != nil {
		d.connectLocked(r, s, a)
		return
	}
	r.predictive().waiting = append(r.predictive().waiting, a.ID)
	wait := max(AbandonAfter-d.now().Sub(from), 0)
	d.clock.AfterFunc(wait, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if slices.Contains(r.predictive().waiting, a.ID) && r.inFlight[a.ID] == a {
			d.abandonLocked(r, a)
		}
	})
}

// freeAgentLocked is the ready agent who has waited longest, if any.
func (d *Dialer) freeAgentLocked(r *run) *session {
	ready := r.readyAgents()
	if len(ready) == 0 {
		return nil
	}
	return ready[0]
}

// connectLocked bridges agent s to the person on a.
func (d *Dialer) connectLocked(r *run, s *session, a *Attempt) {
	if err := d.opts.Engine.Bridge(d.engineCtx(), s.Leg, a.Leg); err != nil {
		d.log.Error("dialer: connect agent", "agent", s.User, "leg", a.Leg, "error", err)
		a.Outcome, a.Reason = OutcomeFailed, "bridge: "+err.Error()
		_ = d.opts.Engine.Hangup(d.engineCtx(), a.Leg, "failed")
		return
	}
	a.Agent = s.User
	if err := d.update(func(tx kv.Tx) error { return putAttempt(tx, a) }); err != nil {
		d.log.Error("dialer: save attempt", "attempt", a.ID, "error", err)
	}
	s.AttemptID, s.LeadLeg = a.ID, a.Leg
	s.Connects++
	if l := r.byID[a.LeadID]; l != nil {
		l.Agent = s.User
	}
	d.setAgentStateLocked(r, s, AgentTalking)
}

// connectWaitingLocked gives waiting persons to ready agents, first come
// first served.
func (d *Dialer) connectWaitingLocked(r *run) {
	p := r.predictive()
	for len(p.waiting) > 0 {
		s := d.freeAgentLocked(r)
		if s == nil {
			return
		}
		id := p.waiting[0]
		p.waiting = p.waiting[1:]
		if a := r.inFlight[id]; a != nil && a.Outcome == "" {
			d.connectLocked(r, s, a)
		}
	}
}

// abandonLocked gives up on connecting a person: the abandon is counted,
// the message plays, and 9 within OptOutWait of its end opts the number
// out (leadEventLocked's dtmf); then the dialer hangs up.
func (d *Dialer) abandonLocked(r *run, a *Attempt) {
	p := r.predictive()
	p.waiting = slices.DeleteFunc(p.waiting, func(id string) bool { return id == a.ID })
	a.Outcome = OutcomeAbandoned
	d.recordAbandonLocked(r, a.AnsweredAt)
	d.log.Warn("dialer: abandoned: no agent free", "campaign", r.c.ID, "lead", a.LeadID, "attempt", a.ID)
	samples, err := d.opts.LoadAudio(r.c.AbandonMessage)
	if err != nil {
		d.log.Error("dialer: abandon message", "campaign", r.c.ID, "error", err)
		_ = d.opts.Engine.Hangup(d.engineCtx(), a.Leg, OutcomeAbandoned)
		return
	}
	engine, ctx, leg := d.opts.Engine, d.engineCtx(), a.Leg
	go func() {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if err := engine.Play(pctx, leg, samples); err != nil {
			d.log.Warn("dialer: play abandon message", "leg", leg, "error", err)
		}
		d.clock.AfterFunc(OptOutWait, func() { _ = engine.Hangup(ctx, leg, OutcomeAbandoned) })
	}()
}

// optOutLocked puts an abandoned lead's number on the do-not-call list
// (the person pressed 9) and hangs up.
func (d *Dialer) optOutLocked(r *run, a *Attempt) {
	l := r.byID[a.LeadID]
	if l == nil {
		return
	}
	now := d.now()
	if _, ok := d.dnc[l.Phone]; !ok {
		err := d.update(func(tx kv.Tx) error { return tx.Put(bucketDNC, l.Phone, DNCEntry{l.Phone, now}) })
		if err != nil {
			d.log.Error("dialer: opt-out to the do-not-call list", "number", l.Phone, "error", err)
			return
		}
		d.dnc[l.Phone] = DNCEntry{l.Phone, now}
	}
	a.Reason = ReasonOptedOut
	_ = d.opts.Engine.Hangup(d.engineCtx(), a.Leg, "opted-out")
}

// ReasonOptedOut: the person pressed 9 after the abandon message.
const ReasonOptedOut = "opted-out"

// mayRedialLocked holds back a lead abandoned within abandon_lockout
// unless the pacer is dialling progressively (an agent is guaranteed).
func (d *Dialer) mayRedialLocked(r *run, l *Lead, now time.Time) bool {
	if l.LastOutcome != OutcomeAbandoned || r.c.Mode != ModePredictive {
		return true
	}
	progressive := true
	if m, ok := r.pacer.(interface{ Mode() pacing.Mode }); ok {
		progressive = m.Mode() == pacing.ModeProgressive
	}
	return pacing.MayRedial(l.LastDialed, now, r.c.AbandonLockout.Duration, progressive)
}

// forgetPredictiveLocked drops an ended attempt from the waiting and
// detecting sets.
func (r *run) forgetPredictiveLocked(a *Attempt) {
	if r.pred == nil {
		return
	}
	delete(r.pred.detecting, a.ID)
	r.pred.waiting = slices.DeleteFunc(r.pred.waiting, func(id string) bool { return id == a.ID })
}
