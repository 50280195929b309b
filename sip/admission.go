package sip

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/emiago/sipgo/sip"
)

// admission bounds the calls being set up at once: from the INVITE until
// the callee's first response (100 Trying, ringing, an answer), or the
// call fails. That is where the switch
// spends its work (digest verification, routing, the credit check, media
// ports, the CDR, the outgoing INVITE). Past the limit the switch is not
// finishing setups as fast as they come: a new INVITE is refused at once,
// before any of that work, with 503 and Retry-After, so the calls already
// admitted complete instead of all of them slowing down together until
// every caller retransmits and gives up. A call whose callee has the
// INVITE leaves the count: waiting for a phone to ring or a carrier to
// connect costs the switch nothing.
type admission struct {
	limit    int64
	inFlight atomic.Int64
}

func newAdmission(limit int) *admission {
	return &admission{limit: int64(limit)}
}

// setupSlot is one admitted call's place; release frees it once.
type setupSlot struct {
	a    *admission
	once sync.Once
}

// acquire admits a new call, or returns nil when too many are being set
// up. A limit of zero or less admits everything.
func (a *admission) acquire() *setupSlot {
	if n := a.inFlight.Add(1); a.limit > 0 && n > a.limit {
		a.inFlight.Add(-1)
		return nil
	}
	return &setupSlot{a: a}
}

// release frees the slot; later calls do nothing, so every path a call
// may take out of its setup can call it.
func (s *setupSlot) release() {
	if s == nil {
		return
	}
	s.once.Do(func() { s.a.inFlight.Add(-1) })
}

// settingUp is how many calls are being set up now.
func (a *admission) settingUp() int64 { return a.inFlight.Load() }

// refuseOverload answers an INVITE the switch has no room to set up: 503
// with a Retry-After of 1 to 4 seconds, spread so that refused callers do
// not all come back in the same instant.
func (sw *Switch) refuseOverload(req *sip.Request, tx sip.ServerTransaction) {
	sw.metrics.Overload.Inc()
	respond(tx, req, 503, "Service Unavailable",
		sip.NewHeader("Retry-After", strconv.Itoa(1+rand.IntN(4))),
		sip.NewHeader("Reason", `SIP;cause=503;text="overloaded: too many calls being set up"`))
	// Stateless, as the refusals in front of the parser (overload_udp.go):
	// the transaction ends with the 503 instead of being kept 64×T1 for
	// the ACK, then T4 with a goroutine parked on it. Past the knee these
	// were thousands of goroutines and INVITEs at once (7,458 in a run at
	// three times the clean rate), the memory the admitted calls needed.
	tx.Terminate()
}
