package sip

import (
	"fmt"
	"sync"
	"time"
)

// nonceCountsSize bounds the nonces remembered at once: ≈ 50 bytes each,
// so ≈ 3 MB. At 1,000 authenticated calls per second (a fresh nonce per
// call) a nonce stays about a minute before newer ones push it out, after
// which the phone reusing it is simply challenged again.
const nonceCountsSize = 1 << 16

// nonceCounts remembers, for each nonce that has authenticated a request,
// the highest nonce count (nc) used with it, so each nc is accepted once and
// only going up (RFC 2617 §3.2.2: the count is what makes a captured
// Authorization header worthless). A nonce leaves the table when it expires,
// or, when the table is full, oldest first; a nonce that left early can no
// longer be told from a replay, so it is answered as stale and the phone
// gets a fresh one.
type nonceCounts struct {
	mu   sync.Mutex
	max  int
	used map[uint64]nonceUse // by nonce serial
	// order holds the serials in the order they were first used, as a
	// ring of max slots: head is the oldest, len(used) are live.
	order []uint64
	head  int
	// evictedUpTo is the highest serial pushed out before it expired:
	// an unknown nonce at or below it may have been used already.
	evictedUpTo uint64
}

type nonceUse struct {
	issued int64 // Unix ns; no pointer in the map, so the GC need not scan it
	nc     uint32
	tx     uint64 // the transaction that used nc, whose retransmissions may repeat it
}

func newNonceCounts(max int) *nonceCounts {
	return &nonceCounts{max: max, used: make(map[uint64]nonceUse), order: make([]uint64, max)}
}

// use records that the request tx used nc with the nonce n, or says why it
// may not: errNonceReused when nc is not above the last count (unless tx is
// the transaction that used it, retransmitted), errStaleNonce when n was
// pushed out of a full table and its history is lost.
func (t *nonceCounts) use(n issuedNonce, nc uint32, tx uint64, clock func() time.Time, ttl time.Duration) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	// Read the clock under the lock, so no request sees a nonce as fresh
	// after another has dropped it as expired (and forgotten its count).
	now := clock()
	if now.Sub(n.issued) > ttl {
		return errStaleNonce
	}
	if u, seen := t.used[n.serial]; seen {
		switch {
		case nc > u.nc:
			t.used[n.serial] = nonceUse{issued: u.issued, nc: nc, tx: tx}
			return nil
		case nc == u.nc && tx == u.tx:
			return nil // the same request again: a UDP retransmission
		default:
			return fmt.Errorf("nc %d after %d: %w", nc, u.nc, errNonceReused)
		}
	}
	if n.serial <= t.evictedUpTo {
		return errStaleNonce
	}
	t.dropExpired(now, ttl)
	if len(t.used) >= t.max {
		t.evictOldest()
	}
	t.order[(t.head+len(t.used))%t.max] = n.serial
	t.used[n.serial] = nonceUse{issued: n.issued.UnixNano(), nc: nc, tx: tx}
	return nil
}

// dropExpired removes expired nonces from the oldest end: nonces are used
// within their lifetime, so the oldest used are about the first to expire.
func (t *nonceCounts) dropExpired(now time.Time, ttl time.Duration) {
	for len(t.used) > 0 {
		s := t.order[t.head]
		if now.Sub(time.Unix(0, t.used[s].issued)) <= ttl {
			return
		}
		delete(t.used, s)
		t.advance()
	}
}

// evictOldest pushes out the oldest nonce although it has not expired.
func (t *nonceCounts) evictOldest() {
	s := t.order[t.head]
	delete(t.used, s)
	t.advance()
	t.evictedUpTo = max(t.evictedUpTo, s)
}

func (t *nonceCounts) advance() { t.head = (t.head + 1) % t.max }
