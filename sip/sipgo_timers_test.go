package sip

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// An answered INVITE's client transaction is kept 16×T1, not sipgo's
// 64×T1: it only re-ACKs 2xx retransmissions, and at high call rates it
// was a quarter of the heap. The server side keeps RFC 3261's 64×T1:
// Timer L carries the wait for the caller's ACK.
func TestAnsweredInviteClientTransactionLingers16T1(t *testing.T) {
	t1, t2, t4 := sip.T1, sip.T2, sip.T4
	t.Cleanup(func() { sip.SetTimers(t1, t2, t4) })
	for _, t1 := range []time.Duration{500 * time.Millisecond, 50 * time.Millisecond, 2 * time.Second} {
		t.Run(t1.String(), func(t *testing.T) {
			setTransactionTimers(t1)
			if sip.T1 != t1 || sip.Timer_M != 16*t1 {
				t.Errorf("T1 %s, Timer M %s; want %s, %s", sip.T1, sip.Timer_M, t1, 16*t1)
			}
			if sip.Timer_L != 64*t1 || sip.Timer_B != 64*t1 || sip.Timer_D != 32*time.Second {
				t.Errorf("Timer L %s, B %s, D %s: want 64×T1, 64×T1, 32s", sip.Timer_L, sip.Timer_B, sip.Timer_D)
			}
		})
	}
}
