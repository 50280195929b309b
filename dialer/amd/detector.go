package amd

import "time"

// Verdict is what the detector concluded.
type Verdict string

const (
	Human   Verdict = "human"
	Machine Verdict = "machine"
	// Unsure goes to an agent: nobody spoke, or the greeting was neither
	// clearly short nor clearly long by the deadline.
	Unsure Verdict = "unsure"
)

// Reasons, after Asterisk's AMDCAUSE.
const (
	ReasonAfterGreetingSilence = "after-greeting-silence" // human: a short greeting, then waiting
	ReasonLongGreeting         = "long-greeting"          // machine: long speech with many words, still going on
	ReasonInitialSilence       = "initial-silence"        // unsure: nobody spoke
	ReasonTimeout              = "total-analysis-time"    // unsure: undecided by the deadline
)

// Decision is the detector's verdict.
type Decision struct {
	Verdict Verdict
	// At is when the verdict was reached, as time since answer (the end of
	// the frame that decided).
	At time.Duration
	// GreetingEnd is when the person's greeting ended as the detector saw
	// it (the start of the silence after the last word), for counting the
	// abandon delay from the completed greeting. For Machine, the greeting
	// is still going on: it is 0 (BeepOrEnd finds its end). For Unsure
	// with nobody speaking, or speech still going on, it is At.
	GreetingEnd time.Duration
	// Reason is one of the Reason constants.
	Reason string
}

// Detector decides human, machine or unsure on the first seconds of the
// called party's audio. It is not safe for concurrent use; one per call.
type Detector struct {
	cfg Config
	vad voiceActivity

	started      bool          // the greeting's first word was heard
	onset        time.Duration // start of the first word
	words        int
	inWord       bool
	burst        bool          // a run of voice, with gaps shorter than BetweenWordsSilence
	voiceStart   time.Duration // start of the current run of voice
	silenceStart time.Duration // start of the current run of silence
	voicing      bool          // the last frame was voice

	decided  bool
	decision Decision
}

// New returns a detector; zero fields of cfg take their defaults.
func New(cfg Config) (*Detector, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Detector{cfg: c, vad: newVoiceActivity(c)}, nil
}

// Feed takes one frame of 8 kHz linear PCM (normally 20 ms, 160 samples)
// that began at time at since answer, and reports the decision once there
// is one; later calls return the same decision. Frames must come in order.
// at is the audio's own clock (the samples before this frame / 8 kHz, plus
// any gap the stream had): arrival times jitter and would stretch and
// squeeze the silences the rules measure.
func (d *Detector) Feed(frame []int16, at time.Duration) (Decision, bool) {
	if d.decided {
		return d.decision, true
	}
	end := at + samplesDuration(len(frame))
	d.track(d.vad.voiced(frame), at, end)
	c := &d.cfg
	silence := end - d.silenceStart
	switch {
	case d.started && !d.voicing && silence >= c.AfterGreetingSilence:
		return d.decide(Human, end, d.silenceStart, ReasonAfterGreetingSilence)
	case d.started && d.voicing && end >= c.MachineAfter && end-d.onset >= c.MachineGreeting && d.words >= c.MachineWords:
		return d.decide(Machine, end, 0, ReasonLongGreeting)
	case !d.started && end >= c.InitialSilence:
		return d.decide(Unsure, end, end, ReasonInitialSilence)
	case end >= c.TotalAnalysisTime:
		greetingEnd := end
		if d.started && !d.voicing {
			greetingEnd = d.silenceStart
		}
		return d.decide(Unsure, end, greetingEnd, ReasonTimeout)
	}
	return Decision{}, false
}

// track follows runs of voice and silence and counts words: a run of
// voice of MinWordLength is a word, and it ends after BetweenWordsSilence.
func (d *Detector) track(voiced bool, at, end time.Duration) {
	if voiced {
		d.voicing = true
		if !d.burst {
			d.burst, d.voiceStart = true, at
		}
		if !d.inWord && end-d.voiceStart >= d.cfg.MinWordLength {
			d.inWord = true
			d.words++
			if !d.started {
				d.started, d.onset = true, d.voiceStart
			}
		}
		return
	}
	if d.voicing {
		d.voicing = false
		d.silenceStart = at
	}
	if end-d.silenceStart >= d.cfg.BetweenWordsSilence {
		// The word ends; a burst shorter than a word was a click or noise.
		d.inWord, d.burst = false, false
	}
}

func (d *Detector) decide(v Verdict, at, greetingEnd time.Duration, reason string) (Decision, bool) {
	d.decided = true
	d.decision = Decision{Verdict: v, At: at, GreetingEnd: greetingEnd, Reason: reason}
	return d.decision, true
}

// BeepOrEnd returns the second phase for a machine: it follows the rest
// of the greeting, carrying over the noise floor and whether the greeting
// is in a pause.
func (d *Detector) BeepOrEnd() *BeepOrEnd {
	return &BeepOrEnd{cfg: d.cfg, vad: d.vad, greeting: d.started, voicing: d.voicing, silenceStart: d.silenceStart}
}
