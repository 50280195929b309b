package sip

import (
	"errors"
	"strconv"
	"testing"

	"github.com/emiago/sipgo/sip"
	"github.com/emiago/sipgo/siptest"

	"github.com/dialtone/dialtone/calls"
)

func TestAdmissionBoundsCallsBeingSetUp(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		steps string // a: acquire (admitted), r: refused, 1..9: release that slot (1 = the first admitted), R: release it again
		left  int64
	}{
		{name: "up to the limit is admitted, then refused", limit: 2, steps: "aar", left: 2},
		{name: "a released slot admits the next call", limit: 2, steps: "aar1ar", left: 2},
		{name: "releasing twice frees one place", limit: 1, steps: "a1R1ar", left: 1},
		{name: "no limit admits everything", limit: 0, steps: "aaaaa", left: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAdmission(tt.limit)
			var slots []*setupSlot
			for i, step := range tt.steps {
				switch step {
				case 'a', 'r':
					s := a.acquireFor(false)
					if admitted := s != nil; admitted != (step == 'a') {
						t.Fatalf("step %d: admitted %t, want %t (%d setting up)", i, admitted, step == 'a', a.settingUp())
					}
					if s != nil {
						slots = append(slots, s)
					}
				case 'R':
					slots[0].release()
				default:
					n, _ := strconv.Atoi(string(step))
					slots[n-1].release()
				}
			}
			if got := a.settingUp(); got != tt.left {
				t.Errorf("setting up %d, want %d", got, tt.left)
			}
		})
	}
}

// At the limit a new INVITE gets 503 with Retry-After before any
// expensive work: no digest challenge (407) is computed for it. Once a
// place frees up, the next INVITE goes on to authentication.
func TestInviteOverTheSetupLimitIsRefusedBeforeAuthentication(t *testing.T) {
	sw := newStatelessTestSwitch(t, "  max_setup_calls: 1\n")
	busy := sw.admission.acquireFor(false) // a call being set up

	answer := func() *sip.Response {
		t.Helper()
		req := phoneRequest(sip.INVITE) // to 1002
		req.Recipient.User = "1002"
		req.To().Address.User = "1002"
		tx := siptest.NewServerTxRecorder(req)
		sw.handleInvite(req, tx)
		res := tx.Result()
		if len(res) != 1 {
			t.Fatalf("want one response, got %v", res)
		}
		return res[0]
	}

	res := answer()
	if res.StatusCode != 503 || res.GetHeader("Retry-After") == nil {
		t.Fatalf("over the limit: %s, want 503 with Retry-After", res.StartLine())
	}
	if n, _ := strconv.Atoi(res.GetHeader("Retry-After").Value()); n < 1 || n > 4 {
		t.Errorf("Retry-After %q, want 1 to 4 seconds", res.GetHeader("Retry-After").Value())
	}
	if got := counterValue(t, sw.metrics.Overload); got != 1 {
		t.Errorf("refusals counted %v, want 1", got)
	}
	if got := sw.admission.settingUp(); got != 1 {
		t.Errorf("a refused INVITE holds a place: %d setting up", got)
	}

	busy.release()
	if res := answer(); res.StatusCode != 407 {
		t.Fatalf("under the limit: %s, want the digest challenge", res.StartLine())
	}
	if got := sw.admission.settingUp(); got != 0 {
		t.Errorf("the challenged INVITE kept its place: %d setting up", got)
	}
}

// A leg the engine places (the dialer's) meets the same limit as a
// phone's INVITE: refused with calls.ErrOverloaded (and counted) while
// every place is taken, admitted once one frees up, holding its place
// until setupDone.
func TestEngineLegsMeetTheSetupLimit(t *testing.T) {
	sw := newStatelessTestSwitch(t, "  max_setup_calls: 1\n")
	host := sw.CallHost()
	busy := sw.admission.acquireFor(false) // a phone's call being set up

	if _, _, err := host.AdmitCall(); !errors.Is(err, calls.ErrOverloaded) {
		t.Fatalf("at the limit: %v, want ErrOverloaded", err)
	}
	if got := counterValue(t, sw.metrics.Overload); got != 1 {
		t.Errorf("refusals counted %v, want 1", got)
	}
	if got := sw.admission.settingUp(); got != 1 {
		t.Errorf("a refused engine leg holds a place: %d setting up", got)
	}

	busy.release()
	done, setupDone, err := host.AdmitCall()
	if err != nil {
		t.Fatalf("under the limit: %v", err)
	}
	if got := sw.admission.settingUp(); got != 1 {
		t.Errorf("an admitted engine leg: %d setting up, want 1", got)
	}
	if next := sw.admission.acquireFor(false); next != nil {
		t.Errorf("a phone's INVITE was admitted past the engine leg holding the only place")
	}
	setupDone()
	setupDone() // a second call frees nothing more
	if got := sw.admission.settingUp(); got != 0 {
		t.Errorf("after setupDone: %d setting up, want 0", got)
	}
	done()
}
