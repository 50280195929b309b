package phone

import "testing"

func TestCallingCodeAndMainCountry(t *testing.T) {
	for _, tt := range []struct {
		iso  string
		code string
	}{
		{"US", "1"}, {"CA", "1"}, {"GB", "44"}, {"de", "49"}, {"XX", ""}, {"", ""},
	} {
		if got := CallingCode(tt.iso); got != tt.code {
			t.Errorf("CallingCode(%q) = %q, want %q", tt.iso, got, tt.code)
		}
	}
	for _, tt := range []struct {
		code    int
		country string
	}{
		{1, "US"}, {44, "GB"}, {33, "FR"}, {800, ""}, {999, ""}, {0, ""},
	} {
		if got := MainCountry(tt.code); got != tt.country {
			t.Errorf("MainCountry(%d) = %q, want %q", tt.code, got, tt.country)
		}
	}
}
