package amd

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/media"
)

// The corpus: people answering and voicemail greetings, spoken by
// espeak-ng with varied voices, speeds and pitches, band-limited and
// resampled to 8 kHz by sox, over white or pink line noise (sox), with the
// machine's beep (sox), and coded through G.711 µ-law or A-law. Each
// sample is a pure function of (corpusSeed, index); generated samples are
// cached under the user's cache directory by a hash of their recipe and
// the tools' versions, so reruns read them back.

const (
	corpusSeed    = 20261202
	corpusVersion = "amd-corpus-1" // bump when the recipe changes
)

// recipe is everything that makes one sample.
type recipe struct {
	Index    int
	Machine  bool
	Hard     bool // a person who says a whole sentence
	Voice    string
	Speed    int // words per minute
	Pitch    int
	Text     string
	Lead     time.Duration // silence between answer and speech
	PeakDB   float64       // speech peak level, dBFS
	Noise    string        // sox synth type: whitenoise, pinknoise
	NoiseVol float64
	Law      string // "ulaw" or "alaw"
	BeepHz   float64
	BeepGap  time.Duration // silence between greeting and beep
	BeepLen  time.Duration
	BeepVol  float64
	Tail     time.Duration // line noise after everything
}

// sample is a generated recording with its ground truth (sample offsets).
type sample struct {
	recipe
	pcm                    []int16
	speechStart, speechEnd int
	beepStart, beepEnd     int // 0: no beep
}

var (
	names    = []string{"Dana", "Sam", "Chris", "Pat", "Alex", "Jordan", "Morgan", "Taylor", "Robin", "Jamie"}
	surnames = []string{"Smith", "Garcia", "Nguyen", "Miller", "Okafor", "Larsen", "Moreau", "Kowalski"}
	voices   = []string{"en-us", "en-gb", "en-us+f3", "en-gb+f3", "en-us+m3", "en-gb+f2", "en-us+f4", "en-gb-x-rp", "en-gb-scotland+m7", "en-029+f5"}

	humanShort = []string{"Hello?", "Hello.", "Hi.", "Yes?", "Hello, who's this?", "Yeah, hello?", "Hi there.",
		"Good morning.", "Speaking.", "Hello, {name} speaking.", "Yes, this is {name} speaking.", "Hi, this is {name}.",
		"Yep?", "Hello, yes?", "{name} here.", "Hey.", "Hello, good afternoon."}
	humanLong = []string{"Hello, this is {name} speaking, who is this?", "Good afternoon, {surname} residence, {name} speaking.",
		"Hello, yes, this is {name}, who's calling please?", "Hi, this is {name}, how can I help you?",
		"Hello? Hello, is anybody there?", "Yes, hello, {name} {surname} speaking, what can I do for you?"}

	machineOpen = []string{"Hi, you've reached {name}.", "Hello, you have reached the voicemail of {name} {surname}.",
		"The person you are trying to reach is not available.", "Thank you for calling {surname} and associates.",
		"Hey, it's {name}.", "Hi, this is {name}.", "You have reached five five five, two one two three.",
		"Hello, this is {name} {surname}."}
	machineMiddle = []string{"I'm not available to take your call right now.", "I can't come to the phone at the moment.",
		"I'm either on the other line or away from my desk.", "Sorry I missed you.",
		"Our office hours are Monday to Friday, nine to five.", "If this is urgent, please call my mobile instead.",
		"I am out of the office until Monday the fourteenth, with limited access to email.",
		"For sales, press one, or stay on the line.", "Your call is important to me.",
		"I check my messages regularly, so don't worry.", "If you are calling about the delivery, please send a text message."}
	machineClose = []string{"Please leave your name, number and a short message after the tone, and I'll get back to you as soon as I can.",
		"Leave a message after the beep.", "Thanks, and have a great day.", "Please leave a message.",
		"Leave your details and I'll call you back."}
	beepFreqs = []float64{1000, 1000, 1000, 1000, 850, 1400, 440, 1900, 600}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.Int64N(int64(hi-lo)/int64(time.Millisecond)+1))*time.Millisecond
}

