package amd

import (
	"testing"
	"time"
)

// neverDecide keeps both phases working on every frame, for timing.
var neverDecide = Config{InitialSilence: time.Hour, AfterGreetingSilence: time.Hour, TotalAnalysisTime: time.Hour,
	MachineAfter: time.Hour, BeepMinLength: time.Hour, BeepMaxLength: time.Hour, EndSilence: time.Hour,
	PersonBefore: time.Nanosecond, MaxDropWait: time.Hour}

// BenchmarkDetectorFeed is the cost of one 20 ms frame in the first phase.
func BenchmarkDetectorFeed(b *testing.B) {
	pcm := synth(1, 300, segment{kind: "noise", dur: ms(500)}, segment{kind: "speech", dur: 3 * time.Second})
	d, _ := New(neverDecide)
	fresh := *d
	benchFrames(b, pcm, func() { *d = fresh }, func(f []int16, at time.Duration) { d.Feed(f, at) })
}

// BenchmarkBeepOrEndFeed is the cost of one 20 ms frame in the second
// phase (the Goertzel filter on top).
func BenchmarkBeepOrEndFeed(b *testing.B) {
	pcm := synth(2, 300, segment{kind: "speech", dur: 3 * time.Second}, segment{kind: "tone", dur: ms(500), hz: 1000})
	e, _ := NewBeepOrEnd(neverDecide)
	fresh := *e
	benchFrames(b, pcm, func() { *e = fresh }, func(f []int16, at time.Duration) { e.Feed(f, at) })
}

// benchFrames feeds the frames of pcm over and over, starting a new call
// (reset, which does not allocate) at each pass.
func benchFrames(b *testing.B, pcm []int16, reset func(), feed func([]int16, time.Duration)) {
	frames := len(pcm) / frameSamples
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := i % frames
		if k == 0 {
			reset()
		}
		feed(pcm[k*frameSamples:(k+1)*frameSamples], ms(20*k))
	}
}

// nsPerFrame times both phases over every frame of the samples.
func nsPerFrame(samples []sample) (detector, beepOrEnd float64) {
	var frames int
	var dt, bt time.Duration
	for _, s := range samples {
		d, _ := New(neverDecide)
		e, _ := NewBeepOrEnd(neverDecide)
		start := time.Now()
		for i := 0; i+frameSamples <= len(s.pcm); i += frameSamples {
			d.Feed(s.pcm[i:i+frameSamples], samplesDuration(i))
		}
		mid := time.Now()
		for i := 0; i+frameSamples <= len(s.pcm); i += frameSamples {
			e.Feed(s.pcm[i:i+frameSamples], samplesDuration(i))
		}
		dt, bt = dt+mid.Sub(start), bt+time.Since(mid)
		frames += len(s.pcm) / frameSamples
	}
	return float64(dt.Nanoseconds()) / float64(frames), float64(bt.Nanoseconds()) / float64(frames)
}
