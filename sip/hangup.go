package sip

import (
	"time"
)

const (
	// byeTimeout bounds the wait for a peer's answer to the switch's BYE.
	byeTimeout = 5 * time.Second
	// shutdownByeTimeout is shorter: on SIGTERM a peer that never answers
	// its BYE must not hold the process (its leg's CDR is written anyway).
	shutdownByeTimeout = 2 * time.Second
	// shutdownHangupLimit bounds how long Shutdown waits for the calls it
	// hung up to write their CDRs: a BYE's timeout, a transfer's NOTIFY and
	// the CDR retries fit well within it.
	shutdownHangupLimit = 10 * time.Second
	// defaultT1 is RFC 3261's round-trip estimate.
	defaultT1 = 500 * time.Millisecond
)

// ByeTimeout is how long the switch waits for the answer to its BYE
// (calls.Host).
func (h switchHost) ByeTimeout() time.Duration {
	if h.sw.shuttingDown() {
		return shutdownByeTimeout
	}
	return byeTimeout
}

// shuttingDown reports whether the switch is hanging up every call.
func (sw *Switch) shuttingDown() bool { return sw.ctx != nil && sw.ctx.Err() != nil }

// AckTimeout is how long a 2xx the switch sent may go unacknowledged
// before the call is ended: 64×T1 (RFC 3261 §13.3.1.4; calls.Host).
func (h switchHost) AckTimeout() time.Duration { return 64 * h.sw.t1 }
