package calls

import (
	"context"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/voicemail"
)

// Meter authorizes chargeable legs before they start and renews their
// credit, a slice at a time, while they are up (*billing.Credit).
type Meter interface {
	// Authorize reserves the first slice of credit for a leg; the
	// reservation's Granted is the call time it grants from the answer
	// (0: no limit, the leg is free). A refusal wraps
	// billing.ErrInsufficientCredit.
	Authorize(ctx context.Context, leg billing.LegRequest) (*billing.Reservation, error)
	// Release frees what Authorize reserved for a leg that never produced a
	// CDR the meter saw.
	Release(legID string)
	// Answered and Renew are what the call's credit clock uses.
	CreditMeter
}

// Voicemail is the mailboxes a call hands its caller to: leave a
// message, hear them, and how many wait (*voicemail.Mailboxes).
type Voicemail interface {
	Deposit(ctx context.Context, ep voicemail.Endpoint, d voicemail.Deposit) (voicemail.Message, bool)
	Listen(ctx context.Context, ep voicemail.Endpoint, l voicemail.Listen)
	Counts(mailbox string) (fresh, saved int, err error)
}
