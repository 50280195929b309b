package calls

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/media"
)

// CallLeg is the record of one leg of a call a phone or the trunk places:
// its CDR, the call time the meter granted it, its signalling and the
// party at its far end. A transfer moves a CallLeg from one call into
// another, so what the leg owns (its credit, its CDR) travels with it.
type CallLeg struct {
	CDR billing.CDR
	SDP []byte // the session description the leg's party gave us
	// Dialog is the leg's signalling: an inbound leg (the INVITE the
	// switch received) or an outbound leg (an INVITE it sent, once
	// answered); nil for an engine leg still ringing.
	Dialog Dialog
	// Endpoint is the switch's own media end while the switch answers the
	// leg itself (voicemail, the mailbox). It is the leg's, not the
	// call's, because SIP INFO finds the leg by its dialog on a goroutine
	// of its own and must not read the call's bridged slots.
	Endpoint atomic.Pointer[media.Endpoint]
	// Finished is set when the leg's CDR is handed over: a transferor's
	// BYE that races the transfer's completion must not end it twice.
	Finished atomic.Bool
	// cdrLost: the CDR writer failed every attempt to write the leg's
	// CDR; written and read only by whoever finished the leg.
	cdrLost bool
	// Party is the extension of the user whose phone is at the far end of
	// the dialog: the caller who authenticated, or the user whose contact
	// answered (of a group, the one who took the call); empty for a
	// trunk. A REFER on the dialog acts for this user.
	Party string
	// Credit is the call time the meter granted the leg; only the
	// goroutine of the call that owns the leg touches it.
	Credit LegCredit
	// Stop ends a leg the call engine placed before it has a dialog:
	// the engine hangs up while it rings.
	Stop chan struct{}
	// OnKey takes the leg's keys (SIP INFO) when the call engine drives
	// it; nil: the call's own handling.
	OnKey func(rune)

	owner atomic.Pointer[Call] // the call the leg is bridged in; a transfer moves it
}

// Owner is the call the leg is in now (a transfer moves a leg into
// another call); in-dialog requests (re-INVITE, REFER) go to it.
func (l *CallLeg) Owner() *Call { return l.owner.Load() }

// initCallLeg records a new leg's facts; billing decides its class from
// them. It initializes in place because a CallLeg holds atomics, which
// must not be copied (a call's legs come from Call.newLeg).
func (l *CallLeg) initCallLeg(callID string, f billing.LegFacts) {
	l.CDR = billing.CDR{
		LegID:        NewLegID(),
		CallID:       callID,
		Direction:    f.Direction,
		Endpoint:     f.Endpoint,
		BillingClass: billing.Classify(f),
		Reason:       billing.ReasonDirect,
		CreatedAt:    billing.Millis(time.Now()),
	}
}

// NewLegID is a leg's id: a UUID that begins with the time it was made
// (version 7), so the CDR store's keys (CDRs, open legs, call postings)
// grow in order and a group commit writes a few pages at the end of each
// bucket instead of one scattered page per leg (BenchmarkCDRStoreAtRate:
// 40 % less CPU per leg). Its 74 random bits keep it unguessable.
func NewLegID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// SetAnswered records when the leg's party answered.
func (l *CallLeg) SetAnswered(at time.Time) {
	t := billing.Millis(at)
	l.CDR.AnsweredAt = &t
}

// End fills the leg's final fields.
func (l *CallLeg) End(d billing.Disposition, code int) { l.EndAt(time.Now(), d, code) }

// EndAt ends the leg at a given time: a call the credit cuts off ends
// when its granted time does, not when the BYEs are through.
func (l *CallLeg) EndAt(at time.Time, d billing.Disposition, code int) {
	l.CDR.EndedAt = billing.Millis(l.Credit.BilledUntil(l.CDR.AnsweredAt, at))
	l.CDR.Disposition = d
	l.CDR.SIPCode = code
	l.CDR.BillableSecs = billing.BillableSeconds(l.CDR.AnsweredAt, l.CDR.EndedAt)
}

// SetDialog gives the leg its signalling and takes its party's SDP.
func (l *CallLeg) SetDialog(d Dialog) {
	l.Dialog = d
	l.SDP = d.SDP()
}

// Bye hangs up the leg's answered dialog.
func (l *CallLeg) Bye(ctx context.Context) error { return l.Dialog.Bye(ctx) }

// Done is closed when the leg's dialog ends (BYE, CANCEL), or when the
// engine stops a leg that has none yet; nil for no leg.
func (l *CallLeg) Done() <-chan struct{} {
	switch {
	case l == nil:
		return nil
	case l.Dialog != nil:
		return l.Dialog.Done()
	case l.Stop != nil:
		return l.Stop
	}
	return nil
}
