// Package calls is the call engine the dialer (and later the API) drives:
// it places legs (Originate), answers for nobody but keeps every leg it
// holds alive with its own media end (comfort silence), connects two legs'
// media (Bridge, Unbridge), plays prompts (Play), ends legs (Hangup) and
// streams what happens to them (Subscribe).
//
// It is written against a small Leg interface and package media, not
// against SIP, and never imports package sip: the switch's legs are
// adapted where the binary wires the two (cmd/dialtone), and the tests
// drive the engine with fake legs. The checks of a hand-dialled call
// (permission, caller ID, credit) are the Network's: the switch applies
// its own rules when it places a leg.
//
// # The legs of a phone's call
//
// Dialog is what the B2BUA loop of the calls phones and the trunk place
// (still in package sip) drives a leg through: answer, refuse with a
// Refusal, relay ringing and early media, acknowledge, hang up, report
// a transfer, and the party's SDP and source. Package sip implements it
// with an inbound leg (a server dialog) and an outbound leg (a client
// dialog); the loop sees no SIP message. How ringing a hop failed is
// decided here: RingFailure gives the leg's disposition and code, Rank
// picks the most telling of the forks' answers, and ForwardOutcome the
// outcome package directory's Forwarder follows (busy, no answer, not
// registered, unavailable).
//
// The loop's records live here too: a CallLeg is one leg's CDR, credit,
// Dialog, party and finished flag (a transfer moves it between calls),
// and for a leg the engine drives its Stop and OnKey (Done says when it
// ends, with or without a dialog),
// and a CallMedia is a call's anchored media: it allocates both sides'
// ports from the media pool, rewrites the offer and the answer (taking
// SDP bytes and the signalling sources that latch NATed phones), owns
// the relay and the recorder, and plays the recording announcement.
// An Origin is what a call keeps of the caller's INVITE (plain values);
// Meter and Voicemail are the meter and the mailboxes a call uses, and
// Directory the directory it asks, with the sip: settings (Settings) it
// copies when it starts.
// RefusalOf turns any error into the refusal the caller hears (a
// directory refusal into its status; package sip says it as SIP), and
// ErrShuttingDown is ringing stopped because the switch shuts down.
// A HopRinger rings a hop for a call, as a RingRequest (no call) says;
// package sip's rings with SIP INVITEs, forked to every contact.
// Next, the loop itself moves here, against Dialog, the HopRinger and
// the host interface the switch implements (today package sip's
// callHost).
//
// # Credit limits
//
// The meter grants a chargeable leg its call time in slices (a few
// minutes at the leg's rate; billing.Credit). A CreditClock keeps an
// answered call's legs in credit: it tells the meter when each leg's
// grant starts, renews a grant when 80 % of its last slice is used, and
// says when the call must end: at the end of a leg's grant once a renewal
// is refused (not at the refusal), or at the call's cap
// (max_call_duration), whichever comes first. A leg's LegCredit travels
// with the leg, so a leg a transfer moves into another call keeps its
// grant; LegCredit.BilledUntil keeps a leg that ends a moment after its
// refused grant from being billed past it.
//
//	var lc calls.LegCredit
//	r, err := credit.Authorize(ctx, req) // billing.ErrInsufficientCredit: refuse the leg
//	lc.Grant(r.Granted)
//	// once answered:
//	cc := calls.NewCreditClock(credit, log, answeredAt, maxCall)
//	defer cc.Stop()
//	for {
//		select {
//		case <-cc.C():
//			if at, end := cc.Check([]calls.CreditLeg{{ID: legID, Answered: &answeredAt, Credit: &lc}}); end {
//				// hang up; the legs' CDRs end at at
//			}
//		case <-hungUp: ...
//		}
//	}
//
// The clock reads the time through WithNow, so its tests step a fake
// clock and read Next instead of waiting. Package sip runs one per call
// (and per voicemail caller, and per engine leg).
package calls
