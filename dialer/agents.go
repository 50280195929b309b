package dialer

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/dialtone/dialtone/internal/kv"
)

// AgentRingTimeout is how long the dialer rings an agent's phone when
// the agent is joined through the API.
const AgentRingTimeout = 60 * time.Second

// AgentJoined is the engine's entry point for an agent who dialled *55
// (campaignNumber empty: the oldest running campaign the agent is on) or
// *55<campaign number>: the engine answered leg, and leads are bridged
// into it until the agent hangs up. A refusal is for the engine to play
// to the agent (and hang up).
func (d *Dialer) AgentJoined(ctx context.Context, user, campaignNumber string, leg LegID) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.opts.Engine == nil {
		return ErrNoEngine
	}
	r, err := d.campaignForAgentLocked(user, campaignNumber)
	if err != nil {
		return err
	}
	if err := d.checkJoinLocked(r, user); err != nil {
		return err
	}
	s, err := d.newSessionLocked(r, user, leg, AgentReady)
	if err != nil {
		return err
	}
	// The engine answered this leg itself: its events are asked for by
	// id (the dialer's own subscription covers the legs it placed).
	sctx, cancel := context.WithCancel(d.ctx)
	s.cancel = cancel
	go d.follow(sctx, d.opts.Engine.Subscribe(sctx, EventFilter{Legs: []LegID{leg}}))
	d.dispatchLocked(r)
	return nil
}

// JoinAgent starts a session through the API: the dialer rings the
// agent's phones; when the agent answers the agent is ready.
func (d *Dialer) JoinAgent(campaignID, user string) (AgentSession, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.opts.Engine == nil {
		return AgentSession{}, ErrNoEngine
	}
	r, err := d.campaignLocked(campaignID)
	if err != nil {
		return AgentSession{}, err
	}
	if err := d.checkJoinLocked(r, user); err != nil {
		return AgentSession{}, err
	}
	leg, err := d.opts.Engine.Originate(d.engineCtx(), Origination{User: user, To: user, CallerID: r.c.CallerID,
		RingTimeout: AgentRingTimeout, Reason: ReasonDialer, Tags: map[string]string{TagCampaign: r.c.ID}})
	if err != nil {
		return AgentSession{}, fmt.Errorf("ring agent %s: %w", user, err)
	}
	s, err := d.newSessionLocked(r, user, leg, AgentJoining)
	if err != nil {
		_ = d.opts.Engine.Hangup(d.engineCtx(), leg, "failed")
		return AgentSession{}, err
	}
	return s.AgentSession, nil
}

// campaignForAgentLocked finds the campaign a *55 call joins.
func (d *Dialer) campaignForAgentLocked(user, number string) (*run, error) {
	for _, id := range d.order {
		r := d.campaigns[id]
		if number != "" && r.c.Number == number {
			return r, nil
		}
		if number == "" && r.c.State == CampaignRunning && slices.Contains(r.c.Agents, user) {
			return r, nil
		}
	}
	if number == "" {
		return nil, fmt.Errorf("%w: no running campaign has agent %s", ErrNotFound, user)
	}
	return nil, fmt.Errorf("%w: no campaign number %s", ErrNotFound, number)
}

// checkJoinLocked: the campaign runs (or is paused: agents may wait), the
// user is one of its agents with the dialer and outbound permissions,
// and is not in a session already.
func (d *Dialer) checkJoinLocked(r *run, user string) error {
	if r.c.State != CampaignRunning && r.c.State != CampaignPaused {
		return fmt.Errorf("%w: campaign %s is %s", ErrConflict, r.c.ID, r.c.State)
	}
	if !slices.Contains(r.c.Agents, user) {
		return fmt.Errorf("%w: %s is not an agent of campaign %s", ErrForbidden, user, r.c.ID)
	}
	if err := mayDial(d.opts.Directory, user); err != nil {
		return fmt.Errorf("%w: %v", ErrForbidden, err)
	}
	for _, other := range d.campaigns {
		if _, ok := other.agents[user]; ok {
			return fmt.Errorf("%w: %s is already an agent in campaign %s", ErrConflict, user, other.c.ID)
		}
	}
	return nil
}

func (d *Dialer) newSessionLocked(r *run, user string, leg LegID, state string) (*session, error) {
	now := d.now()
	s := &session{AgentSession: AgentSession{CampaignID: r.c.ID, User: user, Leg: leg, State: state, Since: now, JoinedAt: now}}
	err := d.update(func(tx kv.Tx) error {
		seq, err := tx.NextSequence(bucketSessions)
		if err != nil {
			return err
		}
		s.Seq = seq
		if err := tx.Put(bucketSessions, seqKey(r.c.ID, s.Seq), s.AgentSession); err != nil {
			return err
		}
		return d.emit(tx, "agent.state", agentEvent(r, s))
	})
	if err != nil {
		return nil, fmt.Errorf("save agent session: %w", err)
	}
	r.agents[user] = s
	d.legs[leg] = legRef{campaign: r.c.ID, agent: user}
	return s, nil
}

