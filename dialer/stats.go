package dialer

import (
	"encoding/json"
	"github.com/dialtone/dialtone/dialer/pacing"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/kv"
)

// Stats is a campaign with its live figures (GET /v1/campaigns/{id}).
type Stats struct {
	Campaign
	Leads    LeadCounts     `json:"leads"`
	Attempts map[string]int `json:"attempts"` // by outcome
	// Agents are the agents in the campaign now (the campaign's agents
	// list, which this hides, is Roster).
	Agents []AgentStats `json:"agents"`
	Roster []string     `json:"roster"`
	// Totals over every session, past and present.
	TalkTime             Duration `json:"talk_time"`
	IdleTime             Duration `json:"idle_time"`
	AgentHours           float64  `json:"agent_hours"`
	DialsPerAgentHour    float64  `json:"dials_per_agent_hour"`
	ConnectsPerAgentHour float64  `json:"connects_per_agent_hour"`
	// Abandon is the abandon rate over the campaign's window, from the
	// ledger that survives restarts (every mode counts persons answered;
	// only predictive campaigns abandon).
	Abandon AbandonStats `json:"abandon"`
}

// AbandonStats is a campaign's abandon rate against its limit, live.
type AbandonStats struct {
	Window    string  `json:"window"`             // 30d rolling, or 1d: the calendar day
	Persons   int     `json:"answered_by_person"` // the denominator
	Abandoned int     `json:"abandoned"`
	Rate      float64 `json:"rate"`
	Target    float64 `json:"target,omitempty"`
	Limit     float64 `json:"limit,omitempty"`
	// Pacing is how the pacer dials now: predictive, or progressive (no
	// more lines than free agents: warm-up, or held back near the limit).
	Pacing string `json:"pacing"`
}

// LeadCounts: remaining are pending or dialling; done are answered, a
// message left or out of attempts; blocked may never be dialled.
type LeadCounts struct {
	Total     int `json:"total"`
	Remaining int `json:"remaining"`
	Done      int `json:"done"`
	Blocked   int `json:"blocked"`
}

// AgentStats is one agent in a campaign.
type AgentStats struct {
	User        string    `json:"user"`
	State       string    `json:"state"`
	Since       time.Time `json:"since"`
	TimeInState Duration  `json:"time_in_state"`
	JoinedAt    time.Time `json:"joined_at"`
	Dials       int       `json:"dials"`
	Connects    int       `json:"connects"`
	TalkTime    Duration  `json:"talk_time"`
	IdleTime    Duration  `json:"idle_time"`
}

// Stats reports a campaign.
func (d *Dialer) Stats(id string) (Stats, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, err := d.campaignLocked(id)
	if err != nil {
		return Stats{}, err
	}
	now := d.now()
	st := Stats{Campaign: r.c, Attempts: map[string]int{}, Agents: []AgentStats{}, Roster: r.c.Agents}
	for k, v := range r.outcomes {
		st.Attempts[k] = v
	}
	for _, l := range r.leads {
		st.Leads.Total++
		switch l.State {
		case LeadPending, LeadDialing:
			st.Leads.Remaining++
		case LeadDone:
			st.Leads.Done++
		case LeadBlocked:
			st.Leads.Blocked++
		}
	}
	var talk, idle, present time.Duration
	dials, connects := 0, 0
	for _, s := range r.ended {
		talk += s.Talk.Duration
		idle += s.Idle.Duration
		present += s.EndedAt.Sub(s.JoinedAt)
		dials += s.Dials
		connects += s.Connects
	}
	for _, s := range r.agents {
		a := AgentStats{User: s.User, State: s.State, Since: s.Since, TimeInState: Duration{Duration: now.Sub(s.Since)},
			JoinedAt: s.JoinedAt, Dials: s.Dials, Connects: s.Connects, TalkTime: s.Talk, IdleTime: s.Idle}
		switch s.State { // the state the agent is in counts up to now
		case AgentTalking:
			a.TalkTime.Duration += now.Sub(s.Since)
		case AgentReady:
			a.IdleTime.Duration += now.Sub(s.Since)
		}
		st.Agents = append(st.Agents, a)
		talk += a.TalkTime.Duration
		idle += a.IdleTime.Duration
		present += now.Sub(s.JoinedAt)
		dials += s.Dials
		connects += s.Connects
	}
	sort.Slice(st.Agents, func(i, j int) bool { return st.Agents[i].User < st.Agents[j].User })
	st.Abandon = abandonStats(r, now)
	st.TalkTime, st.IdleTime = Duration{Duration: talk}, Duration{Duration: idle}
	st.AgentHours = round2(present.Hours())
	if present > 0 {
		st.DialsPerAgentHour = round2(float64(dials) / present.Hours())
		st.ConnectsPerAgentHour = round2(float64(connects) / present.Hours())
	}
	return st, nil
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func abandonStats(r *run, now time.Time) AbandonStats {
	a := AbandonStats{Pacing: string(pacing.ModeProgressive)}
	if r.ledger != nil {
		a.Window = string(r.ledger.Window())
		a.Persons, a.Abandoned = r.ledger.Counts(now)
		a.Rate = math.Round(r.ledger.Rate(now)*10000) / 10000
	}
	if r.c.Mode == ModePredictive {
		a.Target, a.Limit = r.c.AbandonTarget, r.c.AbandonLimit
		if m, ok := r.pacer.(interface{ Mode() pacing.Mode }); ok {
			a.Pacing = string(m.Mode())
		}
	}
	return a
}

// Attempts lists a campaign's attempts, oldest first.
func (d *Dialer) Attempts(campaignID string) ([]Attempt, error) {
	d.mu.Lock()
	if _, err := d.campaignLocked(campaignID); err != nil {
		d.mu.Unlock()
		return nil, err
	}
	d.mu.Unlock()
	prefix := campaignPrefix(campaignID)
	out := []Attempt{}
	err := d.opts.Store.View(func(tx kv.Tx) error {
		return tx.ForEach(bucketAttempts, func(k string, raw []byte) error {
			if !strings.HasPrefix(k, prefix) {
				return nil
			}
			var a Attempt
			if err := json.Unmarshal(raw, &a); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}
