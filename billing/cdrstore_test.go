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
