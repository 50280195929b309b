package sip

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/dialtone/dialtone/calls"
	orgdir "github.com/dialtone/dialtone/directory"
	"github.com/emiago/sipgo/sip"
)

// callError is a refusal the caller hears as a SIP status; every refusal
// path builds one, so the handler never guesses the response.
type callError = calls.Refusal

// refusalHeaders are the response's headers that say why: Reason
// (RFC 3326) and Retry-After.
func refusalHeaders(e *callError) []sip.Header {
	var hdrs []sip.Header
	if e.Reason != "" {
		hdrs = append(hdrs, sip.NewHeader("Reason", fmt.Sprintf("SIP;cause=%d;text=%q", e.Code, e.Reason)))
	}
	if e.RetryAfter > 0 {
		hdrs = append(hdrs, sip.NewHeader("Retry-After", strconv.Itoa(e.RetryAfter)))
	}
	return hdrs
}

func refuse(code int, phrase, reason string) *callError {
	return &callError{Code: code, Phrase: phrase, Reason: reason}
}

// refusalStatus is the SIP status of each kind of the directory's
// refusals (routing, permissions, forwarding).
var refusalStatus = []struct {
	kind   error
	code   int
	phrase string
}{
	{orgdir.ErrMalformed, sip.StatusBadRequest, "Bad Request"},
	{orgdir.ErrForbidden, sip.StatusForbidden, "Forbidden"},
	{orgdir.ErrNotFound, sip.StatusNotFound, "Not Found"},
	{orgdir.ErrNobodyToRing, sip.StatusTemporarilyUnavailable, "Temporarily Unavailable"},
	{orgdir.ErrForwardLoop, sip.StatusLoopDetected, "Loop Detected"},
	{orgdir.ErrNoTrunk, sip.StatusServiceUnavailable, "Service Unavailable"},
}

// asCallError maps any error to the response a caller should get: the
// one place a refusal of the policy (package directory) becomes a SIP
// status.
func asCallError(err error) *callError {
	var ce *callError
	if errors.As(err, &ce) {
		return ce
	}
	var r *orgdir.Refusal
	if errors.As(err, &r) {
		for _, s := range refusalStatus {
			if errors.Is(r.Kind, s.kind) {
				return &callError{Code: s.code, Phrase: s.phrase, Reason: r.Reason, Err: r.Err}
			}
		}
	}
	if errors.Is(err, orgdir.ErrForwardLoop) {
		return &callError{Code: sip.StatusLoopDetected, Phrase: "Loop Detected", Err: err}
	}
	return &callError{Code: sip.StatusInternalServerError, Phrase: "Server Internal Error", Reason: "internal error", Err: err}
}