// recipeFor draws sample i: even indexes are people, odd ones machines.
func recipeFor(i int) recipe {
	// Streams seeded from a hash: PCG streams from neighbouring seeds
	// start out correlated.
	seed := sha256.Sum256(fmt.Appendf(nil, "%d/%d", corpusSeed, i))
	r := rand.New(rand.NewChaCha8(seed))
	fill := func(s string) string {
		return strings.NewReplacer("{name}", pick(r, names), "{surname}", pick(r, surnames)).Replace(s)
	}
	rc := recipe{
		Index:    i,
		Machine:  i%2 == 1,
		Voice:    pick(r, voices),
		Speed:    130 + r.IntN(61),
		Pitch:    30 + r.IntN(41),
		PeakDB:   -1 - 9*r.Float64(),
		Noise:    pick(r, []string{"whitenoise", "pinknoise"}),
		NoiseVol: 0.01 + 0.04*r.Float64(),
		Law:      pick(r, []string{"ulaw", "alaw"}),
	}
	if !rc.Machine {
		rc.Hard = i%20 == 10 // one person in ten
		if rc.Hard {
			rc.Text = fill(pick(r, humanLong))
		} else {
			rc.Text = fill(pick(r, humanShort))
		}
		// Some say hello right away, others after a moment (a ring).
		if r.IntN(2) == 0 {
			rc.Lead = between(r, 100*time.Millisecond, 400*time.Millisecond)
		} else {
			rc.Lead = between(r, 600*time.Millisecond, 1500*time.Millisecond)
		}
		rc.Tail = between(r, 2500*time.Millisecond, 4*time.Second)
		return rc
	}
	// A greeting of 8–25 s: sentences until enough words at this speed.
	words := float64(8+r.IntN(18)) * float64(rc.Speed) / 60 * 0.85
	parts := []string{fill(pick(r, machineOpen))}
	for _, k := range r.Perm(len(machineMiddle)) {
		if float64(len(strings.Fields(strings.Join(parts, " ")))) >= words-12 {
			break
		}
		parts = append(parts, fill(machineMiddle[k]))
	}
	parts = append(parts, pick(r, machineClose))
	rc.Text = strings.Join(parts, " ")
	// Machines often start after a short delay, some after a longer one.
	if r.IntN(5) > 0 {
		rc.Lead = between(r, 300*time.Millisecond, 800*time.Millisecond)
	} else {
		rc.Lead = between(r, 800*time.Millisecond, 1500*time.Millisecond)
	}
	if r.IntN(10) > 0 { // one in ten has no beep
		rc.BeepHz = pick(r, beepFreqs)
		rc.BeepGap = between(r, 200*time.Millisecond, 800*time.Millisecond)
		rc.BeepLen = between(r, 300*time.Millisecond, 800*time.Millisecond)
		rc.BeepVol = 0.15 + 0.35*r.Float64()
	}
	rc.Tail = between(r, 2*time.Second, 3*time.Second)
	return rc
}

// corpusTools skips (or fails in CI) without espeak-ng and sox.
func corpusTools(t testing.TB) string {
	t.Helper()
	var versions []string
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required in CI (see .ci/run)", tool)
			}
			t.Skipf("%s not installed: the AMD corpus needs it", tool)
		}
		out, _ := exec.Command(tool, "--version").CombinedOutput()
		versions = append(versions, strings.TrimSpace(string(out)))
	}
	return strings.Join(versions, "|")
}

