package pacing

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func ready(n int) []AgentState {
	var agents []AgentState
	for i := range n {
		agents = append(agents, AgentState{ID: string(rune('a' + i)), Status: StatusReady, Since: t0})
	}
	return agents
}

func TestPowerTopsUpToFreeAgents(t *testing.T) {
	tests := []struct {
		name     string
		agents   []AgentState
		inFlight int
		waiting  int
		want     int
	}{
		{"three free, nothing in flight", ready(3), 0, 0, 3},
		{"three free, two in flight", ready(3), 2, 0, 1},
		{"more in flight than free", ready(1), 2, 0, 0},
		{"a person waiting takes a free agent", ready(2), 0, 1, 1},
		{"busy and paused agents do not count", []AgentState{
			{ID: "a", Status: StatusTalking}, {ID: "b", Status: StatusWrapUp}, {ID: "c", Status: StatusPaused}, {ID: "d", Status: StatusDialing},
		}, 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := State{Now: t0, Agents: tt.agents, InFlight: make([]Call, tt.inFlight), Waiting: tt.waiting}
			if got := NewPower().Dials(s); got != tt.want {
				t.Fatalf("Dials = %d, want %d", got, tt.want)
			}
		})
	}
}

// trained returns a predictive pacer that has seen `dials` outcomes (a
// person with probability answer, at 6–10 s; the rest end at 25 s), and
// agents talking 120 s and wrapping up 20 s.
func trained(t *testing.T, cfg PredictiveConfig, answer float64, dials int) *Predictive {
	t.Helper()
	p := newPredictive(cfg)
	rng := rand.New(rand.NewPCG(1, 2))
	at := t0
	for range dials {
		at = at.Add(time.Second)
		if rng.Float64() < answer {
			p.Observe(Outcome{At: at, Kind: OutcomeHuman, RingDelay: time.Duration(6+4*rng.Float64()) * time.Second})
		} else {
			p.Observe(Outcome{At: at, Kind: OutcomeNoAnswer, RingDelay: 25 * time.Second})
		}
	}
	// One agent's statuses, seen by Dials: talk 120 s, wrap-up 20 s, ready.
	for i := range 30 {
		start := t0.Add(time.Duration(i) * 150 * time.Second)
		for _, st := range []AgentState{
			{ID: "x", Status: StatusTalking, Since: start},
			{ID: "x", Status: StatusWrapUp, Since: start.Add(120 * time.Second)},
			{ID: "x", Status: StatusReady, Since: start.Add(140 * time.Second)},
		} {
			p.Dials(State{Now: st.Since, Agents: []AgentState{st}, InFlight: make([]Call, 3)})
		}
	}
	return p
}

func TestPredictiveWarmUpIsProgressive(t *testing.T) {
	p := newPredictive(PredictiveConfig{})
	s := State{Now: t0, Agents: ready(2)}
	if got := p.Dials(s); got != 2 || p.Mode() != ModeProgressive {
		t.Fatalf("before any answer: Dials = %d in mode %s, want 2 progressive", got, p.Mode())
	}
	p = trained(t, PredictiveConfig{}, 0.1, 1000)
	if got := p.Dials(State{Now: t0.Add(24 * time.Hour), Agents: ready(2)}); got <= 2 || p.Mode() != ModePredictive {
		t.Fatalf("after the warm-up: Dials = %d in mode %s, want more than the 2 free agents, predictive", got, p.Mode())
	}
}

func TestPredictiveLearnsDurationsAndAnswerRate(t *testing.T) {
	p := trained(t, PredictiveConfig{}, 0.2, 3000)
	if got := p.outcomes.answerProbability(); math.Abs(got-0.2) > 0.03 {
		t.Errorf("answer probability %.3f, want ≈ 0.2", got)
	}
	if got := math.Exp(p.talk.mu); math.Abs(got-120) > 1 {
		t.Errorf("talk median %.1f s, want 120", got)
	}
	if got := p.wrap.mean; math.Abs(got-20) > 0.5 {
		t.Errorf("wrap-up mean %.1f s, want 20", got)
	}
	// The list decays: the estimate follows within a few memories.
	for i := range 3000 {
		kind := OutcomeNoAnswer
		if i%20 == 0 {
			kind = OutcomeHuman
		}
		p.Observe(Outcome{At: t0, Kind: kind, RingDelay: 8 * time.Second})
	}
	if got := p.outcomes.answerProbability(); math.Abs(got-0.05) > 0.02 {
		t.Errorf("after the decay the answer probability is %.3f, want ≈ 0.05", got)
	}
}

