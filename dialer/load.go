package dialer

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/kv"
)

// load reads every record and recovers what a crash left half done, in
// one transaction: no lead stays leased to a dial that no longer exists.
func (d *Dialer) load() error {
	return d.update(func(tx kv.Tx) error {
		saved, err := loadLedgers(tx)
		if err != nil {
			return err
		}
		d.savedLedgers = saved
		defer func() { d.savedLedgers = nil }()
		if err := tx.ForEach(bucketCampaigns, func(k string, raw []byte) error {
			var c Campaign
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("decode campaign %s: %w", k, err)
			}
			d.addRunLocked(c)
			return nil
		}); err != nil {
			return err
		}
		sort.Slice(d.order, func(i, j int) bool {
			return d.campaigns[d.order[i]].c.CreatedAt.Before(d.campaigns[d.order[j]].c.CreatedAt)
		})
		if err := tx.ForEach(bucketLeads, func(k string, raw []byte) error {
			var l Lead
			if err := json.Unmarshal(raw, &l); err != nil {
				return fmt.Errorf("decode lead %s: %w", k, err)
			}
			if r := d.campaigns[l.CampaignID]; r != nil {
				r.addLead(&l)
			}
			return nil
		}); err != nil {
			return err
		}
		if err := d.recoverAttempts(tx); err != nil {
			return err
		}
		if err := d.releaseStrayLeases(tx); err != nil {
			return err
		}
		if err := d.recoverSessions(tx); err != nil {
			return err
		}
		return tx.ForEach(bucketDNC, func(k string, raw []byte) error {
			var e DNCEntry
			if err := json.Unmarshal(raw, &e); err != nil {
				return fmt.Errorf("decode dnc %s: %w", k, err)
			}
			d.dnc[e.Number] = e
			return nil
		})
	})
}

// recoverAttempts counts outcomes and marks attempts that were in flight
// interrupted: their calls died with the process, so their leads are
// released (eligible again: an interrupted attempt does not count toward
// max_attempts or retry_after).
func (d *Dialer) recoverAttempts(tx kv.Tx) error {
	now := d.now()
	return tx.ForEach(bucketAttempts, func(k string, raw []byte) error {
		var a Attempt
		if err := json.Unmarshal(raw, &a); err != nil {
			return fmt.Errorf("decode attempt %s: %w", k, err)
		}
		r := d.campaigns[a.CampaignID]
		if r == nil {
			return nil
		}
		if a.Outcome == "" {
			a.Outcome, a.EndedAt = OutcomeInterrupted, now
			if err := tx.Put(bucketAttempts, k, a); err != nil {
				return err
			}
			if l := r.byID[a.LeadID]; l != nil && l.AttemptID == a.ID {
				l.State, l.Agent, l.AttemptID, l.LastOutcome = LeadPending, "", "", OutcomeInterrupted
				if err := tx.Put(bucketLeads, seqKey(l.CampaignID, l.Seq), l); err != nil {
					return err
				}
			}
			d.log.Warn("dialer: attempt interrupted by a restart", "campaign", a.CampaignID, "lead", a.LeadID, "attempt", a.ID)
			if err := d.emit(tx, "attempt.completed", attemptEvent(&r.c, r.byID[a.LeadID], &a)); err != nil {
				return err
			}
		}
		r.outcomes[a.Outcome]++
		return nil
	})
}

// releaseStrayLeases frees leads still leased after the in-flight
// attempts were closed: none should be (a lease and its attempt are
// written together), but a lead must never stay unreachable.
func (d *Dialer) releaseStrayLeases(tx kv.Tx) error {
	for _, r := range d.campaigns {
		for _, l := range r.leads {
			if l.State != LeadDialing {
				continue
			}
			l.State, l.Agent, l.AttemptID = LeadPending, "", ""
			if err := tx.Put(bucketLeads, seqKey(l.CampaignID, l.Seq), l); err != nil {
				return err
			}
		}
	}
	return nil
}

// recoverSessions ends the sessions of agents whose call died with the
// process: they join again.
func (d *Dialer) recoverSessions(tx kv.Tx) error {
	now := d.now()
	return tx.ForEach(bucketSessions, func(k string, raw []byte) error {
		var s AgentSession
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("decode session %s: %w", k, err)
		}
		r := d.campaigns[s.CampaignID]
		if r == nil {
			return nil
		}
		if s.EndedAt.IsZero() {
			s.EndedAt = now
			if err := tx.Put(bucketSessions, k, s); err != nil {
				return err
			}
			left := &session{AgentSession: s}
			left.State, left.Since = AgentLeft, now
			if err := d.emit(tx, "agent.state", agentEvent(r, left)); err != nil {
				return err
			}
		}
		r.ended = append(r.ended, s)
		return nil
	})
}

// addRunLocked makes a campaign's in-memory state.
func (d *Dialer) addRunLocked(c Campaign) *run {
	r := &run{c: c, byID: map[string]*Lead{}, byPhone: map[string]*Lead{}, zones: map[string][]*time.Location{},
		inFlight: map[string]*Attempt{}, outcomes: map[string]int{}, agents: map[string]*session{},
		ledger: newLedger(c, d.savedLedgers[c.ID])}
	r.pacer = d.pacerFor(r)
	d.campaigns[c.ID] = r
	d.order = append(d.order, c.ID)
	return r
}

func (r *run) addLead(l *Lead) {
	r.leads = append(r.leads, l)
	r.byID[l.ID] = l
	r.byPhone[l.Phone] = l
}

// campaignPrefix is the key prefix of a campaign's leads, attempts and
// sessions.
func campaignPrefix(id string) string { return strings.TrimSuffix(seqKey(id, 0), "000000000000") }
