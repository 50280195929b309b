package dialer

import "time"

// The pacing types mirror dialer/pacing's contract so that
// pacing.NewPower (and later NewPredictive) can replace powerPacer
// without the dialer changing: the integrator swaps Options.Pacer.

// AgentState is an agent as the pacer sees it.
type AgentState struct {
	ID     string
	Status string    // ready, dialing, talking, wrap-up, paused
	Since  time.Time // when the status began
}

// Call is a dial in flight, still ringing.
type Call struct {
	DialedAt time.Time
}

// PaceState is what the pacer decides from.
type PaceState struct {
	Now      time.Time
	Agents   []AgentState
	InFlight []Call
	Waiting  int // persons answered and waiting for an agent (predictive)
}

// PaceOutcome is what a dial came to, for pacers that learn.
type PaceOutcome struct {
	At        time.Time
	Kind      string // human, machine, no-answer, busy, failed, abandoned, agent-connected
	RingDelay time.Duration
	Talk      time.Duration
}

// Pacer says how many leads to dial now.
type Pacer interface {
	Dials(s PaceState) int
	Observe(o PaceOutcome)
}

// powerPacer is the power dialer's pacing (Close's semantics): one lead
// per ready agent. An agent whose lead rings is dialing, not ready, so
// the lines never outnumber the agents.
type powerPacer struct{}

// NewPowerPacer returns the power pacing.
func NewPowerPacer() Pacer { return powerPacer{} }

func (powerPacer) Dials(s PaceState) int {
	ready := 0
	for _, a := range s.Agents {
		if a.Status == AgentReady {
			ready++
		}
	}
	return ready
}

func (powerPacer) Observe(PaceOutcome) {}
