package sip

import (
	"errors"
	"testing"
	"time"
)

func TestNonceCountsStayBoundedAndSafe(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	ttl := time.Minute
	clock := func() time.Time { return now }
	nonce := func(serial uint64, age time.Duration) issuedNonce {
		return issuedNonce{serial: serial, issued: now.Add(-age)}
	}
	t.Run("a full table pushes out the oldest, whose nonce is then stale, not replayable", func(t *testing.T) {
		c := newNonceCounts(3)
		for s := uint64(1); s <= 4; s++ {
			if err := c.use(nonce(s, 0), 1, s, clock, ttl); err != nil {
				t.Fatalf("nonce %d: %v", s, err)
			}
		}
		if len(c.used) != 3 {
			t.Fatalf("%d nonces kept, the bound is 3", len(c.used))
		}
		if err := c.use(nonce(1, 0), 1, 99, clock, ttl); !errors.Is(err, errStaleNonce) {
			t.Fatalf("replay of a pushed-out nonce: got %v, want stale", err)
		}
		if err := c.use(nonce(1, 0), 2, 99, clock, ttl); !errors.Is(err, errStaleNonce) {
			t.Fatalf("nc+1 on a pushed-out nonce: got %v, want stale (a fresh challenge)", err)
		}
		if err := c.use(nonce(3, 0), 1, 99, clock, ttl); !errors.Is(err, errNonceReused) {
			t.Fatalf("a kept nonce still refuses its count again: %v", err)
		}
		if err := c.use(nonce(5, 0), 1, 5, clock, ttl); err != nil {
			t.Fatalf("a nonce issued after the push-out: %v", err)
		}
	})
	t.Run("expired nonces leave first and push nothing out", func(t *testing.T) {
		c := newNonceCounts(3)
		old1, old2 := nonce(1, 0), nonce(2, 0)
		_ = c.use(old1, 1, 1, clock, ttl)
		_ = c.use(old2, 1, 2, clock, ttl)
		later := func() time.Time { return now.Add(2 * time.Minute) }
		if err := c.use(old1, 2, 1, later, ttl); !errors.Is(err, errStaleNonce) {
			t.Fatalf("an expired nonce: got %v, want stale", err)
		}
		now = now.Add(2 * time.Minute)
		_ = c.use(nonce(3, 0), 1, 3, clock, ttl)
		_ = c.use(nonce(4, 0), 1, 4, clock, ttl)
		if len(c.used) != 2 || c.evictedUpTo != 0 {
			t.Fatalf("kept %d, evicted up to %d; want the 2 fresh ones and no eviction", len(c.used), c.evictedUpTo)
		}
		for s := uint64(5); s < 40; s++ { // wraps the ring many times
			if err := c.use(nonce(s, 0), 1, s, clock, ttl); err != nil {
				t.Fatal(err)
			}
			if err := c.use(nonce(s, 0), 2, s, clock, ttl); err != nil {
				t.Fatal(err)
			}
		}
		if len(c.used) != 3 {
			t.Fatalf("%d kept", len(c.used))
		}
		for s := uint64(37); s < 40; s++ {
			if err := c.use(nonce(s, 0), 3, s, clock, ttl); err != nil {
				t.Fatalf("the newest nonce %d is kept: %v", s, err)
			}
		}
	})
}
