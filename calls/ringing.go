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

// Status codes of final responses that ringing tells apart.
const (
	codeRequestTimeout  = 408
	codeUnavailable     = 480
	codeBusyHere        = 486
	codeTerminated      = 487
	codeBusyEverywhere  = 600
	codeDecline         = 603
	codeUnauthorized    = 401
	codeProxyAuthNeeded = 407
	codeNotReachable    = 503
)

// IsBusy reports a callee's busy answer.
func IsBusy(res *FinalResponse) bool {
	return res != nil && (res.StatusCode == codeBusyHere || res.StatusCode == codeBusyEverywhere)
}

// RingFailure is the disposition and the callee's code of a leg whose
// ringing failed with err, res being the most telling final response.
func RingFailure(res *FinalResponse, err error) (billing.Disposition, int) {
	switch {
	case errors.Is(err, ErrNoAnswer):
		return billing.NoAnswer, codeTerminated
	case errors.Is(err, ErrNotRegistered), errors.Is(err, ErrNoVoicemail):
		return billing.Failed, codeUnavailable
	case IsBusy(res):
		return billing.Busy, res.StatusCode
	case res != nil && (res.StatusCode == codeUnavailable || res.StatusCode == codeRequestTimeout):
		return billing.NoAnswer, res.StatusCode
	case res != nil && res.StatusCode == codeTerminated:
		return billing.Canceled, codeTerminated
	case res != nil:
		return billing.Failed, res.StatusCode
	}
	return billing.Failed, codeNotReachable
}

// Rank orders final responses by how much they tell the caller
// (RFC 3261 §16.7: busy beats unavailable beats generic failures).
func Rank(code int) int {
	switch {
	case code == codeBusyHere || code == codeBusyEverywhere:
		return 5
	case code == codeDecline:
		return 4
	case code == codeUnavailable || code == codeRequestTimeout:
		return 3
	case code >= 400 && code < 500 && code != codeUnauthorized && code != codeProxyAuthNeeded:
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
	case res != nil && (res.StatusCode == codeUnavailable || res.StatusCode == codeRequestTimeout):
		return directory.OutcomeUnavailable
	}
	return directory.OutcomeFailed
}
