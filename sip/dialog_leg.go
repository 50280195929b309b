package sip

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// dialogLeg is the signalling of one leg as the call loop sees it: the
// loop answers, refuses, relays and hangs up through it and never
// touches a SIP message. Two kinds implement it: an inboundLeg (the
// INVITE the switch received, a server dialog; leg_inbound.go) and an
// outboundLeg (an INVITE the switch placed that was answered, a client
// dialog; leg_outbound.go). What only one kind can do fails on the
// other with errWrongSide.
type dialogLeg interface {
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
	Refuse(ce *callError) error
	// Unacked reports an inbound leg whose party has not acknowledged the
	// switch's 2xx; AbandonAnswer stops retransmitting that 2xx, so that
	// a BYE can go (sipgo's waits for the INVITE transaction to end).
	Unacked() bool
	AbandonAnswer()
	// Bye hangs up an answered leg.
	Bye(ctx context.Context) error
	// ReportTransfer tells the party of a leg that asked for a transfer
	// how it goes (a REFER's NOTIFY); code >= 200 is the outcome.
	ReportTransfer(ctx context.Context, code int, phrase string) error
}

var errWrongSide = errors.New("not possible on this side of the call")

// notifyTimeout bounds a transfer report: the call's goroutine waits for
// it, and a transferor that does not answer NOTIFY must not hold the
// call up.
const notifyTimeout = 2 * time.Second

// ringProgress is a response to an INVITE the switch placed, as ringing
// relays it: its status, and its SDP and source for early media.
type ringProgress struct {
	Code   int
	Reason string
	SDP    []byte
	Source string
}

// relayed reports ringing or early media, the responses worth relaying.
func (p ringProgress) relayed() bool { return p.Code > 100 && p.Code < 200 }

// finalResponse is the most telling final response a hop's contacts
// gave when ringing failed.
type finalResponse struct {
	StatusCode int
	Reason     string
}

func (r *finalResponse) String() string { return fmt.Sprintf("%d %s", r.StatusCode, r.Reason) }
