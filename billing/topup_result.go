package billing

import (
	"time"

	"github.com/shopspring/decimal"
)

// TopUpResult is the response to a top-up, the same on every replay.
type TopUpResult struct {
	ID       string          `json:"id"`
	Amount   decimal.Decimal `json:"amount"`
	Currency string          `json:"currency"`
	Note     string          `json:"note,omitempty"`
	Time     time.Time       `json:"time"`
	// Balance is the balance right after this top-up was posted.
	Balance decimal.Decimal `json:"balance"`
	// Replayed says this is the first result again: the key was used.
	Replayed bool `json:"replayed"`
}
