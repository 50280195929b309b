package sip

import (
	"errors"
	"testing"

	orgdir "github.com/dialtone/dialtone/directory"
)

func TestForwardOutcomeOfHowRingingFailed(t *testing.T) {
	res := func(code int) *finalResponse { return &finalResponse{StatusCode: code} }
	for _, tt := range []struct {
		name string
		res  *finalResponse
		err  error
		want orgdir.Outcome
	}{
		{"not registered", nil, errNotRegistered, orgdir.OutcomeNotRegistered},
		{"no answer", nil, errNoAnswer, orgdir.OutcomeNoAnswer},
		{"no answer though one fork was busy", res(486), errNoAnswer, orgdir.OutcomeNoAnswer},
		{"busy here", res(486), errors.New("callee answered 486"), orgdir.OutcomeBusy},
		{"busy everywhere", res(600), errors.New("callee answered 600"), orgdir.OutcomeBusy},
		{"temporarily unavailable", res(480), errors.New("callee answered 480"), orgdir.OutcomeUnavailable},
		{"request timeout", res(408), errors.New("callee answered 408"), orgdir.OutcomeUnavailable},
		{"declined", res(603), errors.New("callee answered 603"), orgdir.OutcomeFailed},
		{"canceled", res(487), errors.New("callee answered 487"), orgdir.OutcomeFailed},
		{"unreachable", nil, errors.New("send invite"), orgdir.OutcomeFailed},
	} {
		if got := forwardOutcome(tt.res, tt.err); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}
