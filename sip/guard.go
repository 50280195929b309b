package sip

import (
	"sync"
	"time"
)

// authGuard blocks source addresses that fail digest auth too often, the
// usual defence against SIP password scanners (friendly-scanner, sipvicious).
type authGuard struct {
	mu      sync.Mutex
	limit   int
	window  time.Duration
	entries map[string]*guardEntry
	now     func() time.Time
}

type guardEntry struct {
	failures     int
	first        time.Time
	blockedUntil time.Time
}

func newAuthGuard(limit int, window time.Duration) *authGuard {
	return &authGuard{limit: limit, window: window, entries: map[string]*guardEntry{}, now: time.Now}
}

// blocked reports whether host may not even try to authenticate now.
func (g *authGuard) blocked(host string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	e := g.entries[host]
	return e != nil && g.now().Before(e.blockedUntil)
}

// fail counts a failure and reports whether host just became blocked.
func (g *authGuard) fail(host string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	e := g.entries[host]
	if e == nil || now.Sub(e.first) > g.window {
		e = &guardEntry{first: now}
		g.entries[host] = e
		g.sweep(now)
	}
	e.failures++
	if e.failures >= g.limit && !now.Before(e.blockedUntil) {
		e.blockedUntil = now.Add(g.window)
		return true
	}
	return false
}

// succeed forgets the failures of host.
func (g *authGuard) succeed(host string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e := g.entries[host]; e != nil && !g.now().Before(e.blockedUntil) {
		delete(g.entries, host)
	}
}

// sweep drops stale entries so a scan from many addresses cannot grow the
// map without bound; called with g.mu held, only when an entry is created.
func (g *authGuard) sweep(now time.Time) {
	if len(g.entries) < 1024 {
		return
	}
	for h, e := range g.entries {
		if now.Sub(e.first) > g.window && now.After(e.blockedUntil) {
			delete(g.entries, h)
		}
	}
}
