package voicemail

import (
	"slices"
	"testing"
)

// The summary counts the new messages, and the saved ones when there are
// some, in the singular for one and "many" past twenty.
func TestSummarySaysTheCounts(t *testing.T) {
	msgs := func(fresh, saved int) []Message {
		var out []Message
		for range fresh {
			out = append(out, Message{})
		}
		for range saved {
			out = append(out, Message{Heard: true})
		}
		return out
	}
	tests := []struct {
		name         string
		fresh, saved int
		words        []string
	}{
		{"empty", 0, 0, []string{"you-have", "no", "new-messages"}},
		{"one new", 1, 0, []string{"you-have", "1", "new-message"}},
		{"two new", 2, 0, []string{"you-have", "2", "new-messages"}},
		{"many new", 21, 0, []string{"you-have", "many", "new-messages"}},
		{"only saved", 0, 1, []string{"you-have", "no", "new-messages", "and", "1", "saved-message"}},
		{"new and saved", 2, 3, []string{"you-have", "2", "new-messages", "and", "3", "saved-messages"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summaryWords(msgs(tt.fresh, tt.saved)); !slices.Equal(got, tt.words) {
				t.Fatalf("%v, want %v", got, tt.words)
			}
			// Every word is one the media package can say.
			if got, want := summary(quiet, msgs(tt.fresh, tt.saved)), say(t, tt.words...); !slices.Equal(got, want) {
				t.Fatalf("spoken summary of %d samples, want %d", len(got), len(want))
			}
		})
	}
}
