package dialer

import (
	"context"
	"time"
)

// dtmfPairWindow is how close the two keys of ## or ** must be.
const dtmfPairWindow = 2 * time.Second

// handleEvent applies one engine event to the leg's lead or agent.
func (d *Dialer) handleEvent(ev Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ref, ok := d.legs[ev.Leg]
	if !ok {
		return
	}
	r := d.campaigns[ref.campaign]
	if r == nil {
		return
	}
	if ref.attempt != "" {
		if a := r.inFlight[ref.attempt]; a != nil {
			d.leadEventLocked(r, a, ev)
		}
		return
	}
	if s := r.agents[ref.agent]; s != nil && s.Leg == ev.Leg {
		d.agentEventLocked(r, s, ev)
	}
}

// attachedAgent is the agent still on a's call (nil once the agent moved
// on: ## or a voicemail drop).
func (r *run) attachedAgent(a *Attempt) *session {
	if s := r.agents[a.Agent]; s != nil && s.AttemptID == a.ID {
		return s
	}
	return nil
}

func (d *Dialer) leadEventLocked(r *run, a *Attempt, ev Event) {
	s := r.attachedAgent(a)
	switch ev.Kind {
	case EventAnswered:
		a.AnsweredAt = d.now()
		if r.c.Mode == ModePredictive && a.Agent == "" {
			d.predictiveAnsweredLocked(r, a)
			return
		}
		if a.Outcome != "" || s == nil {
			// Canceled (pause, stop, the agent left) as it was answered.
			_ = d.opts.Engine.Hangup(d.engineCtx(), a.Leg, dispCanceled)
			return
		}
		if err := d.opts.Engine.Bridge(d.engineCtx(), s.Leg, a.Leg); err != nil {
			d.log.Error("dialer: bridge agent to lead", "agent", s.User, "leg", a.Leg, "error", err)
			a.Outcome, a.Reason = OutcomeFailed, "bridge: "+err.Error()
			_ = d.opts.Engine.Hangup(d.engineCtx(), a.Leg, "failed")
			return
		}
		answered := ev.At
		if answered.IsZero() {
			answered = a.AnsweredAt
		}
		observeSince(d.metrics.bridge, answered, d.now())
		s.Connects++
		d.recordHumanLocked(r, a.AnsweredAt)
		d.setAgentStateLocked(r, s, AgentTalking)
	case EventDTMF:
		if a.Outcome == OutcomeAbandoned && ev.Key == '9' && a.Reason != ReasonOptedOut {
			d.optOutLocked(r, a)
		}
	case EventLegEnded:
		r.forgetPredictiveLocked(a)
		if a.Outcome == "" {
			a.Outcome = outcomeOf(a, ev)
		}
		if a.Outcome == OutcomeFailed {
			a.SIPCode = ev.Code
		}
		d.finishAttemptLocked(r, a, &ev)
		if s == nil {
			if r.c.Mode == ModePredictive {
				d.dispatchLocked(r) // a line is free
			}
			return
		}
		s.AttemptID, s.LeadLeg = "", ""
		switch {
		case r.c.State == CampaignStopped:
			d.endSessionLocked(r, s, "campaign stopped")
			return
		case s.State == AgentTalking:
			d.setAgentStateLocked(r, s, AgentWrapUp) // ready at once when wrap_up is 0
		default:
			d.setAgentStateLocked(r, s, AgentReady)
		}
		if s.State == AgentReady {
			d.dispatchLocked(r)
		}
	}
}

// outcomeOf maps the engine's disposition of a lead's leg to the
// attempt's outcome.
func outcomeOf(a *Attempt, ev Event) string {
	switch {
	case !a.AnsweredAt.IsZero() || ev.Disposition == dispAnswered:
		return OutcomeAnswered
	case ev.Disposition == dispNoAnswer || ev.Code == 408 || ev.Code == 480:
		return OutcomeNoAnswer
	case ev.Disposition == dispBusy || ev.Code == 486 || ev.Code == 600:
		return OutcomeBusy
	case ev.Disposition == dispCanceled:
		return OutcomeCanceled
	}
	return OutcomeFailed
}

