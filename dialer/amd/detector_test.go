package amd

import (
	"testing"
	"time"
)

func TestDetectorVerdicts(t *testing.T) {
	tests := []struct {
		name        string
		noise       float64
		segs        []segment
		verdict     Verdict
		reason      string
		at          [2]time.Duration // the decision lies within
		greetingEnd [2]time.Duration
	}{
		{
			name: "line noise only: nobody spoke", noise: 300,
			segs:    []segment{{kind: "noise", dur: 4 * time.Second}},
			verdict: Unsure, reason: ReasonInitialSilence,
			at: [2]time.Duration{ms(2500), ms(2500)}, greetingEnd: [2]time.Duration{ms(2500), ms(2500)},
		},
		{
			name:    "digital silence only",
			segs:    []segment{{kind: "zero", dur: 4 * time.Second}},
			verdict: Unsure, reason: ReasonInitialSilence,
			at: [2]time.Duration{ms(2500), ms(2500)}, greetingEnd: [2]time.Duration{ms(2500), ms(2500)},
		},
		{
			name: "hello then waiting", noise: 300,
			segs:    []segment{{kind: "noise", dur: ms(400)}, {kind: "speech", dur: ms(500)}, {kind: "noise", dur: 3 * time.Second}},
			verdict: Human, reason: ReasonAfterGreetingSilence,
			at: [2]time.Duration{ms(1600), ms(1800)}, greetingEnd: [2]time.Duration{ms(800), ms(960)},
		},
		{
			name: "hello at once, on a quiet line", noise: 20,
			segs:    []segment{{kind: "noise", dur: ms(100)}, {kind: "speech", dur: ms(500)}, {kind: "noise", dur: 3 * time.Second}},
			verdict: Human, reason: ReasonAfterGreetingSilence,
			at: [2]time.Duration{ms(1300), ms(1500)}, greetingEnd: [2]time.Duration{ms(500), ms(660)},
		},
		{
			// A loud, steady sound from its first frame: no quieter onset to
			// take for the noise floor.
			name:    "an abrupt hello out of digital silence (no comfort noise)",
			segs:    []segment{{kind: "zero", dur: ms(300)}, {kind: "tone", dur: ms(500), hz: 250}, {kind: "zero", dur: 3 * time.Second}},
			verdict: Human, reason: ReasonAfterGreetingSilence,
			at: [2]time.Duration{ms(1500), ms(1700)}, greetingEnd: [2]time.Duration{ms(700), ms(860)},
		},
		{
			name: "a sentence ending just before the deadline", noise: 300,
			segs:    []segment{{kind: "noise", dur: ms(1200)}, {kind: "speech", dur: ms(1400)}, {kind: "noise", dur: 2 * time.Second}},
			verdict: Unsure, reason: ReasonTimeout,
			at: [2]time.Duration{ms(3000), ms(3000)}, greetingEnd: [2]time.Duration{ms(2400), ms(2600)},
		},
		{
			name: "continuous speech: a recorded greeting", noise: 300,
			segs:    []segment{{kind: "noise", dur: ms(500)}, {kind: "speech", dur: 10 * time.Second}},
			verdict: Machine, reason: ReasonLongGreeting,
			at: [2]time.Duration{ms(2500), ms(2520)}, greetingEnd: [2]time.Duration{0, 0},
		},
		{
			name: "speech starting late: undecided at the deadline", noise: 300,
			segs:    []segment{{kind: "noise", dur: ms(2000)}, {kind: "speech", dur: 10 * time.Second}},
			verdict: Unsure, reason: ReasonTimeout,
			at: [2]time.Duration{ms(3000), ms(3000)}, greetingEnd: [2]time.Duration{ms(3000), ms(3000)},
		},
		{
			name: "a click shorter than a word is not a greeting", noise: 300,
			segs:    []segment{{kind: "noise", dur: ms(500)}, {kind: "tone", dur: ms(60), hz: 300}, {kind: "noise", dur: 3 * time.Second}},
			verdict: Unsure, reason: ReasonInitialSilence,
			at: [2]time.Duration{ms(2500), ms(2500)}, greetingEnd: [2]time.Duration{ms(2500), ms(2500)},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(Config{})
			if err != nil {
				t.Fatal(err)
			}
			dec, _, ok := feedAll(d, synth(uint64(i), tt.noise, tt.segs...))
			if !ok {
				t.Fatal("no decision")
			}
			if dec.Verdict != tt.verdict || dec.Reason != tt.reason {
				t.Fatalf("got %+v, want %s (%s)", dec, tt.verdict, tt.reason)
			}
			if dec.At < tt.at[0] || dec.At > tt.at[1] {
				t.Errorf("decided at %v, want within %v", dec.At, tt.at)
			}
			if dec.GreetingEnd < tt.greetingEnd[0] || dec.GreetingEnd > tt.greetingEnd[1] {
				t.Errorf("greeting end %v, want within %v", dec.GreetingEnd, tt.greetingEnd)
			}
			again, ok := d.Feed(make([]int16, frameSamples), 10*time.Second)
			if !ok || again != dec {
				t.Errorf("a later frame changed the decision to %+v", again)
			}
		})
	}
}

func TestConfigRejectsNonsense(t *testing.T) {
	for _, c := range []Config{
		{NoiseMargin: 0.5},
		{NoiseWindow: time.Hour},
		{MachineWords: -1},
		{BeepMinHz: 3000, BeepMaxHz: 2000},
		{BeepMaxHz: 5000},
		{BeepPurity: 1.5},
		{EndSilence: -time.Second},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
		if _, err := NewBeepOrEnd(c); err == nil {
			t.Errorf("NewBeepOrEnd(%+v) accepted", c)
		}
	}
}

func TestFeedDoesNotAllocate(t *testing.T) {
	pcm := synth(1, 300, segment{kind: "speech", dur: time.Second}, segment{kind: "tone", dur: time.Second, hz: 1000})
	d, _ := New(Config{TotalAnalysisTime: time.Hour, InitialSilence: time.Hour, MachineGreeting: time.Hour})
	b, _ := NewBeepOrEnd(Config{BeepMaxLength: time.Hour, EndSilence: time.Hour, MaxDropWait: time.Hour})
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		off := (i * frameSamples) % (len(pcm) - frameSamples)
		d.Feed(pcm[off:off+frameSamples], ms(20*i))
		b.Feed(pcm[off:off+frameSamples], ms(20*i))
		i++
	})
	if allocs != 0 {
		t.Fatalf("Feed allocates %v times per frame", allocs)
	}
}
