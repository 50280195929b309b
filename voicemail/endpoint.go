package voicemail

import (
	"context"

	"github.com/dialtone/dialtone/media"
)

// Endpoint is the caller's leg as the dialogues use it: the switch
// answered it with its own media end (a *media.Endpoint), and keys the
// phone signals outside the media (SIP INFO) already arrive on Digits.
type Endpoint interface {
	// Play sends a prompt and returns when it has been sent or ctx ends.
	Play(ctx context.Context, samples []int16) error
	// Record taps rec until a limit of opts, a media timeout or ctx ends it.
	Record(ctx context.Context, rec media.Tap, opts media.RecordOptions) (media.StopReason, media.Digit, error)
	// Digits are the caller's key presses.
	Digits() <-chan media.Digit
}
