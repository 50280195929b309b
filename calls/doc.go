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
