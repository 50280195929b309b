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
	// Registered is when a REGISTER last set or refreshed the binding: at
	// max_contacts the stalest goes, and a call rings the freshest first.
	Registered time.Time
	CallID     string
	CSeq       uint32
	// Instance and RegID are the contact's +sip.instance and reg-id (RFC
	// 5626): one device keeps one binding when its address changes.
	Instance  string
	RegID     string
	UserAgent string
	// user is the extension the binding belongs to, set on the copies a
	// call forks to.
	user string
	// restored: loaded from the store at start. Its TCP connection did not
	// survive the restart, so it is reached at its Contact address.
	restored bool
	// uri is Contact as text, once: a REGISTER compares it with each of
	// the user's bindings.
	uri string
}

func (b *binding) cacheURI() {
	if b.uri == "" {
		b.uri = b.Contact.String()
	}
}

func (b binding) contactString() string {
	if b.uri != "" {
		return b.uri
	}
	return b.Contact.String()
}

// key identifies a binding among its user's: the device instance (RFC
// 5626 §6: instance and reg-id) when the phone sends one, else the
// contact URI (RFC 3261 §10.3).
func (b binding) key() string {
	if b.Instance != "" {
		return "instance:" + b.Instance + ";reg-id=" + b.RegID
	}
	return b.contactString()
}

// matches reports whether a REGISTER's contact names this binding.
func (b binding) matches(other binding) bool {
	return b.key() == other.key() || b.contactString() == other.contactString()
}

// supersedes reports whether a REGISTER (Call-ID, CSeq) may change a
// binding: RFC 3261 §10.3 steps 6 and 7 ignore a REGISTER of the same
// Call-ID that is not newer than the one the binding came from (a
// retransmission or a request overtaken by a later one).
func supersedes(callID string, cseq uint32, b binding) bool {
	return callID != b.CallID || cseq > b.CSeq
}

// registerChange is what one REGISTER asks of a user's bindings.
type registerChange struct {
	add       []binding
	remove    []binding // expires=0
	removeAll bool      // Contact: *
	callID    string
	cseq      uint32
}

// registrationSink is told every binding that changes, so it can keep
// them across a restart.
type registrationSink interface {
	put(user string, b binding)
	drop(user, key string)
}

// registrar keeps the contacts of each user in memory and tells its sink
// (the store) of each change: phones believe they stay registered across
// a restart of the switch, so the switch must remember them.
type registrar struct {
	mu       sync.RWMutex
	bindings map[string][]binding // by user extension
	now      func() time.Time
	sink     registrationSink // nil: not kept
}

func newRegistrar() *registrar {
	return &registrar{bindings: map[string][]binding{}, now: time.Now}
}

// update applies one REGISTER to user's bindings, keeping at most
// maxContacts (the stalest go first), and returns the user's current
// bindings and those the limit pushed out.
func (r *registrar) update(user string, ch registerChange, maxContacts int) (current, evicted []binding) {
	ch.add, ch.remove = withURIs(ch.add, ch.callID, ch.cseq), withURIs(ch.remove, ch.callID, ch.cseq)
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	kept := make([]binding, 0, len(r.bindings[user])+len(ch.add))
	for _, b := range r.bindings[user] {
		switch {
		case !b.Expires.After(now):
			r.dropLocked(user, b)
			continue
		case ch.removeAll && supersedes(ch.callID, ch.cseq, b):
			r.dropLocked(user, b)
			continue
		}
		if (anyMatch(ch.remove, b) || anyMatch(ch.add, b)) && supersedes(ch.callID, ch.cseq, b) {
			r.dropLocked(user, b)
			continue
		}
		kept = append(kept, b)
	}
	for _, a := range ch.add {
		// A contact an older REGISTER still holds was not superseded:
		// it stays as it is.
		if !anyMatch(kept, a) {
			kept = append(kept, a)
			r.putLocked(user, a)
		}
	}
	kept, evicted = keepFreshest(kept, maxContacts)
	for _, b := range evicted {
		r.dropLocked(user, b)
	}
	r.setLocked(user, kept)
	return append([]binding(nil), kept...), evicted
}

// withURIs copies a REGISTER's contacts, stamped with its Call-ID and
// CSeq, their URIs as text cached.
func withURIs(bs []binding, callID string, cseq uint32) []binding {
	out := make([]binding, len(bs))
	for i, b := range bs {
		b.CallID, b.CSeq = callID, cseq
		b.cacheURI()
		out[i] = b
	}
	return out
}

// anyMatch reports whether a binding in list and a name the same contact.
func anyMatch(list []binding, a binding) bool {
	for _, b := range list {
		if b.matches(a) {
			return true
		}
	}
	return false
}

// keepFreshest splits bindings into the max most recently registered
// (in their order) and the rest. max <= 0 keeps everything.
func keepFreshest(bs []binding, max int) (kept, evicted []binding) {
	if max <= 0 || len(bs) <= max {
		return bs, nil
	}
	order := make([]int, len(bs))
	for i := range order {
		order[i] = i
	}
	// Stable: among bindings of one REGISTER the later contacts count as
	// newer, so the first ones go.
	sort.SliceStable(order, func(i, j int) bool { return bs[order[i]].Registered.Before(bs[order[j]].Registered) })
	drop := make([]bool, len(bs))
	for _, i := range order[:len(bs)-max] {
		drop[i] = true
	}
	kept = make([]binding, 0, max)
	for i, b := range bs {
		if drop[i] {
			evicted = append(evicted, b)
		} else {
			kept = append(kept, b)
		}
	}
	return kept, evicted
}

func (r *registrar) setLocked(user string, bs []binding) {
	if len(bs) == 0 {
		delete(r.bindings, user)
	} else {
		r.bindings[user] = bs
	}
}

func (r *registrar) putLocked(user string, b binding) {
	if r.sink != nil {
		r.sink.put(user, b)
	}
}

func (r *registrar) dropLocked(user string, b binding) {
	if r.sink != nil {
		r.sink.drop(user, b.key())
	}
}

// restore puts back bindings kept from before a restart, without telling
// the sink (they are in the store already).
func (r *registrar) restore(user string, b binding) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b.restored = true
	b.cacheURI()
	r.bindings[user] = append(r.bindings[user], b)
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
	now := r.now()
	r.retain(func(string) bool { return true }, func(b binding) bool { return b.Expires.After(now) }, 0)
}

// retain keeps the bindings of the users keepUser accepts that keep
// accepts, at most maxContacts per user (0: no limit), and returns how
// many it dropped: after a reload that removed users or lowered
// max_contacts, and for expiry.
func (r *registrar) retain(keepUser func(user string) bool, keep func(binding) bool, maxContacts int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	dropped := 0
	for u, bs := range r.bindings {
		var live []binding
		for _, b := range bs {
			if keepUser(u) && keep(b) {
				live = append(live, b)
			} else {
				r.dropLocked(u, b)
				dropped++
			}
		}
		live, evicted := keepFreshest(live, maxContacts)
		for _, b := range evicted {
			r.dropLocked(u, b)
			dropped++
		}
		r.setLocked(u, live)
	}
	return dropped
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
