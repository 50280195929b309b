package sip

import (
	"net"
	"sort"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// binding is one registered contact of a user.
type binding struct {
	Contact   sip.Uri
	Source    string // host:port the REGISTER came from (NAT: send there)
	Transport string
	Expires   time.Time
	CallID    string
	CSeq      uint32
}

// registrar keeps the contacts of each user in memory: phones re-register
// often enough that persisting them buys nothing.
type registrar struct {
	mu       sync.RWMutex
	bindings map[string][]binding // by user extension
	now      func() time.Time
}

func newRegistrar() *registrar {
	return &registrar{bindings: map[string][]binding{}, now: time.Now}
}

// update applies one REGISTER's contacts (expires 0 removes) and returns
// the user's current bindings.
func (r *registrar) update(user string, add []binding, remove []string, removeAll bool) []binding {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	var kept []binding
	if !removeAll {
		for _, b := range r.bindings[user] {
			if !b.Expires.After(now) || contains(remove, b.Contact.String()) {
				continue
			}
			replaced := false
			for _, a := range add {
				if a.Contact.String() == b.Contact.String() {
					replaced = true
				}
			}
			if !replaced {
				kept = append(kept, b)
			}
		}
	}
	kept = append(kept, add...)
	if len(kept) == 0 {
		delete(r.bindings, user)
	} else {
		r.bindings[user] = kept
	}
	return append([]binding(nil), kept...)
}

// lookup returns the live bindings of user.
func (r *registrar) lookup(user string) []binding {
	r.mu.RLock()
	defer r.mu.RUnlock()
	now := r.now()
	var live []binding
	for _, b := range r.bindings[user] {
		if b.Expires.After(now) {
			live = append(live, b)
		}
	}
	return live
}

// boundFrom reports whether user has a live binding registered from host,
// i.e. a phone there has proven it holds the account.
func (r *registrar) boundFrom(user, host string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	now := r.now()
	for _, b := range r.bindings[user] {
		if h, _, err := net.SplitHostPort(b.Source); err == nil && h == host && b.Expires.After(now) {
			return true
		}
	}
	return false
}

// count returns the number of live bindings, for metrics.
func (r *registrar) count() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	now := r.now()
	n := 0
	for _, bs := range r.bindings {
		for _, b := range bs {
			if b.Expires.After(now) {
				n++
			}
		}
	}
	return n
}

// expire drops bindings past their expiry; run periodically.
func (r *registrar) expire() {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for u, bs := range r.bindings {
		live := bs[:0]
		for _, b := range bs {
			if b.Expires.After(now) {
				live = append(live, b)
			}
		}
		if len(live) == 0 {
			delete(r.bindings, u)
		} else {
			r.bindings[u] = live
		}
	}
}

// users lists users with at least one live binding, sorted.
func (r *registrar) users() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.bindings))
	for u := range r.bindings {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
