// Package calls holds the calls: the B2BUA loop of the calls phones and
// the trunk place (Call, below), and the call engine the dialer (and
// later the API) drives: it places legs (Originate), answers for nobody
// but keeps every leg it holds alive with its own media end (comfort
// silence), connects two legs' media (Bridge, Unbridge), plays prompts
// (Play), ends legs (Hangup) and streams what happens to them
// (Subscribe).
//
// It is written against a small Leg interface and package media, not
// against SIP, and never imports package sip; its tests drive it with
// fake legs. It places its legs through a Network: HostNetwork is its
// own, which places each leg as a call of its own on a Host (the
// switch's, sip.Switch.CallHost) with the checks of a hand-dialled call
// (the user, permission, caller ID, a registered phone, credit), and
// rings it through the host's HopRinger (SIP on the switch); the leg
// (dialogLeg) reports its progress as the engine reads it and writes its
// CDR when it ends.
//
// # The calls phones and the trunk place
//
// A Call is the B2BUA loop of a call a phone or the trunk places: the
// switch's INVITE handler (package sip) builds the caller's leg and hands
// it over (NewIncomingCall, then Run, or Refuse for a call routing
// refused). Run checks the caller's limit of concurrent calls, authorizes
// credit, anchors the media, rings the hop the directory picks and
// follows its forwarding from hop to hop (voicemail when no rule
// applies), bridges the answer, and returns the answered call as up,
// which runs it until it ends (a hang-up, the credit, the media timeout,
// no ACK, shutdown) and writes one CDR per leg. Transfers (blind and
// attended, StartBlindTransfer and StartAttendedTransfer), a re-INVITE's
// new offer (FollowReoffer) and recording on demand (RecordOnDemand)
// run in the call's goroutine, through its inbox. A leg the engine
// places on the switch belongs to a call of its own (newEngineCall):
// Authorize, ringWith, keepLegUp and finishLeg are what it uses (the
// host admits it, AdmitCall, under the same admission control as a
// phone's INVITE, and so that shutdown waits for it), and an
// agent's *55 call is answered here and handed, as a Leg, to the
// engine's AgentJoin hook the Host holds.
//
// The call reaches the switch only through its Host (the network that
// rings a hop, the directory, the meter, the media pool, the CDR writer,
// the metrics, the dialog and call registries, shutdown and timeouts;
// package sip implements it) and a leg's signalling only through its
// Dialog: answer, refuse with a Refusal, relay ringing and early media,
// acknowledge, hang up, report a transfer, and the party's SDP and
// source. Package sip implements Dialog with an inbound leg (a server
// dialog) and an outbound leg (a client dialog); the loop sees no SIP
// message, and this package imports neither package sip nor sipgo
// (TestCallsImportsNoSIP walks its imports). Its tests run calls on a
// fake host, fake legs and a fake HopRinger.
//
// How ringing a hop failed is decided here: RingFailure gives the leg's
// disposition and code, Rank picks the most telling of the forks'
// answers, and ForwardOutcome the outcome package directory's Forwarder
// follows (busy, no answer, not registered, unavailable). The statuses
// legs end with and callers are told are named (Status*): they are
// SIP's numbers, which CDRs keep, and package sip checks each against
// sipgo's. RefusalOf turns any error into the refusal the caller hears
// (a directory refusal into its status; package sip says it as SIP), and
// ErrShuttingDown is ringing stopped because the switch shuts down. A
// HopRinger rings a hop for a call, as a RingRequest (no call) says;
// package sip's rings with SIP INVITEs, forked to every contact.
//
// The loop's records: a CallLeg is one leg's CDR, credit, Dialog, party,
// finished flag and owner (the call it is in: a transfer moves it; a
// re-INVITE or a REFER finds the call there), and for a leg the engine
// drives its Stop and OnKey (Done says when it ends, with or without a
// dialog); a CallMedia is a call's anchored media: it allocates both
// sides' ports from the media pool, rewrites the offer and the answer
// (taking SDP bytes and the signalling sources that latch NATed phones),
// owns the relay and the recorder, and plays the recording announcement.
// An Origin is what a call keeps of the caller's INVITE (plain values);
// Meter and Voicemail are the meter and the mailboxes a call uses, and
// Directory the directory it asks (Records: whether a call is recorded),
// with the sip: settings (Settings) it copies when it starts.
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
// The clock reads the time through its now (time.Now), so its tests set
// a fake one and read Next instead of waiting. A Call runs one while it is up
// (and one per voicemail caller, and per engine leg it keeps up).
package calls
