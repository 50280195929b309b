package amd

import (
	"testing"
	"time"
)

func TestBeepOrEnd(t *testing.T) {
	greeting := segment{kind: "speech", dur: 6 * time.Second}
	tests := []struct {
		name        string
		noise       float64
		segs        []segment
		kind        CueKind
		at          [2]time.Duration
		greetingEnd [2]time.Duration
		hz          float64
	}{
		{
			name: "1 kHz beep after the greeting", noise: 300,
			segs: []segment{greeting, {kind: "noise", dur: ms(400)}, {kind: "tone", dur: ms(500), hz: 1000}, {kind: "noise", dur: 3 * time.Second}},
			kind: CueBeep, at: [2]time.Duration{ms(6900), ms(6960)}, hz: 1000,
		},
		{
			name: "low 440 Hz beep in loud noise", noise: 1000,
			segs: []segment{greeting, {kind: "noise", dur: ms(300)}, {kind: "tone", dur: ms(400), hz: 440}, {kind: "noise", dur: 3 * time.Second}},
			kind: CueBeep, at: [2]time.Duration{ms(6700), ms(6760)}, hz: 440,
		},
		{
			name: "high 1900 Hz beep", noise: 300,
			segs: []segment{greeting, {kind: "noise", dur: ms(300)}, {kind: "tone", dur: ms(300), hz: 1900}, {kind: "noise", dur: 3 * time.Second}},
			kind: CueBeep, at: [2]time.Duration{ms(6600), ms(6660)}, hz: 1900,
		},
		{
			name: "a beep held on is taken after BeepMaxLength", noise: 300,
			segs: []segment{greeting, {kind: "tone", dur: 5 * time.Second, hz: 850}},
			kind: CueBeep, at: [2]time.Duration{ms(7500), ms(7520)}, hz: 850,
		},
		{
			name: "a blip shorter than a beep, then silence", noise: 300,
			segs: []segment{greeting, {kind: "noise", dur: ms(300)}, {kind: "tone", dur: ms(100), hz: 1000}, {kind: "noise", dur: 3 * time.Second}},
			kind: CueSilence, at: [2]time.Duration{ms(7900), ms(7900)},
		},
		{
			name: "a tone outside the band is not a beep", noise: 300,
			segs: []segment{greeting, {kind: "noise", dur: ms(300)}, {kind: "tone", dur: ms(500), hz: 2800}, {kind: "noise", dur: 3 * time.Second}},
			kind: CueSilence, at: [2]time.Duration{ms(8300), ms(8300)},
		},
		{
			name: "no beep: the end of the greeting", noise: 300,
			segs: []segment{greeting, {kind: "noise", dur: 3 * time.Second}},
			kind: CueSilence, at: [2]time.Duration{ms(7500), ms(7500)}, greetingEnd: [2]time.Duration{ms(5900), ms(6000)},
		},
		{
			name: "a person's whole sentence, then waiting", noise: 300,
			segs: []segment{{kind: "speech", dur: ms(3500)}, {kind: "noise", dur: 3 * time.Second}},
			kind: CuePerson, at: [2]time.Duration{ms(4200), ms(4320)}, greetingEnd: [2]time.Duration{ms(3400), ms(3520)},
		},
		{
			name: "a greeting that never ends", noise: 300,
			segs: []segment{{kind: "speech", dur: 41 * time.Second}},
			kind: CueTimeout, at: [2]time.Duration{40 * time.Second, 40 * time.Second},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pcm := synth(uint64(100+i), tt.noise, tt.segs...)
			d, err := New(Config{})
			if err != nil {
				t.Fatal(err)
			}
			dec, next, ok := feedAll(d, pcm)
			if !ok || dec.Verdict != Machine {
				t.Fatalf("the greeting gave %+v, want machine", dec)
			}
			cue, ok := cueAll(d.BeepOrEnd(), pcm, next)
			if !ok {
				t.Fatal("no cue")
			}
			if cue.Kind != tt.kind || cue.At < tt.at[0] || cue.At > tt.at[1] {
				t.Fatalf("got %+v, want %s within %v", cue, tt.kind, tt.at)
			}
			if tt.greetingEnd[1] != 0 && (cue.GreetingEnd < tt.greetingEnd[0] || cue.GreetingEnd > tt.greetingEnd[1]) {
				t.Errorf("greeting end %v, want within %v", cue.GreetingEnd, tt.greetingEnd)
			}
			if tt.hz != 0 && (cue.BeepHz < tt.hz*0.98 || cue.BeepHz > tt.hz*1.02) {
				t.Errorf("beep at %.0f Hz, want %.0f", cue.BeepHz, tt.hz)
			}
		})
	}
}

func TestToneOfPureToneAndSpeech(t *testing.T) {
	for _, hz := range []float64{400, 697, 1000, 1400, 2000} {
		pcm := synth(1, 0, segment{kind: "tone", dur: ms(20), hz: hz})
		got, purity := toneOf(pcm)
		if got < hz*0.99 || got > hz*1.01 || purity < 0.9 {
			t.Errorf("%v Hz tone: estimated %.1f Hz, purity %.2f", hz, got, purity)
		}
	}
	pcm := synth(2, 0, segment{kind: "speech", dur: 3 * time.Second})
	for i := 0; i+frameSamples <= len(pcm); i += frameSamples {
		if hz, purity := toneOf(pcm[i : i+frameSamples]); purity >= DefaultConfig().BeepPurity && hz >= 400 {
			t.Errorf("speech frame at %v looks like a %.0f Hz tone (purity %.2f)", samplesDuration(i), hz, purity)
		}
	}
}

func TestBeepOrEndConfirmedAfterThePersonWindow(t *testing.T) {
	b, err := NewBeepOrEnd(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Confirmed(5 * time.Second) {
		t.Error("confirmed at 5 s, while a person could still stop talking")
	}
	if !b.Confirmed(5800 * time.Millisecond) {
		t.Error("not confirmed at PersonBefore + AfterGreetingSilence")
	}
}

func TestBeepOrEndAloneWaitsForVoiceBeforeCallingAPerson(t *testing.T) {
	b, _ := NewBeepOrEnd(Config{})
	pcm := synth(9, 300, segment{kind: "noise", dur: 3 * time.Second})
	cue, ok := cueAll(b, pcm, 0)
	if !ok || cue.Kind != CueSilence {
		t.Fatalf("silence from the start gave %+v, want the silence cue", cue)
	}
}
