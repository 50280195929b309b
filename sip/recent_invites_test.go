package sip

import (
	"testing"
	"time"
)

func TestRecentInvitesRememberForOneToTwoSpans(t *testing.T) {
	r := newRecentInvites()
	t0 := time.Unix(1000, 0)
	inv := &inviteHead{}
	if !inv.read([]byte(newInvite)) {
		t.Fatal("the INVITE is not read")
	}
	other := *inv
	other.callID = []byte("call-2@127.0.0.1")
	r.add(r.key(inv), t0)
	tests := []struct {
		name  string
		inv   *inviteHead
		after time.Duration
		want  bool
	}{
		{"the same INVITE at once", inv, 0, true},
		{"another Call-ID", &other, 0, false},
		{"within the span", inv, inviteMemory - time.Millisecond, true},
		{"one span on", inv, inviteMemory, true},
		{"two spans on", inv, 2 * inviteMemory, false},
	}
	for _, tt := range tests {
		if got := r.has(r.key(tt.inv), t0.Add(tt.after)); got != tt.want {
			t.Errorf("%s: remembered %t, want %t", tt.name, got, tt.want)
		}
	}
}

// A flood of distinct INVITEs fills a generation up to its bound and no
// further: the memory stays bounded whatever a sender invents.
func TestRecentInvitesAreBounded(t *testing.T) {
	r := newRecentInvites()
	now := time.Unix(1000, 0)
	for k := range uint64(maxRecentInvites + 1000) {
		r.add(k, now)
	}
	if len(r.cur) != maxRecentInvites {
		t.Fatalf("%d remembered, want the bound %d", len(r.cur), maxRecentInvites)
	}
	if !r.has(0, now) || r.has(maxRecentInvites+999, now) {
		t.Fatal("the first ones are kept, those past the bound are not")
	}
}
