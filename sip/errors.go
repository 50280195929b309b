package sip

import (
	"errors"
	"fmt"
)

// callError is a refusal the caller hears as a SIP status; every refusal
// path builds one, so the handler never guesses the response.
type callError struct {
	Code   int
	Phrase string
	// Reason goes in a Reason header (RFC 3326) so the phone can show why.
	Reason string
	Err    error
}

func (e *callError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %s: %v", e.Code, e.Phrase, e.Reason, e.Err)
	}
	return fmt.Sprintf("%d %s: %s", e.Code, e.Phrase, e.Reason)
}

func (e *callError) Unwrap() error { return e.Err }

func refuse(code int, phrase, reason string) *callError {
	return &callError{Code: code, Phrase: phrase, Reason: reason}
}

// asCallError maps any error to the response a caller should get.
func asCallError(err error) *callError {
	var ce *callError
	if errors.As(err, &ce) {
		return ce
	}
	return &callError{Code: 500, Phrase: "Server Internal Error", Reason: "internal error", Err: err}
}
