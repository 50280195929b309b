package billing

import (
	"errors"
	"testing"
	"time"
)

// A leg that ends after the store closed (a call the shutdown could not
// wait for) must get an error, not panic the process and lose every CDR
// still in flight; its CDR is then recovered as interrupted on restart.
func TestCDRStoreAfterCloseRefusesInsteadOfPanicking(t *testing.T) {
	db := openDB(t, "")
	s, err := OpenCDRStore(db, nil, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	now := Millis(time.Now())
	written := CDR{LegID: "before", CallID: "c", CreatedAt: now, EndedAt: now, Disposition: Answered}
	if err := s.Ended(&written); err != nil {
		t.Fatal(err)
	}
	open := CDR{LegID: "late", CallID: "c", CreatedAt: now}
	s.Started(&open)
	s.Close()
	s.Close() // twice: harmless

	s.Started(&CDR{LegID: "after", CallID: "c", CreatedAt: now})
	late := open
	late.EndedAt, late.Disposition = now, Answered
	if err := s.Ended(&late); !errors.Is(err, ErrCDRStoreClosed) {
		t.Fatalf("Ended after Close: %v, want ErrCDRStoreClosed", err)
	}
	if c, err := GetCDR(db, "before"); err != nil || c == nil {
		t.Fatalf("the CDR written before Close: %v %v", c, err)
	}

	again, err := OpenCDRStore(db, nil, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	c, err := GetCDR(db, "late")
	if err != nil || c == nil || c.Disposition != Interrupted {
		t.Fatalf("the leg left open: %+v %v, want it recovered as interrupted", c, err)
	}
}

// A busy writer spaces its commits commitGap apart; a lone record, or
// the first after a quiet spell, is committed at once.
func TestCDRWriterHoldsBackOnlyWhenBusy(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		records int
		since   time.Duration // since the last commit began
		want    time.Duration
	}{
		{"after a commit of many records, the rest of the gap", 80, 5 * time.Millisecond, commitGap - 5*time.Millisecond},
		{"after two records, the rest of the gap", 2, 0, commitGap},
		{"after one record, at once", 1, time.Millisecond, 0},
		{"nothing committed yet, at once", 0, 0, 0},
		{"the gap is over, at once", 80, commitGap, 0},
		{"quiet for a while, at once", 80, time.Minute, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := holdBack(t0, tt.records, t0.Add(tt.since)); got != tt.want {
				t.Errorf("holdBack = %v, want %v", got, tt.want)
			}
		})
	}
}
