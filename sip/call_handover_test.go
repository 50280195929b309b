package sip

import (
	"bytes"
	"context"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

// An answered call waits for its end on a goroutine of its own, not on
// the stack sipgo's handler grew while setting the call up (its frames,
// handleInvite's and run's stay with that goroutine): parked in waitEnd
// with a few small frames, its stack stays at 2 KB, where the handler's
// would be 8 KB.
func TestAnAnsweredCallWaitsOnAGoroutineOfItsOwn(t *testing.T) {
	rig := newCallRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := rig.answeredCall(ctx, rig.sw.Addr("udp"), "+14155550199")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = d.Bye(ctx); d.Close() }()

	var waiting []string
	for ctx.Err() == nil {
		waiting = goroutinesIn("calls.(*Call).waitEnd(")
		if len(waiting) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(waiting) != 1 {
		t.Fatalf("%d goroutines in the answered call's waitEnd, want 1", len(waiting))
	}
	frames, _, _ := strings.Cut(waiting[0], "created by") // who started it is not on its stack
	if strings.Contains(frames, "github.com/emiago/sipgo") || strings.Contains(frames, "handleInvite(") {
		t.Errorf("the answered call waits on the INVITE handler's goroutine:\n%s", waiting[0])
	}
}

// goroutinesIn returns the stacks of the goroutines with fn in them.
func goroutinesIn(fn string) []string {
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 2)
	var found []string
	for _, g := range strings.Split(buf.String(), "\n\n") {
		if strings.Contains(g, fn) {
			found = append(found, g)
		}
	}
	return found
}
