package cputime

import "testing"

// Work on this goroutine shows in the process's CPU time.
func TestProcessCountsWork(t *testing.T) {
	start := Process()
	x := 0
	for x == 0 || Process() == start {
		for i := range 1_000_000 {
			x += i
		}
	}
	if Process() <= start {
		t.Fatalf("CPU time went from %v to %v", start, Process())
	}
	if PerOp(start, 0) != 0 {
		t.Error("PerOp with no ops should be 0")
	}
}
