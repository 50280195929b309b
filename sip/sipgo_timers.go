package sip

import (
	"time"

	"github.com/emiago/sipgo/sip"
)

// answeredInviteLinger is how long, in T1s, the client transaction of an
// INVITE the callee answered is kept (RFC 6026's Timer M; sipgo keeps it
// 64×T1, 32 s). All it does then is re-send the switch's ACK when the
// callee retransmits its 2xx, which the callee does only while no ACK has
// reached it: at T1, 3×T1, 7×T1 and 15×T1 after the 2xx, so 16×T1 still
// answers four retransmissions (five ACKs lost in a row before a callee
// would give up on the call). Kept 64×T1 it held the outgoing INVITE,
// the callee's answers and the ACK of every call, ≈ 6 KB each, for 32 s:
// a third of the live heap past the knee (bench/overload.sh). Ending the
// transaction sooner does not free it: sipgo ends it when the switch
// sends the BYE, but its delete does not stop Timer M (nor a server
// transaction's Timer L), whose callback keeps it reachable until it
// fires. The server side keeps 64×T1: there Timer L carries the wait for
// the caller's ACK (RFC 3261 §13.3.1.4), which ends unacknowledged calls.
const answeredInviteLinger = 16

// setTransactionTimers sets sipgo's timers (its package's: one switch per
// process) from the switch's T1.
func setTransactionTimers(t1 time.Duration) {
	if t1 != sip.T1 {
		sip.SetTimers(t1, max(sip.T2, t1), sip.T4)
	}
	if m := answeredInviteLinger * t1; sip.Timer_M != m {
		sip.Timer_M = m
	}
}
