package dialer

import (
	"time"

	"github.com/dialtone/dialtone/internal/kv"
)

// finishAttemptLocked closes attempt a (its Outcome set), releases its
// lead's lease and moves the lead on: done when answered or a message
// was left, blocked when it may never be dialled, else pending again
// (after retry_after, if the attempt counted) until max_attempts. The
// attempt, the lead and the attempt.completed webhook are written in one
// transaction.
func (d *Dialer) finishAttemptLocked(r *run, a *Attempt, ev *Event) {
	now := d.now()
	a.EndedAt = now
	if ev != nil {
		a.CDRLegID, a.Charge = ev.CDRLegID, ev.Charge
		if a.SIPCode == 0 {
			a.SIPCode = ev.Code
		}
	}
	l := r.byID[a.LeadID]
	prev := *l
	if l.AttemptID == a.ID || l.AttemptID == "" {
		l.Agent, l.AttemptID = "", ""
	}
	l.LastOutcome = a.Outcome
	if a.countsTowardMax() {
		l.Attempts++
	}
	if a.countsTowardMax() || a.Reason == ReasonAgentSkipped {
		l.LastDialed = a.StartedAt
	}
	switch {
	case a.Outcome == OutcomeAnswered || a.Outcome == OutcomeVMLeft:
		l.State, l.Reason = LeadDone, ""
	case a.Outcome == OutcomeBlocked && a.Reason != ReasonCredit:
		l.State, l.Reason = LeadBlocked, a.Reason
	case l.Attempts >= r.c.MaxAttempts:
		l.State, l.Reason = LeadDone, ReasonMaxAttempts
	default:
		l.State = LeadPending
	}
	err := d.update(func(tx kv.Tx) error {
		if err := putAttempt(tx, a); err != nil {
			return err
		}
		if err := tx.Put(bucketLeads, seqKey(r.c.ID, l.Seq), l); err != nil {
			return err
		}
		return d.emit(tx, "attempt.completed", attemptEvent(&r.c, l, a))
	})
	if err != nil {
		// The lease stays on disk: after a restart the attempt is
		// interrupted and the lead eligible again, never dialled twice.
		*l = prev
		d.log.Error("dialer: save attempt", "attempt", a.ID, "error", err)
	}
	delete(r.inFlight, a.ID)
	if a.Leg != "" {
		delete(d.legs, a.Leg)
	}
	r.outcomes[a.Outcome]++
	if a.countsTowardMax() {
		r.pacer.Observe(paceOutcome(a))
	}
}

// putAttempt writes an attempt, numbering a new one (list order).
func putAttempt(tx kv.Tx, a *Attempt) error {
	if a.Seq == 0 {
		seq, err := tx.NextSequence(bucketAttempts)
		if err != nil {
			return err
		}
		a.Seq = seq
	}
	return tx.Put(bucketAttempts, seqKey(a.CampaignID, a.Seq), a)
}

// paceOutcome is an attempt as the pacer learns from it.
func paceOutcome(a *Attempt) PaceOutcome {
	o := PaceOutcome{At: a.EndedAt, Kind: a.Outcome}
	switch a.Outcome {
	case OutcomeAnswered:
		o.Kind = "human"
		o.RingDelay = a.AnsweredAt.Sub(a.StartedAt)
		o.Talk = a.EndedAt.Sub(a.AnsweredAt)
	case OutcomeVMLeft:
		o.Kind = "machine"
		o.RingDelay = a.AnsweredAt.Sub(a.StartedAt)
	}
	return o
}

// attemptEvent is the attempt.completed webhook's data.
func attemptEvent(c *Campaign, l *Lead, a *Attempt) map[string]any {
	ev := map[string]any{
		"campaign_id": c.ID, "attempt_id": a.ID, "outcome": a.Outcome, "agent": a.Agent,
		"started_at": a.StartedAt, "ended_at": a.EndedAt,
	}
	if l != nil {
		ev["lead"] = map[string]any{"id": l.ID, "phone": l.Phone, "name": l.Name, "crm_id": l.CRMID, "fields": l.Fields,
			"attempts": l.Attempts, "state": l.State}
		ev["crm_id"] = l.CRMID
	}
	optional := map[string]any{"reason": a.Reason, "cdr_leg_id": a.CDRLegID, "charge": a.Charge}
	for k, v := range optional {
		if v != "" {
			ev[k] = v
		}
	}
	if a.SIPCode != 0 {
		ev["sip_code"] = a.SIPCode
	}
	if !a.AnsweredAt.IsZero() {
		ev["answered_at"] = a.AnsweredAt
		ev["talk_seconds"] = int64(a.EndedAt.Sub(a.AnsweredAt) / time.Second)
	}
	return ev
}
