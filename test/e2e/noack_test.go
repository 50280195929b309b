package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// A caller that never ACKs the 2xx: after 64×T1 (RFC 3261 §13.3.1.4; T1 is
// 100 ms here, so 6.4 s) the switch ends the call with BYE on both sides,
// and the CDRs carry the time the call was actually up. It used to stay up
// until the media timeout, or for hours while the callee sent RTP.
func TestACallerThatNeverACKsIsHungUpAfter64T1(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{SIPExtra: "  t1: 100ms"})
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1", "-timeout", "30s")
	start := time.Now()
	res := sipp(t, sw.addr(), "-sf", scenario("uac_no_ack.xml"), "-s", "+14155550199", "-key", "caller", "1001",
		"-au", "1001", "-ap", "alice-secret", "-m", "1", "-p", strconv.Itoa(freePort(t)), "-timeout", "20s")
	if res.code != 0 {
		t.Fatalf("caller: sipp exit %d (no BYE from the switch?)\n%s", res.code, res.out)
	}
	if took := time.Since(start); took < 6*time.Second || took > 10*time.Second {
		t.Errorf("the switch hung up after %s, want 64×T1 = 6.4 s", took)
	}
	mustSucceed(t, "trunk (gets the BYE)", trunk)
	mustContain(t, sw.log.String(), "the caller never acknowledged the answer: hanging up")

	in, out := byDirection(t, sw.cdrs(2))
	for _, l := range []cdr{in, out} {
		if l.Disposition != "answered" || l.AnsweredAt == nil {
			t.Fatalf("leg: %+v", l)
		}
		up := l.EndedAt.Sub(*l.AnsweredAt)
		if up < 6*time.Second || up > 8*time.Second || l.BillableSecs < 7 || l.BillableSecs > 8 {
			t.Errorf("leg %s up %s, billed %d s; want the 6.4 s it was up", l.Direction, up, l.BillableSecs)
		}
	}
	if out.Charge == nil {
		t.Errorf("the trunk leg was not charged: %+v", out)
	}
	_, metrics := sw.api("GET", "/metrics", nil)
	mustContain(t, string(metrics), "dialtone_calls_unacknowledged_total 1")
	if strings.Contains(sw.log.String(), "panic") {
		t.Error("panic in the log")
	}
}
