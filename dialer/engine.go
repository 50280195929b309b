package dialer

import (
	"context"
	"errors"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/calls"
)

// Engine is what the dialer needs from the call engine (calls.Engine,
// wired in cmd/dialtone): placing, bridging and ending legs and the legs'
// events. The dialer speaks the engine's own leg ids and events (calls'
// types) but drives it only through this interface, so its tests drive a
// fake.
//
// Changes to the contract's draft, and why:
//   - ErrNoCredit sits beside ErrRefused: a lead the balance cannot pay
//     pauses the campaign (reason credit) instead of being marked blocked
//     like a lead the agent may not call, so the two must be told apart.
//   - Events of an agent's *55 session leg, which the engine answered
//     rather than the dialer placing it, are asked for by leg id
//     (EventFilter.Legs) right after AgentJoined: the empty filter only
//     covers legs placed with Reason "dialer".
//   - Locking: the dialer calls Originate, Bridge, Unbridge, Hangup and
//     Subscribe while holding its own lock (a leg's events must not be
//     handled before the dialer knows the leg), and Play from a goroutine
//     of its own. So these must not wait for an event to be consumed, and
//     the engine must call AgentJoined without holding a lock those
//     methods take.
type Engine interface {
	// Originate places an outbound leg: to a user's phones (To is an
	// extension) or through the trunk (To is E.164). The engine applies
	// the same permission, caller-ID and credit checks as a hand-dialled
	// call of o.User, and refuses with an error wrapping ErrRefused (with
	// the reason) or ErrNoCredit when they fail. It returns at once with
	// the leg id; progress comes as events.
	Originate(ctx context.Context, o Origination) (LegID, error)
	// Bridge connects two answered legs' media; either may already be
	// bridged to another leg, which is then unbridged first (the agent's
	// leg moves from lead to lead).
	Bridge(ctx context.Context, a, b LegID) error
	// Unbridge leaves both legs up, unbridged.
	Unbridge(ctx context.Context, leg LegID) error
	// Play plays 8 kHz mono samples into a leg; it returns when played or
	// ctx ends.
	Play(ctx context.Context, leg LegID, samples []int16) error
	// Hangup ends a leg (BYE or CANCEL) with a disposition reason for the
	// CDR.
	Hangup(ctx context.Context, leg LegID, reason string) error
	// Subscribe streams events of the legs matching f until ctx ends.
	Subscribe(ctx context.Context, f EventFilter) <-chan Event
}

// LegID names one leg of the engine.
type LegID = calls.LegID

// Origination is a leg the dialer asks the engine to place.
type Origination struct {
	User         string            // the agent: permissions and caller ID are checked as theirs
	To           string            // extension or E.164
	CallerID     string            // E.164 presented
	RingTimeout  time.Duration     // give up (no-answer) after this
	EarlyMediaTo LegID             // optional: the agent hears the lead's call progress
	Reason       string            // CDR reason: "dialer"
	Tags         map[string]string // copied into the CDR: campaign_id, lead_id, attempt_id
}

// The legs' events are the call engine's: Charge is set on leg-ended
// when the engine rated the leg (calls.WithCharges).
type (
	EventKind   = calls.EventKind
	Event       = calls.Event
	EventFilter = calls.Filter // Legs empty: all legs placed with Reason "dialer"; Audio: decoded received audio (AMD)
)

// Event kinds.
const (
	EventRinging    = calls.EventRinging
	EventEarlyMedia = calls.EventEarlyMedia
	EventAnswered   = calls.EventAnswered
	EventBridged    = calls.EventBridged
	EventDTMF       = calls.EventDTMF
	EventAudio      = calls.EventAudio
	EventLegEnded   = calls.EventLegEnded
)

// Errors an Engine's Originate wraps.
var (
	// ErrRefused: the leg breaks a rule of a hand-dialled call
	// (permission, caller ID, destination). It is the engine's own, so
	// the engine's refusal passes on as it is, saying "refused" once.
	ErrRefused = calls.ErrRefused
	// ErrNoCredit: the balance cannot pay for the leg. It is the meter's
	// own error, so the engine passes the meter's refusal on as it is.
	ErrNoCredit = billing.ErrInsufficientCredit
	// ErrOverloaded: the switch is setting up as many calls as its
	// admission control allows (sip.max_setup_calls). The lead was not
	// dialled: it stays pending, the attempt counts for nothing, and the
	// campaign dials again after overloadBackoff.
	ErrOverloaded = calls.ErrOverloaded
	// ErrNoEngine: the switch runs without a call engine the dialer can
	// drive; campaigns and leads can be managed, not dialled.
	ErrNoEngine = errors.New("the call engine is not available: campaigns can be edited but not run")
)

// Dispositions the engine reports on leg-ended.
const (
	dispAnswered = "answered"
	dispNoAnswer = "no-answer"
	dispBusy     = "busy"
	dispCanceled = "canceled"
)
