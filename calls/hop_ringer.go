package calls

import (
	"time"

	orgdir "github.com/dialtone/dialtone/directory"
)

// HopRinger is how a call reaches the phones and the trunk: it rings a
// hop as the request says (whose hang-up stops the ringing), passes
// every response before the final one to relay, and returns the leg
// that answered (party: the extension whose phone it is; empty for the
// trunk), or the most telling final response. The switch's rings with
// SIP INVITEs, forked to every contact; the call loop's tests ring fakes.
type HopRinger interface {
	RingHop(r RingRequest, h *orgdir.Hop, relay func(RingProgress)) (winner Dialog, party string, res *FinalResponse, err error)
}

// RingRequest is what ringing a hop takes from its call: the ringer
// needs no call.
type RingRequest struct {
	CallID string       // the call's id: the outgoing Call-IDs start with it
	Origin Origin       // the caller's INVITE, which the outgoing INVITEs copy from
	Caller *orgdir.User // the calling user the callee sees; nil: Origin.From
	Offer  []byte
	// HangUp is closed when the leg rung for hangs up: ringing stops.
	HangUp   <-chan struct{}
	Timeout  time.Duration // how long the hop rings
	MaxForks int           // the most contacts one hop rings
}

// HungUp reports whether the leg rung for has hung up.
func (r RingRequest) HungUp() bool { return isDone(r.HangUp) }

// FromUser is who the callee sees calling.
func (r RingRequest) FromUser() string { return FromUser(r.Caller, r.Origin) }

// FromDisplay is the display name the callee sees calling.
func (r RingRequest) FromDisplay() string {
	if r.Caller != nil {
		return r.Caller.DisplayName
	}
	return r.Origin.Display
}

// FromUser is who a call's callee sees calling: the calling user, or
// the From of the caller's INVITE.
func FromUser(caller *orgdir.User, o Origin) string {
	if caller != nil {
		return caller.Extension
	}
	return o.From
}
