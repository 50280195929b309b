package sip

import (
	"testing"
	"time"
)

func TestMailboxOrderNewFirstEachOldestFirst(t *testing.T) {
	at := func(min int) time.Time { return time.Date(2026, 1, 1, 9, min, 0, 0, time.UTC) }
	msgs := []VoicemailMessage{
		{ID: "old-heard", Time: at(0), Heard: true},
		{ID: "new-2", Time: at(30)},
		{ID: "heard-2", Time: at(20), Heard: true},
		{ID: "new-1", Time: at(10)},
	}
	got := mailboxOrder(msgs)
	want := []string{"new-1", "new-2", "old-heard", "heard-2"}
	for i, m := range got {
		if m.ID != want[i] {
			t.Fatalf("order %v, want %v", ids(got), want)
		}
	}
	if msgs[0].ID != "old-heard" {
		t.Fatal("mailboxOrder changed its argument")
	}
}

func ids(msgs []VoicemailMessage) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.ID)
	}
	return out
}

func TestMailboxSummarySaysTheCounts(t *testing.T) {
	tests := []struct {
		name  string
		msgs  []VoicemailMessage
		wantS float64 // at least this many seconds of speech
	}{
		{"empty", nil, 1},
		{"one new", []VoicemailMessage{{}}, 1},
		{"new and saved", []VoicemailMessage{{}, {}, {Heard: true}}, 2},
	}
	for _, tc := range tests {
		if got := float64(len(mailboxSummary(tc.msgs))) / 8000; got < tc.wantS {
			t.Errorf("%s: %.2f s of summary, want at least %.1f", tc.name, got, tc.wantS)
		}
	}
}
