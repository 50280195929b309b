package amd

import "math"

// toneOf estimates the frequency of a frame's strongest periodic component
// from its upward crossings of a hysteresis threshold (half the RMS: noise
// cannot make it chatter the way it does plain zero crossings), then
// measures with a Goertzel filter at that frequency how much of the
// frame's energy is there: 1 for a pure tone, little for speech or noise.
func toneOf(frame []int16) (hz, purity float64) {
	n := len(frame)
	if n < 32 {
		return 0, 0
	}
	var energy float64
	for _, s := range frame {
		energy += float64(s) * float64(s)
	}
	h := 0.5 * math.Sqrt(energy/float64(n))
	if h == 0 {
		return 0, 0
	}
	first, last := -1.0, -1.0
	ups := 0
	armed := false // went below -h since the last upward crossing
	for i := 1; i < n; i++ {
		a, b := float64(frame[i-1]), float64(frame[i])
		if b < -h {
			armed = true
		}
		if armed && a < h && b >= h {
			pos := float64(i-1) + (h-a)/(b-a)
			if first < 0 {
				first = pos
			}
			last = pos
			ups++
			armed = false
		}
	}
	if ups < 3 || last <= first {
		return 0, 0
	}
	hz = float64(ups-1) * sampleRate / (last - first)
	return hz, goertzelPower(frame, hz) / (float64(n) / 2 * energy)
}

// goertzelPower is |X(f)|², the frame's power at frequency hz.
func goertzelPower(frame []int16, hz float64) float64 {
	coeff := 2 * math.Cos(2*math.Pi*hz/sampleRate)
	var s1, s2 float64
	for _, x := range frame {
		s1, s2 = float64(x)+coeff*s1-s2, s1
	}
	return s1*s1 + s2*s2 - coeff*s1*s2
}
