package billing

import (
	"errors"
	"fmt"
	"runtime"
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

// The writer collects one way whether it is held back or not: without a
// hold it takes what is queued and no more; held, it also waits for what
// comes until the hold fires; either way a full batch or a closed queue
// ends it.
func TestCDRWriterCollectsWithOrWithoutAHold(t *testing.T) {
	rec := func(id string) writeReq { return writeReq{cdr: CDR{LegID: id}} }
	tests := []struct {
		name   string
		queued int  // records in the queue before collecting
		held   bool // collect under a hold
		later  int  // records sent while held, before the hold fires
		close  bool // the queue is closed after what is queued
		want   int  // records collected, the first included
	}{
		{name: "not held: what is queued", queued: 3, want: 4},
		{name: "not held, nothing queued: the first alone", want: 1},
		{name: "held: what is queued and what comes until the hold", queued: 2, held: true, later: 3, want: 6},
		{name: "held, nothing comes: the first alone", held: true, want: 1},
		{name: "a closed queue ends it", queued: 2, close: true, want: 3},
		{name: "a closed queue ends a hold", queued: 1, held: true, close: true, want: 2},
		{name: "a full batch ends it", queued: maxBatch + 5, want: maxBatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &CDRStore{queue: make(chan writeReq, tt.queued+tt.later)}
			for i := range tt.queued {
				s.queue <- rec(fmt.Sprint("q", i))
			}
			if tt.close {
				close(s.queue)
			}
			var hold chan time.Time
			if tt.held {
				hold = make(chan time.Time)
				go func() {
					for i := range tt.later {
						s.queue <- rec(fmt.Sprint("l", i))
					}
					if !tt.close {
						// The hold fires only once what came was taken:
						// the queue is empty (its buffer has room for all).
						for len(s.queue) > 0 {
							runtime.Gosched()
						}
						hold <- time.Now()
					}
				}()
			}
			got := s.collect([]writeReq{rec("first")}, hold) // nil unless held
			if len(got) != tt.want {
				t.Fatalf("collected %d, want %d", len(got), tt.want)
			}
		})
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
