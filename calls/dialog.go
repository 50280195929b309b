package calls

import (
	"context"
	"fmt"
)

// Dialog is the signalling of one leg of a call a phone or the trunk
// places, as the call loop drives it: it answers, refuses, relays and
// hangs up through it and never sees a SIP message. Package sip has two
// kinds: an inbound leg (the INVITE the switch received, a server
// dialog) and an outbound leg (an INVITE the switch placed that was
// answered, a client dialog). What only one kind can do fails on the
// other.
type Dialog interface {
	// DialogID names the leg's dialog for in-dialog requests (BYE,
	// re-INVITE, REFER); "" while it has none.
	DialogID() string
	// SDP is the session description the leg's party gave: an inbound
	// leg's offer, an outbound leg's answer.
	SDP() []byte
	// Source is where the party's signalling came from (host:port),
	// which may latch its media (a phone behind NAT).
	Source() string
	// Context ends when the dialog does (BYE, CANCEL); Done is its Done.
	Context() context.Context
	Done() <-chan struct{}
	// Accept makes the leg a dialog the switch will answer: an inbound
	// leg's INVITE becomes a server dialog. Nothing for an outbound leg.
	Accept() error
	// Provisional relays ringing or early media (sdp) to an inbound
	// leg's party.
	Provisional(code int, phrase string, sdp []byte) error
	// Answer completes the answer: an inbound leg sends its party the 2xx
	// with sdp and returns once the 2xx is acknowledged (or retransmitting
	// it stopped); an outbound leg acknowledges its party's 2xx.
	Answer(sdp []byte) error
	// Refuse answers an inbound leg's INVITE with a final failure.
	Refuse(r *Refusal) error
	// Unacked reports an inbound leg whose party has not acknowledged the
	// switch's 2xx; AbandonAnswer stops retransmitting that 2xx, so that
	// a BYE can go.
	Unacked() bool
	AbandonAnswer()
	// Bye hangs up an answered leg.
	Bye(ctx context.Context) error
	// ReportTransfer tells the party of a leg that asked for a transfer
	// how it goes (code >= 200 is the outcome).
	ReportTransfer(ctx context.Context, code int, phrase string) error
}

// Refusal is a call refused: what the caller hears (the status code and
// phrase the leg's CDR keeps too) and why. Package sip turns every error
// into one in a single place and says it as a SIP response.
type Refusal struct {
	Code   int
	Phrase string
	// Reason tells the phone why (a SIP Reason header).
	Reason string
	// RetryAfter (seconds, 0: none) tells the caller when to try again.
	RetryAfter int
	Err        error
}

func (r *Refusal) Error() string {
	if r.Err != nil {
		return fmt.Sprintf("%d %s: %s: %v", r.Code, r.Phrase, r.Reason, r.Err)
	}
	return fmt.Sprintf("%d %s: %s", r.Code, r.Phrase, r.Reason)
}

func (r *Refusal) Unwrap() error { return r.Err }

// RingProgress is a response to a placed leg before its final one, as
// ringing relays it: its status, and its SDP and source for early media.
type RingProgress struct {
	Code   int
	Reason string
	SDP    []byte
	Source string
}

// Relayed reports ringing or early media, the responses worth relaying
// (not 100 Trying, not a final response).
func (p RingProgress) Relayed() bool { return p.Code > StatusTrying && p.Code < StatusOK }

// FinalResponse is the most telling final response a hop's contacts gave
// when ringing failed.
type FinalResponse struct {
	StatusCode int
	Reason     string
}

func (r *FinalResponse) String() string { return fmt.Sprintf("%d %s", r.StatusCode, r.Reason) }