func (d *Dialer) agentEventLocked(r *run, s *session, ev Event) {
	switch ev.Kind {
	case EventAnswered:
		if s.State == AgentJoining {
			d.setAgentStateLocked(r, s, AgentReady)
			d.dispatchLocked(r)
		}
	case EventDTMF:
		d.agentKeyLocked(r, s, ev.Key)
	case EventLegEnded:
		d.endSessionLocked(r, s, reasonAgentHungUp)
	}
}

// agentKeyLocked acts on the agent's keys: on a call ## hangs up the lead
// and moves on, ** leaves the campaign's voicemail message; in wrap-up #
// is ready and * pauses.
func (d *Dialer) agentKeyLocked(r *run, s *session, key rune) {
	now := d.now()
	pair := key == s.lastKey && now.Sub(s.keyAt) <= dtmfPairWindow
	s.lastKey, s.keyAt = key, now
	switch s.State {
	case AgentWrapUp:
		s.lastKey = 0
		switch key {
		case '#':
			d.setAgentStateLocked(r, s, AgentReady)
			d.dispatchLocked(r)
		case '*':
			d.setAgentStateLocked(r, s, AgentPaused)
		}
	case AgentTalking, AgentDialing:
		if !pair {
			return
		}
		s.lastKey = 0
		a := r.inFlight[s.AttemptID]
		if a == nil {
			return
		}
		switch key {
		case '#':
			d.hangUpAndMoveOnLocked(r, s, a)
		case '*':
			if s.State == AgentTalking {
				d.dropVoicemailLocked(r, s, a)
			}
		}
	}
}

// hangUpAndMoveOnLocked ends the lead's call (##) and gives the agent the
// next lead at once.
func (d *Dialer) hangUpAndMoveOnLocked(r *run, s *session, a *Attempt) {
	if a.AnsweredAt.IsZero() {
		a.Outcome, a.Reason = OutcomeCanceled, ReasonAgentSkipped
	} else {
		a.Outcome = OutcomeAnswered
	}
	s.AttemptID, s.LeadLeg = "", ""
	if err := d.opts.Engine.Hangup(d.engineCtx(), a.Leg, "agent-hangup"); err != nil {
		d.log.Warn("dialer: hang up lead", "leg", a.Leg, "error", err)
	}
	d.setAgentStateLocked(r, s, AgentReady)
	d.dispatchLocked(r)
}

// dropVoicemailLocked (**) takes the agent off the lead at once, plays
// the campaign's message to the lead and hangs up; the agent moves on.
func (d *Dialer) dropVoicemailLocked(r *run, s *session, a *Attempt) {
	if r.c.VoicemailDrop == "" || d.opts.LoadAudio == nil {
		return // nothing to drop: the agent stays on the call
	}
	samples, err := d.opts.LoadAudio(r.c.VoicemailDrop)
	if err != nil {
		d.log.Error("dialer: voicemail drop", "campaign", r.c.ID, "error", err)
		return
	}
	if err := d.opts.Engine.Unbridge(d.engineCtx(), s.Leg); err != nil {
		d.log.Error("dialer: unbridge agent for voicemail drop", "leg", s.Leg, "error", err)
		return
	}
	a.Outcome = OutcomeVMLeft
	s.AttemptID, s.LeadLeg = "", ""
	d.setAgentStateLocked(r, s, AgentReady)
	engine, ctx, leg := d.opts.Engine, d.engineCtx(), a.Leg
	go func() {
		// Play blocks until the message is played: never under the lock.
		pctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		if err := engine.Play(pctx, leg, samples); err != nil {
			d.log.Warn("dialer: play voicemail drop", "leg", leg, "error", err)
		}
		if err := engine.Hangup(ctx, leg, "vm-left"); err != nil {
			d.log.Warn("dialer: hang up after voicemail drop", "leg", leg, "error", err)
		}
	}()
	d.dispatchLocked(r)
}
