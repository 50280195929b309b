package sip

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

func TestRegistrarBindings(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	r := newRegistrar()
	r.now = func() time.Time { return now }
	contact := func(port int, ttl time.Duration) binding {
		return binding{Contact: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: port}, Expires: now.Add(ttl)}
	}
	// One phone's REGISTERs: one Call-ID, a CSeq that grows.
	cseq := uint32(0)
	change := func(ch registerChange) registerChange { cseq++; ch.callID, ch.cseq = "phone", cseq; return ch }
	add := func(bs ...binding) registerChange { return change(registerChange{add: bs}) }
	r.update("1001", add(contact(5070, time.Hour), contact(5071, time.Minute)), 10)
	if n := len(r.lookup("1001")); n != 2 {
		t.Fatalf("a user keeps several contacts: got %d", n)
	}
	r.update("1001", add(contact(5070, 2*time.Hour)), 10)
	if n := len(r.lookup("1001")); n != 2 {
		t.Fatalf("re-registering a contact replaces it: got %d", n)
	}
	r.now = func() time.Time { return now.Add(30 * time.Minute) }
	if got := r.lookup("1001"); len(got) != 1 || got[0].Contact.Port != 5070 {
		t.Fatalf("an expired contact is not rung: %+v", got)
	}
	r.update("1001", change(registerChange{remove: []binding{contact(5070, 0)}}), 10)
	if n := len(r.lookup("1001")); n != 0 {
		t.Fatalf("expires=0 un-registers: %d left", n)
	}
	r.update("1002", add(contact(1, time.Hour), contact(2, time.Hour)), 10)
	r.update("1002", change(registerChange{removeAll: true}), 10)
	if r.count() != 0 || len(r.users()) != 0 {
		t.Fatalf("Contact: * removes everything: %d left", r.count())
	}
}

func TestAuthGuardBlocksAfterRepeatedFailures(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	g := newAuthGuard(3, time.Minute)
	g.now = func() time.Time { return now }
	blocked := func(host string) bool { return g.check(host, "", false) != notBlocked }
	for i := 0; i < 2; i++ {
		if len(g.fail("198.51.100.7", "", true)) > 0 {
			t.Fatal("blocked too early")
		}
	}
	if blocked("198.51.100.7") {
		t.Fatal("blocked before the limit")
	}
	if len(g.fail("198.51.100.7", "", true)) == 0 || !blocked("198.51.100.7") {
		t.Fatal("not blocked at the limit")
	}
	if blocked("198.51.100.8") {
		t.Fatal("another address is blocked too")
	}
	g.succeed("198.51.100.7", "1001")
	if !blocked("198.51.100.7") {
		t.Fatal("a success during the block must not lift it")
	}
	g.now = func() time.Time { return now.Add(2 * time.Minute) }
	if blocked("198.51.100.7") {
		t.Fatal("the block does not expire")
	}
}

func TestIdentityNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<sip:+14155550100@example.org>", "+14155550100"},
		{`"Alice" <tel:+14155550100>`, "+14155550100"},
		{"<sip:+14155550100@example.org;user=phone>", "+14155550100"},
		{"sip:+442071838750@x", "+442071838750"},
		{"<sip:alice@example.org>", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, _ := identityNumber(tt.in)
			if got != tt.want {
				t.Fatalf("identityNumber(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzIdentityNumber(f *testing.F) {
	f.Add("<sip:+14155550100@example.org>")
	f.Add(`"x" <tel:+1>`)
	f.Fuzz(func(t *testing.T, v string) {
		if got, ok := identityNumber(v); ok && got[0] != '+' {
			t.Fatalf("%q -> %q", v, got)
		}
	})
}
