package voicemail

import "errors"

var (
	// ErrNoMailbox is returned for a user the directory does not know:
	// there is no mailbox to read or change.
	ErrNoMailbox = errors.New("voicemail: no such mailbox")
	// ErrNoMessage is returned for a message id the mailbox does not hold
	// (never left, or deleted already).
	ErrNoMessage = errors.New("voicemail: no such message")
)

// lookupError says what was not found in its own words ("no user
// \"carol\"", as the API has always answered) while errors.Is finds its
// kind, one of the sentinels above.
type lookupError struct {
	kind error
	msg  string
}

func (e *lookupError) Error() string        { return e.msg }
func (e *lookupError) Is(target error) bool { return target == e.kind }
