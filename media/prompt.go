package media

import (
	"fmt"
	"io"
	"math"
	"os"
	"time"
)

// Prompts are 8 kHz mono 16-bit linear samples: what a Player sends and
// LoadPrompt reads. The generators below make the prompts voicemail and
// the recording announcement need without any asset file.

// GenerateTone returns a sine tone of freq hertz lasting d at amplitude
// (0 to 1 of full scale), with 5 ms fades so it does not click.
func GenerateTone(freq float64, d time.Duration, amplitude float64) []int16 {
	n := int(int64(d) / nsPerSample)
	out := make([]int16, n)
	amp := math.Max(0, math.Min(amplitude, 1)) * 32767
	fade := sampleRate * 5 / 1000
	for i := range out {
		g := 1.0
		if i < fade {
			g = float64(i) / float64(fade)
		} else if n-1-i < fade {
			g = float64(n-1-i) / float64(fade)
		}
		out[i] = int16(amp * g * math.Sin(2*math.Pi*freq*float64(i)/sampleRate))
	}
	return out
}

// GenerateSilence returns d of silence.
func GenerateSilence(d time.Duration) []int16 {
	return make([]int16, int(int64(d)/nsPerSample))
}

// GenerateBeep returns the record-after-the-tone beep: 1 kHz for 250 ms.
func GenerateBeep() []int16 { return GenerateTone(1000, 250*time.Millisecond, 0.4) }

// DefaultGreeting returns a greeting for a mailbox without a recorded one:
// three rising tones, a pause, then the beep (about 1.5 s). Play it, then
// record.
func DefaultGreeting() []int16 {
	var out []int16
	for _, f := range []float64{523.25, 659.25, 783.99} { // C5 E5 G5
		out = append(out, GenerateTone(f, 200*time.Millisecond, 0.3)...)
		out = append(out, GenerateSilence(50*time.Millisecond)...)
	}
	out = append(out, GenerateSilence(400*time.Millisecond)...)
	return append(out, GenerateBeep()...)
}

// RecordingWarningFreq is the frequency of the recording-warning beep:
// 1400 Hz, the tone telephone networks use to tell the parties of a call
// that it is being recorded.
const RecordingWarningFreq = 1400

// DefaultRecordingAnnouncement returns the announcement played to both
// parties when a call starts being recorded and no recorded announcement
// is configured: two 400 ms beeps of RecordingWarningFreq, 200 ms apart
// (1 s). A tone rather than speech, so it needs no asset file and reads
// the same in any language.
func DefaultRecordingAnnouncement() []int16 {
	beep := GenerateTone(RecordingWarningFreq, 400*time.Millisecond, 0.3)
	out := append([]int16(nil), beep...)
	out = append(out, GenerateSilence(200*time.Millisecond)...)
	return append(out, beep...)
}

// LoadPrompt reads a WAV prompt, which must be 8 kHz mono 16-bit PCM
// (ErrUnsupportedWAV otherwise; convert with `sox in.wav -r 8000 -c 1 -b 16 out.wav`).
func LoadPrompt(r io.Reader) ([]int16, error) {
	w, err := ReadWAV(r)
	if err != nil {
		return nil, fmt.Errorf("load prompt: %w", err)
	}
	if w.SampleRate != sampleRate || w.Channels != 1 {
		return nil, fmt.Errorf("load prompt: %w: %d Hz, %d channels (want 8000 Hz mono)", ErrUnsupportedWAV, w.SampleRate, w.Channels)
	}
	return w.Samples, nil
}

// LoadPromptFile reads a WAV prompt from a file (see LoadPrompt).
func LoadPromptFile(path string) ([]int16, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load prompt: %w", err)
	}
	defer f.Close()
	s, err := LoadPrompt(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
