package sip

import (
	"net"
	"sync"
	"time"
)

// Bounds of the guard's tables, so a scan from many addresses or against
// many names cannot grow them without limit.
const (
	guardAddresses = 1 << 14
	guardAccounts  = 1 << 14
	guardPairs     = 1 << 16
)

// trustedFor is how long a success of an address for an account keeps that
// address exempt from the account's lock.
const trustedFor = time.Hour

// accountLimitFactor: an account is locked after this many times
// auth_fail_limit failures from any addresses within auth_block.
const accountLimitFactor = 2

// blockReason says who is blocked; it is also the metrics label.
type blockReason string

const (
	notBlocked     blockReason = ""
	blockedAddress blockReason = "address"
	blockedAccount blockReason = "account"
)

// authGuard is the defence against SIP password scanners (friendly-scanner,
// sipvicious) and slower guessing. It counts failed authentications per
// source address and per account within a window: too many from one address
// block that address; too many on one account, from however many addresses,
// lock the account for new addresses while the addresses where it already
// succeeded keep working. A success forgets only the failures of its own
// address and account, so holding one account does not buy unlimited
// guesses at another.
type authGuard struct {
	mu           sync.Mutex
	limit        int // failures per address
	accountLimit int // failures per account
	window       time.Duration
	addresses    boundedCounters[string]
	accounts     boundedCounters[string]
	pairs        boundedCounters[guardPair]
	now          func() time.Time
}

type guardPair struct{ address, account string }

// failures counts failures in a window, and when they block.
type failures struct {
	count        int
	first        time.Time
	blockedUntil time.Time
	lastSuccess  time.Time // pairs only
}

func newAuthGuard(limit int, window time.Duration) *authGuard {
	return &authGuard{
		limit: limit, accountLimit: accountLimitFactor * limit, window: window,
		addresses: newBoundedCounters[string](guardAddresses),
		accounts:  newBoundedCounters[string](guardAccounts),
		pairs:     newBoundedCounters[guardPair](guardPairs),
		now:       time.Now,
	}
}

// guardAddress is the key of a source host: the address itself, or for
// IPv6 its /64, which one subscriber usually holds whole.
func guardAddress(host string) string {
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() != nil {
		return host
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// check reports whether host may try to authenticate as account now
// (account "" when the name is not one of ours). trusted says the address
// is known to hold the account (a live registration from it); an address
// that succeeded for the account recently is trusted too.
func (g *authGuard) check(host, account string, trusted bool) blockReason {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	addr := guardAddress(host)
	if e := g.addresses.get(addr); e != nil && now.Before(e.blockedUntil) {
		return blockedAddress
	}
	if account == "" {
		return notBlocked
	}
	if e := g.accounts.get(account); e != nil && now.Before(e.blockedUntil) && !trusted {
		if p := g.pairs.get(guardPair{addr, account}); p == nil || now.Sub(p.lastSuccess) > trustedFor {
			return blockedAccount
		}
	}
	return notBlocked
}

// fail counts a failure of host on account (account "" when unknown).
// guess is false for a replayed header, which says nothing about the
// account's password and so does not count against the account. It
// returns what the failure just blocked.
func (g *authGuard) fail(host, account string, guess bool) (blocked []blockReason) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	addr := guardAddress(host)
	if g.count(&g.addresses, addr, g.limit, now) {
		blocked = append(blocked, blockedAddress)
	}
	if account == "" {
		return blocked
	}
	p := g.pairs.touch(guardPair{addr, account}, g.window, now)
	p.count++
	if guess && g.count(&g.accounts, account, g.accountLimit, now) {
		blocked = append(blocked, blockedAccount)
	}
	return blocked
}

// count adds a failure to key's window and reports whether it starts a block.
func (g *authGuard) count(t *boundedCounters[string], key string, limit int, now time.Time) bool {
	e := t.touch(key, g.window, now)
	e.count++
	if e.count >= limit && !now.Before(e.blockedUntil) {
		e.blockedUntil = now.Add(g.window)
		return true
	}
	return false
}

// succeed forgets the failures host made on account (a mistyped password,
// then the right one), and no others; a block in force stays.
func (g *authGuard) succeed(host, account string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	addr := guardAddress(host)
	p := g.pairs.touch(guardPair{addr, account}, g.window, now)
	if p.count > 0 {
		for _, e := range []*failures{g.addresses.get(addr), g.accounts.get(account)} {
			// Only failures of the pair that fell in the counter's
			// current window are in it.
			if e != nil && !p.first.Before(e.first) {
				e.count = max(0, e.count-p.count)
			}
		}
	}
	p.count, p.first, p.lastSuccess = 0, now, now
}

// boundedCounters is a map of failure windows with at most max entries.
type boundedCounters[K comparable] struct {
	max     int
	entries map[K]*failures
}

func newBoundedCounters[K comparable](max int) boundedCounters[K] {
	return boundedCounters[K]{max: max, entries: map[K]*failures{}}
}

func (t *boundedCounters[K]) get(k K) *failures { return t.entries[k] }

// touch returns k's entry, made or restarted when its window has passed.
func (t *boundedCounters[K]) touch(k K, window time.Duration, now time.Time) *failures {
	e := t.entries[k]
	if e == nil {
		t.makeRoom(window, now)
		e = &failures{first: now}
		t.entries[k] = e
	} else if now.Sub(e.first) > window {
		e.count, e.first = 0, now
	}
	return e
}

// makeRoom, when the table is full, drops what is over (windows passed,
// blocks ended, no recent success), then if still more than 7/8 full,
// entries that block nothing, then any: forgetting a count lets an address
// guess a little more, but the per-account limit still holds, and freeing
// an eighth at once keeps the cost of a sweep per entry made constant.
func (t *boundedCounters[K]) makeRoom(window time.Duration, now time.Time) {
	if len(t.entries) < t.max {
		return
	}
	low := t.max - t.max/8
	for k, e := range t.entries {
		if now.Sub(e.first) > window && !now.Before(e.blockedUntil) && now.Sub(e.lastSuccess) > trustedFor {
			delete(t.entries, k)
		}
	}
	for k, e := range t.entries {
		if len(t.entries) <= low {
			return
		}
		if !now.Before(e.blockedUntil) {
			delete(t.entries, k)
		}
	}
	for k := range t.entries {
		if len(t.entries) <= low {
			return
		}
		delete(t.entries, k)
	}
}