func TestPredictiveForecastsWhoComesFree(t *testing.T) {
	p := trained(t, PredictiveConfig{}, 0.3, 1000)
	now := t0.Add(24 * time.Hour)
	tests := []struct {
		name   string
		agent  AgentState
		atMost int
		least  int
	}{
		// Free in 4 s: a dial now is answered in 6–10 s.
		{"wrapping up, 4 s left", AgentState{ID: "w", Status: StatusWrapUp, Since: now.Add(-16 * time.Second)}, 3, 1},
		// 140 s from free: any dial now would be abandoned.
		{"just started talking", AgentState{ID: "t", Status: StatusTalking, Since: now.Add(-time.Second)}, 0, 0},
		{"paused", AgentState{ID: "p", Status: StatusPaused, Since: now.Add(-time.Hour)}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Dials(State{Now: now, Agents: []AgentState{tt.agent}})
			if got < tt.least || got > tt.atMost {
				t.Fatalf("Dials = %d, want %d..%d", got, tt.least, tt.atMost)
			}
		})
	}
	// Calls in flight that could still be answered use up the agent; calls
	// past any answer's ring delay do not.
	wrapping := []AgentState{{ID: "w", Status: StatusWrapUp, Since: now.Add(-16 * time.Second)}}
	young := []Call{{DialedAt: now.Add(-2 * time.Second)}, {DialedAt: now.Add(-3 * time.Second)}}
	old := []Call{{DialedAt: now.Add(-15 * time.Second)}, {DialedAt: now.Add(-16 * time.Second)}}
	withYoung := p.Dials(State{Now: now, Agents: wrapping, InFlight: young})
	withOld := p.Dials(State{Now: now, Agents: wrapping, InFlight: old})
	if withYoung != 0 || withOld == 0 {
		t.Fatalf("with two young calls in flight Dials = %d (want 0), with two calls past answering %d (want > 0)", withYoung, withOld)
	}
}

func TestPredictiveFallsBackNearTheLimit(t *testing.T) {
	ledger, _ := NewAbandonLedger(Window30Days, nil)
	p := trained(t, PredictiveConfig{Ledger: ledger}, 0.1, 1000)
	now := t0.Add(24 * time.Hour)
	record := func(humans, abandons int) {
		for range humans {
			ledger.RecordHuman(now)
		}
		for range abandons {
			ledger.RecordAbandon(now)
		}
	}
	s := State{Now: now, Agents: ready(2)}
	record(1000, 25)
	if got := p.Dials(s); got <= 2 || p.Mode() != ModePredictive {
		t.Fatalf("at 2.5 %%: Dials = %d in mode %s, want predictive, more than 2", got, p.Mode())
	}
	record(0, 5) // 3.0 %: one more abandon would cross the limit
	if got := p.Dials(s); got != 2 || p.Mode() != ModeProgressive {
		t.Fatalf("at the limit: Dials = %d in mode %s, want 2 progressive", got, p.Mode())
	}
	record(100, 0) // 2.73 %: still near
	if got := p.Dials(s); got != 2 || p.Mode() != ModeProgressive {
		t.Fatalf("at 2.73 %%: Dials = %d in mode %s, want 2 progressive", got, p.Mode())
	}
	record(900, 0) // 1.5 %: safely below
	if got := p.Dials(s); got <= 2 || p.Mode() != ModePredictive {
		t.Fatalf("at 1.5 %%: Dials = %d in mode %s, want predictive again", got, p.Mode())
	}
}

func TestPredictiveCapsLinesPerAgent(t *testing.T) {
	p := trained(t, PredictiveConfig{MaxLinesPerAgent: 2}, 0.05, 1000)
	now := t0.Add(24 * time.Hour)
	if got := p.Dials(State{Now: now, Agents: ready(3)}); got != 6 {
		t.Fatalf("Dials = %d, want the cap of 2 lines × 3 agents", got)
	}
	if got := p.Dials(State{Now: now, Agents: ready(3), InFlight: make([]Call, 5)}); got > 1 {
		t.Fatalf("with 5 in flight Dials = %d, want at most 1", got)
	}
}

func TestControllerSteersTowardTheTarget(t *testing.T) {
	p := trained(t, PredictiveConfig{}, 0.2, 1000)
	p.Dials(State{Now: t0.Add(24 * time.Hour), Agents: ready(2)}) // predictive
	start := p.Threshold()
	p.Observe(Outcome{At: t0, Kind: OutcomeAbandoned})
	if down := p.Threshold(); down >= start {
		t.Fatalf("an abandon left θ at %v (from %v), want lower", down, start)
	}
	// At exactly the target rate, θ comes back to where it was.
	for range 39 {
		p.Observe(Outcome{At: t0, Kind: OutcomeHuman, RingDelay: 8 * time.Second})
	}
	p.Observe(Outcome{At: t0, Kind: OutcomeHuman, RingDelay: 8 * time.Second})
	if got := p.Threshold(); math.Abs(got-start)/start > 1e-9 {
		t.Fatalf("after 1 abandon in 40 persons θ = %v, want %v again", got, start)
	}
}

func TestDeficitExactMatchesEnumeration(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 50 {
		var d deficit
		base := rng.IntN(3)
		d.reset(base)
		plus := make([]float64, rng.IntN(5))
		minus := make([]float64, 1+rng.IntN(5))
		for i := range plus {
			plus[i] = rng.Float64()
			d.addPlus(plus[i])
		}
		for i := range minus {
			minus[i] = rng.Float64()
			d.addMinus(minus[i])
		}
		d.prepare(2)
		cand := rng.Float64()
		d.addCandidate(cand)
		terms := append(append([]float64{}, plus...), minus...)
		terms = append(terms, cand)
		want := 0.0
		for mask := range 1 << len(terms) {
			prob, v := 1.0, base
			for i, p := range terms {
				if mask&(1<<i) != 0 {
					prob *= p
					if i < len(plus) {
						v++
					} else {
						v--
					}
				} else {
					prob *= 1 - p
				}
			}
			if v <= 0 {
				want += prob
			}
		}
		if got := d.noAgent(); math.Abs(got-want) > 1e-9 {
			t.Fatalf("trial %d: P(D ≤ 0) = %v, enumeration %v", trial, got, want)
		}
	}
}
