package calls

import (
	"errors"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/directory"
)

// How ringing a hop fails, besides a final response.
var (
	ErrNoAnswer      = errors.New("no answer within the ring timeout")
	ErrNotRegistered = errors.New("user not registered")
	ErrNoVoicemail   = errors.New("voicemail is not available")
	ErrBusy          = errors.New("busy")
)

// IsBusy reports a callee's busy answer.
func IsBusy(res *FinalResponse) bool {
	return res != nil && (res.StatusCode == StatusBusyHere || res.StatusCode == StatusBusyEverywhere)
}

// RingFailure is the disposition and the callee's code of a leg whose
// ringing failed with err, res being the most telling final response.
func RingFailure(res *FinalResponse, err error) (billing.Disposition, int) {
	switch {
	case errors.Is(err, ErrNoAnswer):
		return billing.NoAnswer, StatusRequestTerminated
	case errors.Is(err, ErrNotRegistered), errors.Is(err, ErrNoVoicemail):
		return billing.Failed, StatusTemporarilyUnavailable
	case IsBusy(res):
		return billing.Busy, res.StatusCode
	case res != nil && (res.StatusCode == StatusTemporarilyUnavailable || res.StatusCode == StatusRequestTimeout):
		return billing.NoAnswer, res.StatusCode
	case res != nil && res.StatusCode == StatusRequestTerminated:
		return billing.Canceled, StatusRequestTerminated
	case res != nil:
		return billing.Failed, res.StatusCode
	}
	return billing.Failed, StatusServiceUnavailable
}

// Rank orders final responses by how much they tell the caller
// (RFC 3261 §16.7: busy beats unavailable beats generic failures).
func Rank(code int) int {
	switch {
	case code == StatusBusyHere || code == StatusBusyEverywhere:
		return 5
	case code == StatusDecline:
		return 4
	case code == StatusTemporarilyUnavailable || code == StatusRequestTimeout:
		return 3
	case code >= StatusBadRequest && code < StatusInternalServerError && code != StatusUnauthorized && code != StatusProxyAuthRequired:
		return 2
	default:
		return 1
	}
}

// ForwardOutcome is how ringing failed, as the forwarding rules see it.
func ForwardOutcome(res *FinalResponse, err error) directory.Outcome {
	switch {
	case errors.Is(err, ErrNotRegistered):
		return directory.OutcomeNotRegistered
	case errors.Is(err, ErrNoAnswer):
		return directory.OutcomeNoAnswer
	case IsBusy(res):
		return directory.OutcomeBusy
	case res != nil && (res.StatusCode == StatusTemporarilyUnavailable || res.StatusCode == StatusRequestTimeout):
		return directory.OutcomeUnavailable
	}
	return directory.OutcomeFailed
}
