package calls

import (
	"errors"

	orgdir "github.com/dialtone/dialtone/directory"
)

// Refuse is the switch's own refusal of a call.
func Refuse(code int, phrase, reason string) *Refusal {
	return &Refusal{Code: code, Phrase: phrase, Reason: reason}
}

// refusalStatus is the status of each kind of the directory's refusals
// (routing, permissions, forwarding).
var refusalStatus = []struct {
	kind   error
	code   int
	phrase string
}{
	{orgdir.ErrMalformed, StatusBadRequest, "Bad Request"},
	{orgdir.ErrForbidden, StatusForbidden, "Forbidden"},
	{orgdir.ErrNotFound, StatusNotFound, "Not Found"},
	{orgdir.ErrNobodyToRing, StatusTemporarilyUnavailable, "Temporarily Unavailable"},
	{orgdir.ErrForwardLoop, StatusLoopDetected, "Loop Detected"},
	{orgdir.ErrNoTrunk, StatusServiceUnavailable, "Service Unavailable"},
}

// RefusalOf maps any error to the refusal a caller should get: the one
// place a refusal of the policy (package directory) becomes a status,
// which package sip says as a SIP response.
func RefusalOf(err error) *Refusal {
	var ce *Refusal
	if errors.As(err, &ce) {
		return ce
	}
	var r *orgdir.Refusal
	if errors.As(err, &r) {
		for _, s := range refusalStatus {
			if errors.Is(r.Kind, s.kind) {
				return &Refusal{Code: s.code, Phrase: s.phrase, Reason: r.Reason, Err: r.Err}
			}
		}
	}
	if errors.Is(err, orgdir.ErrForwardLoop) {
		return &Refusal{Code: StatusLoopDetected, Phrase: "Loop Detected", Err: err}
	}
	return &Refusal{Code: StatusInternalServerError, Phrase: "Server Internal Error", Reason: "internal error", Err: err}
}
