package calls

import (
	"context"
	"errors"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/media"
)

// LegID names a leg of the engine: the leg's CDR leg id.
type LegID string

// ProgressKind is what a leg's transport reports.
type ProgressKind string

// What a Leg reports on its Progress channel.
const (
	ProgressRinging    ProgressKind = "ringing"
	ProgressEarlyMedia ProgressKind = "early-media" // its Media now has the party's early media
	ProgressAnswered   ProgressKind = "answered"
	ProgressDTMF       ProgressKind = "dtmf" // a key signalled outside the media (SIP INFO)
	ProgressEnded      ProgressKind = "ended"
)

// Progress is one report of a Leg.
type Progress struct {
	Kind        ProgressKind
	At          time.Time
	Key         rune
	Code        int    // ended: the SIP code
	Disposition string // ended: the CDR's disposition
	CDRLegID    string // ended: the CDR written
}

// Leg is one party's dialog as the engine sees it. The engine owns the
// leg's Media from the moment it gets the leg: it terminates it in an
// Endpoint or relays it, and closes it when the leg ends.
type Leg interface {
	ID() LegID
	// Media is the switch's media port of the leg.
	Media() *media.Leg
	// PayloadTypes are the G.711 payload type to play in and the
	// telephone-event payload type, as negotiated (valid once answered,
	// or at early media).
	PayloadTypes() (pt, te uint8)
	// Progress streams the leg's reports; it is closed after
	// ProgressEnded, which comes exactly once.
	Progress() <-chan Progress
	// Hangup ends the leg: CANCEL while it rings, BYE when up. It does
	// not wait.
	Hangup(reason string)
}

// Origination is a leg to place.
type Origination struct {
	User         string        // permissions, caller IDs and credit are this user's
	To           string        // an extension or a number
	CallerID     string        // presented outside
	RingTimeout  time.Duration // no-answer after this
	EarlyMediaTo LegID         // optional: this leg hears the new leg's call progress
	Reason       billing.Reason
	Free         bool              // the leg costs nothing (an agent's session leg)
	Tags         map[string]string // campaign_id, lead_id, attempt_id: into the CDR
}

// Network places legs. It applies the rules of a call User dials by hand
// and refuses with an error wrapping ErrRefused, or
// billing.ErrInsufficientCredit when the balance cannot pay. HostNetwork
// is the engine's own, on the switch's Host; tests place fake legs.
type Network interface {
	Place(ctx context.Context, o Origination) (Leg, error)
}

// Errors of the engine.
var (
	// ErrRefused: the leg breaks a rule of a hand-dialled call.
	ErrRefused = errors.New("refused")
	// ErrNoLeg: the engine holds no leg of that id (it ended).
	ErrNoLeg = errors.New("no such leg")
	// ErrNotAnswered: the leg has no media to bridge or play to yet.
	ErrNotAnswered = errors.New("leg not answered")
	// ErrStopping: the network is shutting down and places no new leg.
	ErrStopping = errors.New("shutting down")
	// ErrOverloaded: the switch is setting up as many calls as its
	// admission control allows (sip.max_setup_calls), the engine's legs
	// counted with the phones' and trunks' INVITEs; try again shortly.
	ErrOverloaded = errors.New("the switch is setting up too many calls")
	// ErrShuttingDown: the network stopped ringing a hop to shut down
	// (the caller is told 503, Retry-After).
	ErrShuttingDown = errors.New("ringing stopped: the switch is shutting down")
)
