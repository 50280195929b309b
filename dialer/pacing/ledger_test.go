package pacing

import (
	"encoding/json"
	"testing"
	"time"
)

func TestLedgerRolling30Days(t *testing.T) {
	l, err := NewAbandonLedger(Window30Days, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC)
	for i := range 100 {
		l.RecordHuman(start.Add(time.Duration(i) * time.Minute))
	}
	l.RecordAbandon(start)
	l.RecordAbandon(start.Add(time.Hour))
	later := start.Add(10 * 24 * time.Hour)
	for range 100 {
		l.RecordHuman(later)
	}
	l.RecordAbandon(later)

	tests := []struct {
		name              string
		now               time.Time
		humans, abandoned int
	}{
		{"all inside", later, 200, 3},
		{"first day still inside 29 days on", start.Add(29 * 24 * time.Hour), 200, 3},
		{"first hour left, second still in", start.Add(30*24*time.Hour + 10*time.Minute), 170, 2},
		{"first day gone", start.Add(31 * 24 * time.Hour), 100, 1},
		{"all gone", later.Add(31 * 24 * time.Hour), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, a := l.Counts(tt.now)
			if h != tt.humans || a != tt.abandoned {
				t.Fatalf("counts at %s = %d humans, %d abandoned; want %d, %d", tt.now, h, a, tt.humans, tt.abandoned)
			}
		})
	}
	if got := l.Rate(later); got != 0.015 {
		t.Fatalf("rate = %v, want 0.015", got)
	}
}

func TestLedgerCalendarDayInTheCampaignsZone(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	l, err := NewAbandonLedger(WindowCalendarDay, london)
	if err != nil {
		t.Fatal(err)
	}
	// Summer: London is UTC+1, so 23:30 UTC is already the next day there.
	evening := time.Date(2026, 7, 1, 22, 30, 0, 0, time.UTC) // 23:30 in London
	for range 50 {
		l.RecordHuman(evening)
	}
	l.RecordAbandon(evening)
	if h, a := l.Counts(evening.Add(20 * time.Minute)); h != 50 || a != 1 {
		t.Fatalf("before London's midnight: %d humans %d abandoned, want 50, 1", h, a)
	}
	afterMidnight := time.Date(2026, 7, 1, 23, 30, 0, 0, time.UTC) // 00:30 on the 2nd in London
	l.RecordHuman(afterMidnight)
	if h, a := l.Counts(afterMidnight); h != 1 || a != 0 {
		t.Fatalf("after London's midnight: %d humans %d abandoned, want the new day only (1, 0)", h, a)
	}
}

func TestLedgerSurvivesRestart(t *testing.T) {
	l, _ := NewAbandonLedger(Window30Days, nil)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for i := range 300 {
		l.RecordHuman(now.Add(time.Duration(i) * 5 * time.Minute))
		if i%40 == 0 {
			l.RecordAbandon(now.Add(time.Duration(i) * 5 * time.Minute))
		}
	}
	end := now.Add(300 * 5 * time.Minute)
	raw, err := json.Marshal(l.State(end))
	if err != nil {
		t.Fatal(err)
	}
	var st LedgerState
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	restored, err := RestoreAbandonLedger(st, nil)
	if err != nil {
		t.Fatal(err)
	}
	wh, wa := l.Counts(end)
	if h, a := restored.Counts(end); h != wh || a != wa || wh != 300 || wa != 8 {
		t.Fatalf("restored counts %d/%d, before the restart %d/%d (want 300/8)", h, a, wh, wa)
	}
	restored.RecordAbandon(end)
	if h, a := restored.Counts(end); h != 300 || a != 9 {
		t.Fatalf("after the restart the ledger keeps counting: %d/%d, want 300/9", h, a)
	}
}

func TestLedgerRejectsBadState(t *testing.T) {
	bad := []LedgerState{
		{Window: "7d"},
		{Window: Window30Days, Buckets: []LedgerBucket{{Start: time.Unix(0, 0), Humans: 1, Abandoned: 2}}},
		{Window: Window30Days, Buckets: []LedgerBucket{{Start: time.Unix(0, 0), Humans: -1}}},
	}
	for _, st := range bad {
		if _, err := RestoreAbandonLedger(st, nil); err == nil {
			t.Errorf("RestoreAbandonLedger(%+v) accepted", st)
		}
	}
	if w, err := ParseWindow(""); err != nil || w != Window30Days {
		t.Errorf("ParseWindow(\"\") = %q, %v; want the 30d default", w, err)
	}
}
