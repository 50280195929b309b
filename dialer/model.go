package dialer

import (
	"time"

	"github.com/dialtone/dialtone/config"
)

// Duration is written as "25s", "1h" in JSON, like the config's.
type Duration = config.Duration

// Campaign states.
const (
	CampaignDraft   = "draft" // created, never started
	CampaignRunning = "running"
	CampaignPaused  = "paused"
	CampaignStopped = "stopped"
)

// Agent states.
const (
	AgentJoining = "joining" // the dialer rings the agent's phone; not yet answered
	AgentReady   = "ready"
	AgentDialing = "dialing"
	AgentTalking = "talking"
	AgentWrapUp  = "wrap-up"
	AgentPaused  = "paused"
)

// Lead states.
const (
	LeadPending = "pending" // eligible now or later (retry_after, calling hours)
	LeadDialing = "dialing" // leased to an agent: an attempt is in flight
	LeadDone    = "done"    // answered or voicemail left, or out of attempts
	LeadBlocked = "blocked" // never dialled again: DNC, permission, bad number
)

// Attempt outcomes.
const (
	OutcomeAnswered    = "answered"
	OutcomeNoAnswer    = "no-answer"
	OutcomeBusy        = "busy"
	OutcomeFailed      = "failed"
	OutcomeVMLeft      = "vm-left"
	OutcomeCanceled    = "canceled"
	OutcomeBlocked     = "blocked"
	OutcomeInterrupted = "interrupted"
	// OutcomeAbandoned: a person answered a predictive dial and no agent
	// was connected within 2 s; the abandon message played.
	OutcomeAbandoned = "abandoned"
	// OutcomeMachine: answering-machine detection hung up on a machine.
	OutcomeMachine = "machine"
)

// Reasons a campaign pauses itself, or a lead or attempt is blocked.
const (
	ReasonCredit      = "credit"
	ReasonDNC         = "dnc"
	ReasonMaxAttempts = "max-attempts"
	ReasonPermission  = "permission"
	// ReasonAgentSkipped: the agent hung up a lead still ringing (##); it
	// does not count toward max_attempts but waits retry_after.
	ReasonAgentSkipped = "agent-skipped"
)

// Defaults of a campaign's settings.
const (
	DefaultRingTimeout  = 25 * time.Second
	MinRingTimeout      = 15 * time.Second
	DefaultWrapUp       = 20 * time.Second
	DefaultMaxAttempts  = 3
	DefaultRetryAfter   = time.Hour
	DefaultCallingStart = "08:00"
	DefaultCallingEnd   = "21:00"
)

// CallingHours is the window, in the lead's local time, when it may be
// called: HH:MM to HH:MM.
type CallingHours struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Campaign is a list of leads a set of agents calls.
type Campaign struct {
	ID            string       `json:"id"`
	Number        string       `json:"number"` // what agents dial after *55
	Name          string       `json:"name"`
	Mode          string       `json:"mode"`
	CallerID      string       `json:"caller_id"`
	Agents        []string     `json:"agents"`
	CallingHours  CallingHours `json:"calling_hours"`
	RingTimeout   Duration     `json:"ring_timeout"`
	WrapUp        Duration     `json:"wrap_up"`
	MaxAttempts   int          `json:"max_attempts"`
	RetryAfter    Duration     `json:"retry_after"`
	VoicemailDrop string       `json:"voicemail_drop,omitempty"`
	Predictive                 // mode predictive's settings (predictive_campaign.go)
	State         string       `json:"state"`
	PauseReason   string       `json:"pause_reason,omitempty"`
	CreatedAt     time.Time    `json:"created_at"`
	StateSince    time.Time    `json:"state_since"`
}

// Lead is one person to call.
type Lead struct {
	ID          string            `json:"id"`
	CampaignID  string            `json:"campaign_id"`
	Seq         uint64            `json:"seq"` // list order
	Phone       string            `json:"phone"`
	Name        string            `json:"name,omitempty"`
	CRMID       string            `json:"crm_id,omitempty"`
	Timezone    string            `json:"timezone,omitempty"`
	Fields      map[string]string `json:"fields,omitempty"`
	State       string            `json:"state"`
	Reason      string            `json:"reason,omitempty"` // why blocked
	Attempts    int               `json:"attempts"`         // attempts that count toward max_attempts
	LastDialed  time.Time         `json:"last_dialed,omitzero"`
	LastOutcome string            `json:"last_outcome,omitempty"`
	Agent       string            `json:"agent,omitempty"` // the lease holder while dialing
	AttemptID   string            `json:"attempt_id,omitempty"`
}

// Attempt is one dial of a lead (or a decision not to dial it).
type Attempt struct {
	ID         string    `json:"id"`
	Seq        uint64    `json:"seq"`
	CampaignID string    `json:"campaign_id"`
	LeadID     string    `json:"lead_id"`
	Agent      string    `json:"agent,omitempty"`
	Leg        LegID     `json:"leg,omitempty"`
	Outcome    string    `json:"outcome,omitempty"` // empty while in flight
	Reason     string    `json:"reason,omitempty"`
	SIPCode    int       `json:"sip_code,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	AnsweredAt time.Time `json:"answered_at,omitzero"`
	EndedAt    time.Time `json:"ended_at,omitzero"`
	CDRLegID   string    `json:"cdr_leg_id,omitempty"`
	Charge     string    `json:"charge,omitempty"`
}

// countsTowardMax says whether an attempt used one of the lead's
// max_attempts: a dial that reached the network did; one the dialer
// refused, canceled or lost to a restart did not.
func (a Attempt) countsTowardMax() bool {
	switch a.Outcome {
	case OutcomeBlocked, OutcomeCanceled, OutcomeInterrupted:
		return false
	}
	return true
}

// AgentSession is an agent's stay in a campaign: one call to the agent's
// phone that leads are bridged into.
type AgentSession struct {
	Seq        uint64    `json:"seq"`
	CampaignID string    `json:"campaign_id"`
	User       string    `json:"user"`
	Leg        LegID     `json:"leg"`
	State      string    `json:"state"`
	Since      time.Time `json:"since"`
	JoinedAt   time.Time `json:"joined_at"`
	AttemptID  string    `json:"attempt_id,omitempty"`
	LeadLeg    LegID     `json:"lead_leg,omitempty"`
	Dials      int       `json:"dials"`
	Connects   int       `json:"connects"`
	Talk       Duration  `json:"talk_time"`
	Idle       Duration  `json:"idle_time"` // time ready with nothing to dial
	EndedAt    time.Time `json:"ended_at,omitzero"`
}
