package directory

import (
	"errors"
	"fmt"
)

// The kinds of refusal the policy answers, found with errors.Is. They say
// what went wrong, not how a protocol says it: package sip turns each into
// its SIP status in one place, package api into its HTTP status.
var (
	// ErrNotFound: no such user, group, number or destination.
	ErrNotFound = errors.New("not found")
	// ErrForbidden: the user may not (a permission, a caller ID).
	ErrForbidden = errors.New("forbidden")
	// ErrNobodyToRing: the destination exists but has no one else to ring.
	ErrNobodyToRing = errors.New("nobody to ring")
	// ErrNoTrunk: there is no trunk to the public network.
	ErrNoTrunk = errors.New("no trunk to the public network")
	// ErrMalformed: what the caller asked cannot be read.
	ErrMalformed = errors.New("malformed")
	// ErrForwardLoop: forwarding came back to someone already rung, or
	// went on for more than MaxForwardHops.
	ErrForwardLoop = errors.New("forwarding loop")
	// ErrForwardRefused: the forwarding rule's owners may not call the
	// target (an outside number, as if they dialed it); see ForwardRefusal.
	ErrForwardRefused = errors.New("forward target not permitted")
	// ErrInvalid and ErrConflict are what an administrative change (a
	// number added, forwarding set) gets when it is wrong or clashes.
	ErrInvalid  = errors.New("invalid")
	ErrConflict = errors.New("conflict")
)

// Refusal is a call or change the policy refuses: Kind is one of the
// kinds above, Reason what the caller is told (a SIP Reason header), Err
// the rule behind it when there is one (a *config.CallRefusal).
type Refusal struct {
	Kind   error
	Reason string
	Err    error
}

func refuse(kind error, reason string) *Refusal { return &Refusal{Kind: kind, Reason: reason} }

func (r *Refusal) Error() string {
	if r.Err != nil {
		return fmt.Sprintf("%v: %s: %v", r.Kind, r.Reason, r.Err)
	}
	return fmt.Sprintf("%v: %s", r.Kind, r.Reason)
}

func (r *Refusal) Unwrap() []error {
	if r.Err == nil {
		return []error{r.Kind}
	}
	return []error{r.Kind, r.Err}
}

// kindError is err, said as it is, that errors.Is finds to be of kind.
type kindError struct{ kind, err error }

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }

// WithKind marks err as of kind (ErrInvalid, ErrNotFound, ErrConflict)
// and keeps its message.
func WithKind(kind, err error) error { return &kindError{kind, err} }
