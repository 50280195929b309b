package messaging

import (
	"strings"
	"testing"

	"github.com/dialtone/dialtone/config"
)

func TestNormalizeNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+14155550100", "+14155550100"},
		{"14155550100", "+14155550100"},
		{"+1 (415) 555-0100", "+14155550100"},
		{"00442071838750", "+442071838750"},
		{"011442071838750", "+442071838750"},
		{"1001", ""},
		{"alice", ""},
		{"+1", ""},
	}
	for _, tt := range tests {
		got, ok := normalizeNumber(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("normalizeNumber(%q) = %q %v, want %q", tt.in, got, ok, tt.want)
		}
	}
}

func FuzzNormalizeNumber(f *testing.F) {
	for _, s := range []string{"+14155550100", "14155550100", "00 44 20 7183 8750", "1001", "+", "", "+1 (415) 555-0100"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := normalizeNumber(s)
		if !ok {
			return
		}
		// Whatever is accepted is E.164 the config would accept as is.
		if again, err := config.NormalizeE164(got); err != nil || again != got || !strings.HasPrefix(got, "+") {
			t.Fatalf("normalizeNumber(%q) = %q, not E.164 (%v)", s, got, err)
		}
	})
}
