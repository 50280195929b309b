package amd

import (
	"math"
	"math/rand/v2"
	"time"
)

// Synthetic test signals at 8 kHz: a noisy line, speech-like syllables (a
// gliding harmonic voice under a smooth envelope) and tones.

const frameSamples = 160

func samplesIn(d time.Duration) int { return int(d * sampleRate / time.Second) }

// segment is one stretch of a synthetic signal.
type segment struct {
	kind string // "noise" (the line alone), "speech" (syllables), "tone", "zero"
	dur  time.Duration
	hz   float64 // tone
}

// synth renders segments over a line noise of the given RMS, deterministic
// for a seed.
func synth(seed uint64, noiseRMS float64, segs ...segment) []int16 {
	r := rand.New(rand.NewPCG(seed, 7))
	var out []int16
	phase, f0phase := 0.0, 0.0
	for _, s := range segs {
		n := samplesIn(s.dur)
		for i := range n {
			t := float64(i) / sampleRate
			v := 0.0
			switch s.kind {
			case "speech":
				// Syllables of 220 ms with 60 ms gaps, the pitch gliding
				// 110–190 Hz, five harmonics.
				pos := math.Mod(t, 0.28)
				if pos < 0.22 {
					env := math.Sin(math.Pi * pos / 0.22)
					f0 := 150 + 40*math.Sin(2*math.Pi*1.3*t)
					f0phase += 2 * math.Pi * f0 / sampleRate
					for h := 1.0; h <= 5; h++ {
						v += env * 5000 / h * math.Sin(h*f0phase)
					}
				}
			case "tone":
				phase += 2 * math.Pi * s.hz / sampleRate
				v = 8000 * math.Sin(phase)
			}
			if s.kind != "zero" {
				v += noiseRMS * math.Sqrt(3) * (2*r.Float64() - 1)
			}
			out = append(out, int16(max(-32768, min(32767, math.Round(v)))))
		}
	}
	return out
}

// feedAll feeds 20 ms frames until a decision; ok false if none came.
func feedAll(d *Detector, pcm []int16) (Decision, int, bool) {
	for i := 0; i+frameSamples <= len(pcm); i += frameSamples {
		if dec, ok := d.Feed(pcm[i:i+frameSamples], samplesDuration(i)); ok {
			return dec, i + frameSamples, true
		}
	}
	return Decision{}, len(pcm), false
}

// cueAll feeds frames from sample offset from until a cue.
func cueAll(b *BeepOrEnd, pcm []int16, from int) (Cue, bool) {
	for i := from; i+frameSamples <= len(pcm); i += frameSamples {
		if c, ok := b.Feed(pcm[i:i+frameSamples], samplesDuration(i)); ok {
			return c, true
		}
	}
	return Cue{}, false
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }
