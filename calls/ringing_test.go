package calls

import (
	"errors"
	"testing"

	"github.com/dialtone/dialtone/billing"
	orgdir "github.com/dialtone/dialtone/directory"
)

func TestForwardOutcomeOfHowRingingFailed(t *testing.T) {
	res := func(code int) *FinalResponse { return &FinalResponse{StatusCode: code} }
	for _, tt := range []struct {
		name string
		res  *FinalResponse
		err  error
		want orgdir.Outcome
	}{
		{"not registered", nil, ErrNotRegistered, orgdir.OutcomeNotRegistered},
		{"no answer", nil, ErrNoAnswer, orgdir.OutcomeNoAnswer},
		{"no answer though one fork was busy", res(486), ErrNoAnswer, orgdir.OutcomeNoAnswer},
		{"busy here", res(486), errors.New("callee answered 486"), orgdir.OutcomeBusy},
		{"busy everywhere", res(600), errors.New("callee answered 600"), orgdir.OutcomeBusy},
		{"temporarily unavailable", res(480), errors.New("callee answered 480"), orgdir.OutcomeUnavailable},
		{"request timeout", res(408), errors.New("callee answered 408"), orgdir.OutcomeUnavailable},
		{"declined", res(603), errors.New("callee answered 603"), orgdir.OutcomeFailed},
		{"canceled", res(487), errors.New("callee answered 487"), orgdir.OutcomeFailed},
		{"unreachable", nil, errors.New("send invite"), orgdir.OutcomeFailed},
	} {
		if got := ForwardOutcome(tt.res, tt.err); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestRingFailureSaysHowTheLegEnded(t *testing.T) {
	res := func(code int) *FinalResponse { return &FinalResponse{StatusCode: code} }
	for _, tt := range []struct {
		name string
		res  *FinalResponse
		err  error
		disp billing.Disposition
		code int
	}{
		{"no answer", nil, ErrNoAnswer, billing.NoAnswer, 487},
		{"not registered", nil, ErrNotRegistered, billing.Failed, 480},
		{"no voicemail", nil, ErrNoVoicemail, billing.Failed, 480},
		{"busy here", res(486), errors.New("callee answered 486"), billing.Busy, 486},
		{"busy everywhere", res(600), errors.New("callee answered 600"), billing.Busy, 600},
		{"unavailable", res(480), errors.New("callee answered 480"), billing.NoAnswer, 480},
		{"request timeout", res(408), errors.New("callee answered 408"), billing.NoAnswer, 408},
		{"canceled", res(487), errors.New("callee answered 487"), billing.Canceled, 487},
		{"declined", res(603), errors.New("callee answered 603"), billing.Failed, 603},
		{"unreachable", nil, errors.New("send invite"), billing.Failed, 503},
	} {
		if disp, code := RingFailure(tt.res, tt.err); disp != tt.disp || code != tt.code {
			t.Errorf("%s: %s %d, want %s %d", tt.name, disp, code, tt.disp, tt.code)
		}
	}
}

// The caller hears the most telling of the forks' answers (RFC 3261
// §16.7): busy over declined over unavailable over other client errors;
// a callee's challenge tells the caller nothing.
func TestRankPrefersTheMostTellingAnswer(t *testing.T) {
	order := []int{486, 603, 480, 404, 407}
	for i := 1; i < len(order); i++ {
		if Rank(order[i-1]) <= Rank(order[i]) {
			t.Errorf("%d ranks %d, not above %d's %d", order[i-1], Rank(order[i-1]), order[i], Rank(order[i]))
		}
	}
	if Rank(600) != Rank(486) || Rank(408) != Rank(480) || Rank(401) != Rank(500) {
		t.Error("equivalent answers rank differently")
	}
}

func TestRankPrefersBusyOverUnavailable(t *testing.T) {
	if !(Rank(486) > Rank(480) && Rank(480) > Rank(404) && Rank(404) > Rank(500) && Rank(407) < Rank(404)) {
		t.Fatal("response ranking is wrong")
	}
}
