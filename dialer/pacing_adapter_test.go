package dialer

import (
	"testing"
	"time"

	"github.com/dialtone/dialtone/dialer/pacing"
)

// dialer/pacing's power pacer, plugged in, dials as the dialer's own:
// one lead per ready agent, none for agents still joining or paused.
func TestPacingPowerMatchesPowerPacer(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	agents := func(states ...string) []AgentState {
		var out []AgentState
		for i, s := range states {
			out = append(out, AgentState{ID: string(rune('a' + i)), Status: s, Since: now})
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		agents   []AgentState
		inFlight int
	}{
		{"one ready", agents(AgentReady), 0},
		{"ready and dialing", agents(AgentReady, AgentDialing), 1},
		{"joining and paused", agents(AgentJoining, AgentPaused), 0},
		{"talking and wrap-up", agents(AgentTalking, AgentWrapUp, AgentReady), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := PaceState{Now: now, Agents: tc.agents}
			for range tc.inFlight {
				s.InFlight = append(s.InFlight, Call{DialedAt: now})
			}
			if got, want := Pacing(pacing.NewPower()).Dials(s), NewPowerPacer().Dials(s); got != want {
				t.Fatalf("pacing.NewPower dials %d, the power pacer %d", got, want)
			}
		})
	}
}
