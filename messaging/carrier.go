package messaging

import (
	"context"
	"errors"
	"fmt"
)

// Carrier hands texts to the public network.
type Carrier interface {
	// Send asks the carrier to send one text. A *CarrierError is the
	// carrier's refusal; any other error may be retried.
	Send(ctx context.Context, t CarrierText) (*Accepted, error)
}

// CarrierText is one text for the carrier.
type CarrierText struct {
	From, To  string
	Body      string
	MediaURLs []string
	// StatusCallback is where the carrier reports delivery (empty: none).
	StatusCallback string
}

// Accepted is the carrier's answer to a text it took.
type Accepted struct {
	SID      string
	Status   State
	Segments int // what the carrier will bill; 0 when it did not say
}

// CarrierError is a text the carrier refused (it was never sent).
type CarrierError struct {
	Code    int // the carrier's error code, e.g. 21610 (opted out), 21211 (invalid To)
	Status  int // HTTP status
	Message string
}

func (e *CarrierError) Error() string {
	return fmt.Sprintf("carrier refused the text: %d %s", e.Code, e.Message)
}

// Retryable says whether sending again later may work: the carrier was
// busy or broken rather than refusing this text.
func (e *CarrierError) Retryable() bool { return e.Status == 429 || e.Status >= 500 }

// permanent says whether err means the text will never be sent.
func permanent(err error) (*CarrierError, bool) {
	var ce *CarrierError
	if errors.As(err, &ce) && !ce.Retryable() {
		return ce, true
	}
	return nil, false
}
