package media

import (
	"bytes"
	"embed"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// The spoken prompts: short English phrases recorded once with espeak-ng
// by speech/generate.sh and embedded, so the switch can say a count
// ("you have two new messages") without a speech engine at run time.
//
//go:embed speech/*.wav
var speechFiles embed.FS

var (
	speechMu    sync.Mutex
	speechCache = map[string][]int16{}
)

// speechGap separates spoken words, as a person pauses between them.
const speechGap = 120 * time.Millisecond

// Say returns the named spoken phrases one after another, a short pause
// between them. Names are the files under speech/ without ".wav": the
// numbers "0" to "20", "many", "you-have", "no", "new-message",
// "new-messages", "saved-message", "saved-messages", "and", "deleted",
// "saved", "end". An unknown name wraps ErrUnknownPhrase.
func Say(names ...string) ([]int16, error) {
	var out []int16
	for i, name := range names {
		s, err := phrase(name)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out = append(out, GenerateSilence(speechGap)...)
		}
		out = append(out, s...)
	}
	return out, nil
}

// CountWord is the phrase that says n: "0" to "20", else "many".
func CountWord(n int) string {
	if n < 0 || n > 20 {
		return "many"
	}
	return strconv.Itoa(n)
}

func phrase(name string) ([]int16, error) {
	speechMu.Lock()
	defer speechMu.Unlock()
	if s, ok := speechCache[name]; ok {
		return s, nil
	}
	b, err := speechFiles.ReadFile("speech/" + name + ".wav")
	if err != nil {
		return nil, fmt.Errorf("say %q: %w", name, ErrUnknownPhrase)
	}
	s, err := LoadPrompt(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("say %q: %w", name, err)
	}
	speechCache[name] = s
	return s, nil
}
