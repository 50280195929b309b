package sip

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

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

// acquireFor admits a new call, or returns nil when too many are being
// set up. An INVITE that answers the switch's digest challenge may use
// the reserve above the limit. A limit of zero or less admits everything.
func (a *admission) acquireFor(answersChallenge bool) *setupSlot {
	if n := a.inFlight.Add(1); a.limit > 0 && n > a.limitFor(answersChallenge) {
		a.inFlight.Add(-1)
		return nil
	}
	return &setupSlot{a: a}
}

// limitFor is how many calls may be set up when an INVITE arrives. One
// answering the switch's challenge (it carries credentials) is the second
// half of a call whose first INVITE was admitted and challenged: it may
// go a quarter over the limit, so that under overload calls are turned
// away before the challenge, not after the work of one.
func (a *admission) limitFor(answersChallenge bool) int64 {
	if answersChallenge {
		return a.limit + a.limit/4
	}
	return a.limit
}

// release frees the slot; later calls do nothing, so every path a call
// may take out of its setup can call it.
func (s *setupSlot) release() {
	if s == nil {
		return
	}
	s.once.Do(func() { s.a.inFlight.Add(-1) })
}

// maxSocketWait is how long a new INVITE may have waited in the UDP
// socket before the switch read it. Longer, and the switch is behind: the
// caller's 503 would be late already, and admitting more would make every
// datagram behind it later still (the read loop, the handlers and the
// collector share two cores), until callers retransmit and the trunk's
// transactions time out. Reading is cheap once refusals need no parsing,
// so the backlog drains and the switch admits again within milliseconds.
// At the clean rate (1,000 calls/s, bench/overload.sh) 93 % of datagrams
// waited under 1 ms, 99.4 % under 5 ms and none over 20 ms: this acts
// only past the knee. And only when the switch is busy setting up calls
// (busyFor): a wait alone is as often a collection or another process on
// the cores, and refusing then turned away calls a switch with room
// completes (bench/sipp_load.sh at 1,000 calls/s with the limit out of
// reach failed calls on a loaded machine that it passes without this).
const maxSocketWait = 20 * time.Millisecond

// busyFor is how many calls in setup make a late INVITE a sign of
// overload rather than of a pause: half the limit.
func (a *admission) busyFor() int64 { return max(int64(a.limit)/2, 1) }

// refuseBeforeParsing reports whether a new INVITE that waited this long
// in the socket is refused before the SIP stack sees it, and whether for
// the wait (only while half the limit is in setup). One answering the switch's challenge may use the reserve
// above the limit (limitFor) and wait twice as long: the first half of its
// call was admitted already.
func (a *admission) refuseBeforeParsing(waited time.Duration, answersChallenge bool) (refuse, late bool) {
	if a.limit <= 0 {
		return false, false
	}
	wait := maxSocketWait
	if answersChallenge {
		wait = 2 * maxSocketWait
	}
	if a.inFlight.Load() >= a.limitFor(answersChallenge) {
		return true, false
	}
	if waited > wait && a.inFlight.Load() >= a.busyFor() {
		return true, true
	}
	return false, false
}

// enabled reports whether the switch refuses anything: a limit of zero or
// less admits everything.
func (a *admission) enabled() bool { return a.limit > 0 }

// settingUp is how many calls are being set up now.
func (a *admission) settingUp() int64 { return a.inFlight.Load() }

// refuseOverload answers an INVITE the switch has no room to set up: 503
// with a Retry-After of 1 to 4 seconds, spread so that refused callers do
// not all come back in the same instant.
func (sw *Switch) refuseOverload(req *sip.Request, tx sip.ServerTransaction) {
	sw.metrics.Overload.Inc()
	res := sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Service Unavailable", nil)
	res.AppendHeader(sip.NewHeader("Retry-After", strconv.Itoa(1+rand.IntN(4))))
	res.AppendHeader(sip.NewHeader("Reason", `SIP;cause=503;text="overloaded: too many calls being set up"`))
	tagStateless(req, res)
	_ = tx.Respond(res)
	// Stateless, as the refusals in front of the parser (overload_udp.go):
	// the transaction ends with the 503 instead of being kept 64×T1 for
	// the ACK, then T4 with a goroutine parked on it. Past the knee these
	// were thousands of goroutines and INVITEs at once (7,458 in a run at
	// three times the clean rate), the memory the admitted calls needed.
	tx.Terminate()
}
