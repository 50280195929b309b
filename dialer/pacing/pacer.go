package pacing

import "time"

// Agent statuses, as the dialer reports them.
const (
	StatusReady   = "ready"   // logged in, waiting for a call
	StatusDialing = "dialing" // waiting for a call the dialer placed for them (counts as free)
	StatusTalking = "talking"
	StatusWrapUp  = "wrap-up"
	StatusPaused  = "paused" // logged in but not taking calls: not counted
)

// Outcome kinds.
const (
	OutcomeHuman          = "human"           // a person answered (counted in the abandon rate's denominator)
	OutcomeMachine        = "machine"         // answering machine, detected
	OutcomeNoAnswer       = "no-answer"       // rang out
	OutcomeBusy           = "busy"            // busy, congestion
	OutcomeFailed         = "failed"          // refused, unreachable
	OutcomeAbandoned      = "abandoned"       // a person answered and no agent was connected within 2 s
	OutcomeAgentConnected = "agent-connected" // a person was connected to an agent
)

// AgentState is one logged-in agent as the dialer sees it now.
type AgentState struct {
	ID     string
	Status string    // StatusReady, StatusDialing, StatusTalking, StatusWrapUp, StatusPaused
	Since  time.Time // when the status began
}

// Call is a dial in flight: placed and not yet resolved, i.e. still ringing,
// or answered but not yet known to be a person or a machine.
type Call struct {
	DialedAt time.Time
}

// State is what the dialer knows when it asks the pacer.
type State struct {
	Now      time.Time
	Agents   []AgentState
	InFlight []Call
	// Waiting counts persons who answered and wait for an agent (at most the
	// abandon delay): the next agents to come free are theirs. Optional.
	Waiting int
}

// Outcome is one learned fact about a dial.
type Outcome struct {
	At   time.Time
	Kind string // one of the Outcome* kinds
	// RingDelay is the time from the dial to the moment the call left the
	// in-flight set: for a person the answer, for a machine the end of the
	// detection, for no-answer/busy/failed the end of the attempt. The
	// predictive pacer learns the answer probability of a call by its ring
	// age from it; an outcome without it still counts for the probability.
	RingDelay time.Duration
	// Talk, when set, is a finished talk's duration. Talk and wrap-up times
	// are also learned from the agents' status changes seen by Dials.
	Talk time.Duration
}

// Pacer decides how many new leads to dial now.
type Pacer interface {
	// Dials returns how many new leads to dial now (0 or more), given the
	// state; the dialer still caps by max_lines_per_agent, free leads, credit
	// and compliance.
	Dials(s State) int
	// Observe learns from each outcome (answer probability, ring delay, talk
	// time, abandons).
	Observe(o Outcome)
}

// Mode is how a pacer is dialling at the moment.
type Mode string

const (
	// ModeProgressive: no more lines than free agents, so an agent is
	// guaranteed for every person who answers (power dialling, the warm-up,
	// and the fallback near the abandon limit).
	ModeProgressive Mode = "progressive"
	// ModePredictive: more lines than free agents, on the forecast.
	ModePredictive Mode = "predictive"
)

// ModeReporter is implemented by the pacers of this package. The dialer uses
// it for the abandon lockout: a locked-out lead may be dialled only while an
// agent is guaranteed (ModeProgressive).
type ModeReporter interface {
	Mode() Mode
}

// freeAgents counts the agents who would take a call now, and the agents
// logged in and not paused (the base of max_lines_per_agent).
func freeAgents(agents []AgentState) (free, active int) {
	for _, a := range agents {
		switch a.Status {
		case StatusReady, StatusDialing:
			free++
			active++
		case StatusTalking, StatusWrapUp:
			active++
		}
	}
	return free, active
}
