package sip

import "testing"

func TestSameSIPURI(t *testing.T) {
	tests := []struct {
		digest, request string
		same            bool
	}{
		{"sip:1002@example.org", "sip:1002@example.org", true},
		{"sip:1002@Example.ORG", "sip:1002@example.org", true},
		{"SIP:1002@example.org", "sip:1002@example.org", true},
		{"sip:1002@example.org", "sip:1002@example.org:5060", true},
		{"sips:1002@example.org", "sips:1002@example.org:5061", true},
		{"sip:1002@example.org;transport=tcp;user=phone", "sip:1002@example.org;user=phone;transport=TCP", true},
		{"sip:1002@example.org;transport=udp", "sip:1002@example.org", true},
		{"sip:%2B14155550100@example.org", "sip:+14155550100@example.org", true},
		{"sip:[2001:db8::1]:5070", "sip:[2001:DB8::1]:5070", true},
		{"sip:1002@example.org", "sip:1003@example.org", false},
		{"sip:alice@example.org", "sip:Alice@example.org", false}, // the user part is case-sensitive
		{"sip:1002@example.org", "sip:1002@example.net", false},
		{"sip:1002@example.org:5070", "sip:1002@example.org", false},
		{"sips:1002@example.org", "sip:1002@example.org", false},
		{"sip:example.org", "sip:1002@example.org", false},
		{"tel:+14155550100", "tel:+14155550100", true},
		{"tel:+14155550100", "sip:+14155550100@example.org", false},
		{"", "sip:1002@example.org", false},
		{"garbage", "sip:1002@example.org", false},
	}
	for _, tt := range tests {
		if got := sameSIPURI(tt.digest, tt.request); got != tt.same {
			t.Errorf("sameSIPURI(%q, %q) = %v, want %v", tt.digest, tt.request, got, tt.same)
		}
	}
}

func FuzzSameSIPURI(f *testing.F) {
	f.Add("sip:1002@example.org;transport=udp", "sip:1002@example.org:5060")
	f.Add("sips:[::1]:5061", "tel:+1")
	f.Fuzz(func(t *testing.T, a, b string) {
		// Never panics, and is symmetric: the order of the two says nothing.
		if sameSIPURI(a, b) != sameSIPURI(b, a) {
			t.Fatalf("not symmetric: %q %q", a, b)
		}
	})
}
