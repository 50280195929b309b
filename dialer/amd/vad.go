package amd

import (
	"math"
	"time"
)

const (
	sampleRate     = 8000
	frameLength    = 20 * time.Millisecond
	maxNoiseWindow = 5 * time.Second
	maxNoiseFrames = int(maxNoiseWindow / frameLength)
)

// samplesDuration is how long n samples at 8 kHz last.
func samplesDuration(n int) time.Duration {
	return time.Duration(n) * time.Second / sampleRate
}

// rms is the root mean square of a frame.
func rms(frame []int16) float64 {
	if len(frame) == 0 {
		return 0
	}
	var sum int64
	for _, s := range frame {
		sum += int64(s) * int64(s)
	}
	return math.Sqrt(float64(sum) / float64(len(frame)))
}

// voiceActivity calls a frame voice when its level stands out from the
// line's noise: above an absolute threshold and NoiseMargin times the
// noise floor, the quietest frame of the last NoiseWindow. Background
// noise (an office, a car, a hissing line) is steady, so its quietest
// frame follows it within a window; speech keeps dropping to the floor
// between words, so a floor taken as a minimum does not climb with it.
type voiceActivity struct {
	threshold, margin float64
	size              int // frames the window holds
	levels            [maxNoiseFrames]float64
	next, filled      int
}

func newVoiceActivity(c Config) voiceActivity {
	return voiceActivity{
		threshold: c.SilenceThreshold,
		margin:    c.NoiseMargin,
		size:      max(1, int(c.NoiseWindow/frameLength)),
	}
}

// floor is the noise floor: the quietest frame of the window, where a
// frame below the absolute threshold counts as the threshold. A quiet line
// (digital silence, a hiss far below speech) thus has the threshold as its
// floor, and a word out of it is heard from its first frame, however
// abruptly it starts; an empty window too. The price: line noise that
// starts out of digital silence counts as voice until the silence has left
// the window.
func (v *voiceActivity) floor() float64 {
	f := v.threshold
	if v.filled > 0 {
		f = math.Inf(1)
		for _, l := range v.levels[:v.filled] {
			f = min(f, l)
		}
	}
	return f
}

// voiced classifies one frame and adds it to the window.
func (v *voiceActivity) voiced(frame []int16) bool {
	level := rms(frame)
	voice := level >= v.threshold && level > v.margin*v.floor()
	level = max(level, v.threshold)
	v.levels[v.next] = level
	v.next = (v.next + 1) % v.size
	v.filled = min(v.filled+1, v.size)
	return voice
}