// setAgentStateLocked moves an agent to state, adding the time spent in
// the state it leaves to its idle or talk time. Wrap-up ends by itself
// after the campaign's wrap_up.
func (d *Dialer) setAgentStateLocked(r *run, s *session, state string) {
	now := d.now()
	if state == AgentWrapUp && r.c.WrapUp.Duration == 0 {
		state = AgentReady
	}
	switch s.State {
	case AgentReady:
		s.Idle.Duration += now.Sub(s.Since)
	case AgentTalking:
		s.Talk.Duration += now.Sub(s.Since)
	}
	s.State, s.Since = state, now
	s.gen++
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if state == AgentWrapUp {
		gen := s.gen
		s.timer = d.clock.AfterFunc(r.c.WrapUp.Duration, func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			if s.gen == gen && r.agents[s.User] == s {
				d.setAgentStateLocked(r, s, AgentReady)
				d.dispatchLocked(r)
			}
		})
	}
	d.saveSessionLocked(r, s)
}

func (d *Dialer) saveSessionLocked(r *run, s *session) {
	err := d.update(func(tx kv.Tx) error {
		if err := tx.Put(bucketSessions, seqKey(r.c.ID, s.Seq), s.AgentSession); err != nil {
			return err
		}
		return d.emit(tx, "agent.state", agentEvent(r, s))
	})
	if err != nil {
		d.log.Error("dialer: save agent session", "campaign", r.c.ID, "user", s.User, "error", err)
	}
}

// AgentLeft is the state agent.state webhooks report for a session that
// ended.
const AgentLeft = "left"

// endSessionLocked ends an agent's session: the agent's call is hung up
// (if it still is up) and a lead still ringing for the agent canceled.
func (d *Dialer) endSessionLocked(r *run, s *session, reason string) {
	if a := r.inFlight[s.AttemptID]; a != nil && s.LeadLeg == a.Leg {
		if a.AnsweredAt.IsZero() && a.Outcome == "" {
			a.Outcome = OutcomeCanceled
		}
		if err := d.opts.Engine.Hangup(d.engineCtx(), a.Leg, reason); err != nil {
			d.log.Warn("dialer: hang up lead", "leg", a.Leg, "error", err)
		}
	}
	if _, up := d.legs[s.Leg]; up && reason != reasonAgentHungUp && d.opts.Engine != nil {
		if err := d.opts.Engine.Hangup(d.engineCtx(), s.Leg, reason); err != nil {
			d.log.Warn("dialer: hang up agent", "leg", s.Leg, "error", err)
		}
	}
	delete(d.legs, s.Leg)
	delete(r.agents, s.User)
	s.AttemptID, s.LeadLeg = "", ""
	s.EndedAt = d.now()
	d.setAgentStateLocked(r, s, AgentLeft)
	r.ended = append(r.ended, s.AgentSession)
	if s.cancel != nil {
		s.cancel()
	}
	d.log.Info("dialer: agent left", "campaign", r.c.ID, "user", s.User, "reason", reason)
}

const reasonAgentHungUp = "agent hung up"

// LeaveAgent ends an agent's session (DELETE .../agents/{user}).
func (d *Dialer) LeaveAgent(campaignID, user string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, s, err := d.sessionLocked(campaignID, user)
	if err != nil {
		return err
	}
	d.endSessionLocked(r, s, "agent left")
	return nil
}

// AgentReadyAgain ends an agent's wrap-up or pause.
func (d *Dialer) AgentReadyAgain(campaignID, user string) (AgentSession, error) {
	return d.moveAgent(campaignID, user, AgentReady, "")
}

// PauseAgent stops giving an agent leads (from ready or wrap-up).
func (d *Dialer) PauseAgent(campaignID, user string) (AgentSession, error) {
	return d.moveAgent(campaignID, user, AgentPaused, ": pause after the call")
}

// moveAgent moves an agent between ready, wrap-up and paused (never off
// a call).
func (d *Dialer) moveAgent(campaignID, user, to, hint string) (AgentSession, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, s, err := d.sessionLocked(campaignID, user)
	if err != nil {
		return AgentSession{}, err
	}
	switch s.State {
	case to:
		return s.AgentSession, nil
	case AgentWrapUp, AgentPaused, AgentReady:
	default:
		return AgentSession{}, fmt.Errorf("%w: agent %s is %s%s", ErrConflict, user, s.State, hint)
	}
	d.setAgentStateLocked(r, s, to)
	d.dispatchLocked(r)
	return s.AgentSession, nil
}

func (d *Dialer) sessionLocked(campaignID, user string) (*run, *session, error) {
	r, err := d.campaignLocked(campaignID)
	if err != nil {
		return nil, nil, err
	}
	s := r.agents[user]
	if s == nil {
		return nil, nil, fmt.Errorf("%w: %s is not in campaign %s", ErrNotFound, user, campaignID)
	}
	return r, s, nil
}

// agentEvent is the agent.state webhook's data.
func agentEvent(r *run, s *session) map[string]any {
	return map[string]any{"campaign_id": r.c.ID, "user": s.User, "state": s.State, "at": s.Since,
		"dials": s.Dials, "connects": s.Connects}
}
