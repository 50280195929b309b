package pacing

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// BenchmarkPredictiveDials200Agents: one decision for a 200-agent campaign
// with 150 dials in flight (the normal approximation's path).
func BenchmarkPredictiveDials200Agents(b *testing.B) {
	benchmarkDials(b, 200, 150)
}

// BenchmarkPredictiveDials10Agents: one decision for 10 agents and 12 dials
// in flight (the exact path).
func BenchmarkPredictiveDials10Agents(b *testing.B) {
	benchmarkDials(b, 10, 12)
}

func benchmarkDials(b *testing.B, agents, inFlight int) {
	p := newPredictive(PredictiveConfig{})
	rng := rand.New(rand.NewPCG(1, 1))
	for range 2000 {
		kind, delay := OutcomeNoAnswer, 25*time.Second
		if rng.Float64() < 0.2 {
			kind, delay = OutcomeHuman, time.Duration(4+rng.Float64()*10)*time.Second
		}
		p.Observe(Outcome{At: t0, Kind: kind, RingDelay: delay})
		p.Observe(Outcome{At: t0, Talk: time.Duration(30+rng.Float64()*200) * time.Second})
	}
	now := t0.Add(time.Hour)
	s := State{Now: now}
	statuses := []string{StatusTalking, StatusTalking, StatusTalking, StatusTalking, StatusWrapUp, StatusReady}
	for i := range agents {
		s.Agents = append(s.Agents, AgentState{ID: strconv.Itoa(i), Status: statuses[i%len(statuses)],
			Since: now.Add(-time.Duration(rng.Float64()*300) * time.Second)})
	}
	for range inFlight {
		s.InFlight = append(s.InFlight, Call{DialedAt: now.Add(-time.Duration(rng.Float64()*25e3) * time.Millisecond)})
	}
	p.Dials(s)
	b.ResetTimer()
	for range b.N {
		p.Dials(s)
	}
}
