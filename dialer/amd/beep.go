package amd

import (
	"math"
	"time"
)

// CueKind says why BeepOrEnd says to play now.
type CueKind string

const (
	CueBeep    CueKind = "beep"    // the machine's beep ended: it records now
	CueSilence CueKind = "silence" // no beep, but the greeting ended (EndSilence of silence)
	CueTimeout CueKind = "timeout" // neither by MaxDropWait
	// CuePerson: the greeting stopped (AfterGreetingSilence of silence)
	// before PersonBefore, too short for a machine: a person who said a
	// whole sentence, then waited. Hand the call to an agent.
	CuePerson CueKind = "person"
)

// Cue tells when to play the voicemail drop, or that a person is there.
type Cue struct {
	Kind CueKind
	// At is when to act, as time since answer: the end of the frame where
	// the beep was over, or the silence long enough.
	At time.Duration
	// GreetingEnd is when the greeting's last word ended (CuePerson,
	// CueSilence): for a person, the completed greeting the abandon delay
	// may count from.
	GreetingEnd time.Duration
	// BeepStart and BeepHz describe the beep (CueBeep only).
	BeepStart time.Duration
	BeepHz    float64
}

// toneTolerance is how far (as a ratio) a beep's frequency may wander
// between frames: a beep is steady, a voice's pitch is not.
const toneTolerance = 0.015

// BeepOrEnd follows a machine's greeting until its beep (a steady tone in
// the beep band for BeepMinLength), or its end (EndSilence of silence), and
// tells when to play the message; or, if the greeting stops early, that a
// person spoke it (CuePerson). Get one from Detector.BeepOrEnd after a
// Machine verdict, or NewBeepOrEnd. Not safe for concurrent use.
type BeepOrEnd struct {
	cfg Config
	vad voiceActivity

	greeting     bool // a word was heard
	voicing      bool
	voiceStart   time.Duration
	silenceStart time.Duration

	toning    bool
	toneStart time.Duration
	toneHz    float64

	done bool
	cue  Cue
}

// NewBeepOrEnd starts the second phase without a Detector before it.
func NewBeepOrEnd(cfg Config) (*BeepOrEnd, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &BeepOrEnd{cfg: c, vad: newVoiceActivity(c)}, nil
}

// Feed takes the next frame, which began at time at since answer, and
// reports the cue once there is one; later calls return the same cue.
func (b *BeepOrEnd) Feed(frame []int16, at time.Duration) (Cue, bool) {
	if b.done {
		return b.cue, true
	}
	c := &b.cfg
	end := at + samplesDuration(len(frame))
	voiced := b.vad.voiced(frame)
	hz, purity := toneOf(frame)
	tonal := purity >= c.BeepPurity && hz >= c.BeepMinHz && hz <= c.BeepMaxHz && rms(frame) >= c.SilenceThreshold

	switch {
	case tonal && b.toning && math.Abs(hz-b.toneHz) <= toneTolerance*b.toneHz:
		if end-b.toneStart >= c.BeepMaxLength {
			return b.finish(Cue{Kind: CueBeep, At: end, BeepStart: b.toneStart, BeepHz: b.toneHz})
		}
	default:
		if b.toning && at-b.toneStart >= c.BeepMinLength {
			return b.finish(Cue{Kind: CueBeep, At: end, BeepStart: b.toneStart, BeepHz: b.toneHz})
		}
		b.toning = tonal
		b.toneStart, b.toneHz = at, hz
	}

	if voiced || tonal {
		if !b.voicing {
			b.voicing, b.voiceStart = true, at
		}
		b.greeting = b.greeting || end-b.voiceStart >= c.MinWordLength
	} else {
		if b.voicing {
			b.voicing, b.silenceStart = false, at
		}
		silence := end - b.silenceStart
		if b.greeting && silence >= c.AfterGreetingSilence && b.silenceStart < c.PersonBefore {
			return b.finish(Cue{Kind: CuePerson, At: end, GreetingEnd: b.silenceStart})
		}
		if silence >= c.EndSilence {
			return b.finish(Cue{Kind: CueSilence, At: end, GreetingEnd: b.silenceStart})
		}
	}
	if end >= c.MaxDropWait {
		return b.finish(Cue{Kind: CueTimeout, At: end})
	}
	return Cue{}, false
}

// Confirmed tells whether a Machine verdict can no longer turn out to be
// a person (CuePerson) at time at since answer: a campaign that hangs up
// on machines waits for this (about 5.8 s by default) or CuePerson.
func (b *BeepOrEnd) Confirmed(at time.Duration) bool {
	return at >= b.cfg.PersonBefore+b.cfg.AfterGreetingSilence
}

func (b *BeepOrEnd) finish(c Cue) (Cue, bool) {
	b.done, b.cue = true, c
	return c, true
}
