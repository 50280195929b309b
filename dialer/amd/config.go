package amd

import (
	"fmt"
	"reflect"
	"time"
)

// Config holds the detector's thresholds. The names follow Asterisk's
// amd.conf where there is an equivalent; the zero value of a field means
// its default (DefaultConfig).
type Config struct {
	// SilenceThreshold is the RMS level (of 32767) below which a frame is
	// always silence, whatever the noise: about -48 dBFS. Default 128.
	SilenceThreshold float64
	// NoiseMargin is how far above the noise floor (the quietest frame of
	// the last NoiseWindow) a frame must be to count as voice, as a ratio
	// of RMS levels. Default 2.5 (8 dB).
	NoiseMargin float64
	// NoiseWindow is how far back the noise floor looks. Long enough to
	// span a pause between words, short enough to follow a change of
	// line. Default 1 s.
	NoiseWindow time.Duration

	// MinWordLength is the shortest run of voice that counts as a word
	// (Asterisk: min_word_length). Default 100 ms.
	MinWordLength time.Duration
	// BetweenWordsSilence is the shortest silence that separates two words
	// (Asterisk: between_words_silence). Default 60 ms.
	BetweenWordsSilence time.Duration

	// InitialSilence: no word by then gives up with Unsure: nobody spoke,
	// an agent had better say hello (Asterisk: initial_silence, where it
	// means Machine). Default 2.5 s.
	InitialSilence time.Duration
	// AfterGreetingSilence is the silence after the greeting that makes it
	// a person waiting for an answer (Asterisk: after_greeting_silence). It
	// must be longer than a recorded greeting's pauses between sentences
	// (up to about 0.5 s). Default 800 ms.
	AfterGreetingSilence time.Duration
	// A greeting is a machine's when, at a frame of voice (the speech goes
	// on), all three hold: it is MachineAfter or later since answer, the
	// greeting began MachineGreeting ago or more (pauses included), and it
	// holds MachineWords words (Asterisk: greeting and
	// maximum_number_of_words, which decide alone and much earlier).
	// MachineAfter is what keeps a person's sentence of greeting ("Yes,
	// this is Dana speaking", up to about 2 s) from looking like a machine
	// unless they started late. Defaults 2.5 s, 1.6 s, 3.
	MachineAfter    time.Duration
	MachineGreeting time.Duration
	MachineWords    int
	// TotalAnalysisTime is when the detector gives up with Unsure at the
	// latest (Asterisk: total_analysis_time). Default 3 s.
	TotalAnalysisTime time.Duration

	// Beep: a steady tone between BeepMinHz and BeepMaxHz for at least
	// BeepMinLength, with at least BeepPurity of the frame's energy at its
	// frequency. Defaults 400 Hz, 2000 Hz, 150 ms, 0.8.
	BeepMinHz, BeepMaxHz float64
	BeepMinLength        time.Duration
	BeepPurity           float64
	// BeepMaxLength: a tone still going on after this is taken as the beep
	// anyway (some machines hold it). Default 1.5 s.
	BeepMaxLength time.Duration
	// EndSilence is the silence that ends a machine's greeting when no
	// beep comes. Default 1.5 s.
	EndSilence time.Duration
	// PersonBefore: a greeting taken for a machine's that stops (a silence
	// of AfterGreetingSilence) before this time since answer was a person
	// who said a whole sentence and now waits; recorded greetings last
	// longer. BeepOrEnd reports it as CuePerson. Default 5 s.
	PersonBefore time.Duration
	// MaxDropWait gives up waiting for the beep or the end of the greeting
	// (time since answer). Default 40 s.
	MaxDropWait time.Duration
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		SilenceThreshold:     128,
		NoiseMargin:          2.5,
		NoiseWindow:          time.Second,
		MinWordLength:        100 * time.Millisecond,
		BetweenWordsSilence:  60 * time.Millisecond,
		InitialSilence:       2500 * time.Millisecond,
		AfterGreetingSilence: 800 * time.Millisecond,
		MachineAfter:         2500 * time.Millisecond,
		MachineGreeting:      1600 * time.Millisecond,
		MachineWords:         3,
		TotalAnalysisTime:    3 * time.Second,
		BeepMinHz:            400,
		BeepMaxHz:            2000,
		BeepMinLength:        150 * time.Millisecond,
		BeepPurity:           0.8,
		BeepMaxLength:        1500 * time.Millisecond,
		EndSilence:           1500 * time.Millisecond,
		PersonBefore:         5 * time.Second,
		MaxDropWait:          40 * time.Second,
	}
}

// withDefaults fills the zero fields from DefaultConfig and checks the
// rest.
func (c Config) withDefaults() (Config, error) {
	fields, defaults := reflect.ValueOf(&c).Elem(), reflect.ValueOf(DefaultConfig())
	for i := range fields.NumField() {
		if fields.Field(i).IsZero() {
			fields.Field(i).Set(defaults.Field(i))
		}
	}
	switch {
	case c.SilenceThreshold < 0 || c.NoiseMargin < 1:
		return c, fmt.Errorf("amd: silence threshold %v must be ≥ 0 and noise margin %v ≥ 1", c.SilenceThreshold, c.NoiseMargin)
	case c.NoiseWindow < frameLength || c.NoiseWindow > maxNoiseWindow:
		return c, fmt.Errorf("amd: noise window %v must be between %v and %v", c.NoiseWindow, frameLength, maxNoiseWindow)
	case c.MachineWords < 1:
		return c, fmt.Errorf("amd: machine words %d must be ≥ 1", c.MachineWords)
	case c.BeepMinHz >= c.BeepMaxHz || c.BeepMaxHz >= sampleRate/2:
		return c, fmt.Errorf("amd: beep band %v–%v Hz must be ascending and below %v Hz", c.BeepMinHz, c.BeepMaxHz, sampleRate/2)
	case c.BeepPurity <= 0 || c.BeepPurity > 1:
		return c, fmt.Errorf("amd: beep purity %v must be in (0, 1]", c.BeepPurity)
	}
	for _, v := range []time.Duration{c.MinWordLength, c.BetweenWordsSilence, c.InitialSilence, c.AfterGreetingSilence,
		c.MachineGreeting, c.MachineAfter, c.TotalAnalysisTime, c.BeepMinLength, c.BeepMaxLength, c.EndSilence, c.PersonBefore, c.MaxDropWait} {
		if v < 0 {
			return c, fmt.Errorf("amd: negative duration %v in config", v)
		}
	}
	return c, nil
}