// loadCorpus returns samples [0, n), generating the missing ones with two
// workers.
func loadCorpus(t testing.TB, n int) []sample {
	t.Helper()
	versions := corpusTools(t)
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "dialtone", "amd-corpus")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out := make([]sample, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 2 {
		wg.Go(func() {
			for i := range next {
				out[i], errs[i] = cachedSample(dir, versions, recipeFor(i))
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func cachedSample(dir, versions string, rc recipe) (sample, error) {
	key, _ := json.Marshal(rc)
	sum := sha256.Sum256([]byte(corpusVersion + "\n" + versions + "\n" + string(key)))
	path := filepath.Join(dir, hex.EncodeToString(sum[:16])+".pcm")
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		s := sample{recipe: rc}
		s.speechStart = int(binary.LittleEndian.Uint64(b[0:]))
		s.speechEnd = int(binary.LittleEndian.Uint64(b[8:]))
		s.beepStart = int(binary.LittleEndian.Uint64(b[16:]))
		s.beepEnd = int(binary.LittleEndian.Uint64(b[24:]))
		s.pcm = fromLE(b[32:])
		return s, nil
	}
	s, err := generate(rc)
	if err != nil {
		return s, fmt.Errorf("corpus sample %d: %w", rc.Index, err)
	}
	var hdr [32]byte
	binary.LittleEndian.PutUint64(hdr[0:], uint64(s.speechStart))
	binary.LittleEndian.PutUint64(hdr[8:], uint64(s.speechEnd))
	binary.LittleEndian.PutUint64(hdr[16:], uint64(s.beepStart))
	binary.LittleEndian.PutUint64(hdr[24:], uint64(s.beepEnd))
	// A file of its own, renamed into place: tests in other processes may
	// be writing the same sample.
	tmp, err := os.CreateTemp(dir, "sample-*.tmp")
	if err != nil {
		return s, err
	}
	_, werr := tmp.Write(append(hdr[:], le(s.pcm)...))
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return s, fmt.Errorf("caching corpus sample %d: %w", rc.Index, werr)
	}
	return s, os.Rename(tmp.Name(), path)
}

// soxRaw runs sox writing 8 kHz mono 16-bit raw PCM to stdout.
func soxRaw(in []string, effects ...string) ([]int16, error) {
	args := append(append([]string{"-R"}, in...), append([]string{"-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", "-"}, effects...)...)
	var stderr bytes.Buffer
	cmd := exec.Command("sox", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("sox %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return fromLE(out), nil
}

func generate(rc recipe) (sample, error) {
	s := sample{recipe: rc}
	wav, err := os.CreateTemp("", "amd-*.wav")
	if err != nil {
		return s, err
	}
	wav.Close()
	defer os.Remove(wav.Name())
	if out, err := exec.Command("espeak-ng", "-v", rc.Voice, "-s", fmt.Sprint(rc.Speed), "-p", fmt.Sprint(rc.Pitch),
		"-w", wav.Name(), rc.Text).CombinedOutput(); err != nil {
		return s, fmt.Errorf("espeak-ng: %w: %s", err, out)
	}
	// The telephone band, then the peak level.
	speech, err := soxRaw([]string{wav.Name()}, "sinc", "300-3400", "gain", "-n", fmt.Sprintf("%.2f", rc.PeakDB))
	if err != nil {
		return s, err
	}
	speech = trimQuiet(speech)
	pcm := make([]int16, samplesIn(rc.Lead), 20*sampleRate)
	s.speechStart = len(pcm)
	pcm = append(pcm, speech...)
	s.speechEnd = len(pcm)
	if rc.BeepHz > 0 {
		beep, err := soxRaw([]string{"-n"}, "synth", fmt.Sprintf("%.3f", rc.BeepLen.Seconds()), "sine", fmt.Sprint(rc.BeepHz),
			"vol", fmt.Sprintf("%.3f", rc.BeepVol))
		if err != nil {
			return s, err
		}
		pcm = append(pcm, make([]int16, samplesIn(rc.BeepGap))...)
		s.beepStart = len(pcm)
		pcm = append(pcm, beep...)
		s.beepEnd = len(pcm)
	}
	pcm = append(pcm, make([]int16, samplesIn(rc.Tail))...)
	noise, err := soxRaw([]string{"-n"}, "synth", fmt.Sprintf("%.3f", samplesDuration(len(pcm)).Seconds()+0.1), rc.Noise,
		"vol", fmt.Sprintf("%.4f", rc.NoiseVol))
	if err != nil {
		return s, err
	}
	for i := range pcm {
		v := int32(pcm[i])
		if i < len(noise) {
			v += int32(noise[i])
		}
		pcm[i] = g711(rc.Law, int16(max(-32768, min(32767, v))))
	}
	s.pcm = pcm
	return s, nil
}

// g711 codes a sample and decodes it again, as it crosses the network.
func g711(law string, v int16) int16 {
	if law == "alaw" {
		return media.ALawToLinear(media.LinearToALaw(v))
	}
	return media.ULawToLinear(media.LinearToULaw(v))
}

// trimQuiet drops the synthesizer's leading and trailing near-silence, so
// the ground truth's speech start and end are where the voice is.
func trimQuiet(pcm []int16) []int16 {
	const quiet = 100
	loud := func(v int16) bool { return math.Abs(float64(v)) >= quiet }
	start, end := 0, len(pcm)
	for start < end && !loud(pcm[start]) {
		start++
	}
	for end > start && !loud(pcm[end-1]) {
		end--
	}
	return pcm[start:end]
}

func fromLE(b []byte) []int16 {
	pcm := make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return pcm
}

// TestCorpusIsDeterministic: a sample is a function of its index (the
// cache relies on it), and generating it twice gives the same audio.
func TestCorpusIsDeterministic(t *testing.T) {
	corpusTools(t)
	for _, i := range []int{3, 10} { // a machine and a person with a whole sentence
		if a, b := recipeFor(i), recipeFor(i); a != b {
			t.Fatalf("recipe %d differs between calls: %+v, %+v", i, a, b)
		}
		a, err := generate(recipeFor(i))
		if err != nil {
			t.Fatal(err)
		}
		b, err := generate(recipeFor(i))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.pcm, b.pcm) || a.speechStart != b.speechStart || a.speechEnd != b.speechEnd || a.beepEnd != b.beepEnd {
			t.Fatalf("sample %d generated twice differs", i)
		}
	}
}
