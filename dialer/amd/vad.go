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

// floor is the noise floor: the quietest frame of the window, ignoring
// frames below the absolute threshold (digital silence or a dropped packet
// would otherwise make any noise look like speech for a whole window). A
// window of such frames only is a quiet line: floor 0. Noise that starts
// on a quiet line is then voice for its first frame only, too short for
// a word.
func (v *voiceActivity) floor() float64 {
	f := math.Inf(1)
	for _, l := range v.levels[:v.filled] {
		if l >= v.threshold && l < f {
			f = l
		}
	}
	if math.IsInf(f, 1) {
		return 0
	}
	return f
}

// voiced classifies one frame and adds it to the window.
func (v *voiceActivity) voiced(frame []int16) bool {
	level := rms(frame)
	voice := level >= v.threshold && level > v.margin*v.floor()
	v.levels[v.next] = level
	v.next = (v.next + 1) % v.size
	v.filled = min(v.filled+1, v.size)
	return voice
}
