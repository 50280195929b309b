package messaging

import "testing"

func TestAPINumbersAreE164(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+14155550100", "+14155550100"},
		{" +442071838750 ", "+442071838750"},
		{"14155550100", ""}, // phones' national forms are the switch's to normalize
		{"1001", ""},
		{"alice", ""},
		{"+1", ""},
	}
	for _, tt := range tests {
		got, ok := e164(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("e164(%q) = %q %v, want %q", tt.in, got, ok, tt.want)
		}
	}
}
