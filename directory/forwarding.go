package directory

import (
	"fmt"
	"sync"

	"github.com/dialtone/dialtone/config"
)

// ForwardingStore persists forwarding rules set through the API.
type ForwardingStore interface {
	LoadForwarding() (map[string]config.Forwarding, error)
	SaveForwarding(extension string, f config.Forwarding) error
}

// ForwardingRefusedError is a forwarding target that the rule's owners
// may not call, as if they dialed it.
type ForwardingRefusedError struct {
	Field  string // "forwarding.busy"
	Target string
	Rule   string // the permission the owners lack
	Reason string
}

func (e *ForwardingRefusedError) Error() string { return e.Field + ": " + e.Reason }

// CheckForwarding validates forwarding rules set for owners: a bad target
// is ErrInvalid, a target the owners may not call (as if they dialed it)
// a *ForwardingRefusedError naming the rule.
func (d *Directory) CheckForwarding(f config.Forwarding, owners []*User) error {
	if problems := config.CheckForwarding(f, d.UserNames(), d.GroupNames()); len(problems) > 0 {
		return WithKind(ErrInvalid, fmt.Errorf("forwarding.%s: %s", problems[0].Field, problems[0].Problem))
	}
	if refused := d.RefusedForwarding(f, owners); len(refused) > 0 {
		r := refused[0]
		return &ForwardingRefusedError{Field: "forwarding." + r.Field, Target: r.Target, Rule: r.Rule, Reason: r.Message()}
	}
	return nil
}

// Forwardings are the forwarding rules set through the API, by extension:
// they win over the config's and outlive a reload.
type Forwardings struct {
	mu    sync.RWMutex
	set   map[string]config.Forwarding
	store ForwardingStore
}

// LoadForwardings reads the rules saved in store (nil: kept in memory
// only), keeping those of the users d knows.
func LoadForwardings(store ForwardingStore, d *Directory) (*Forwardings, error) {
	f := &Forwardings{set: map[string]config.Forwarding{}, store: store}
	if store == nil {
		return f, nil
	}
	saved, err := store.LoadForwarding()
	if err != nil {
		return nil, fmt.Errorf("load forwarding rules: %w", err)
	}
	for ext, rules := range saved {
		if d.User(ext) != nil {
			f.set[ext] = rules
		}
	}
	return f, nil
}

// Of is a user's forwarding: set through the API, else the config's.
func (f *Forwardings) Of(u *User) config.Forwarding {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if rules, ok := f.set[u.Extension]; ok {
		return rules
	}
	return u.Forwarding
}

// Set replaces the forwarding rules of user u of d (empty rules clear
// them), once d accepts them (CheckForwarding) and the store kept them.
func (f *Forwardings) Set(d *Directory, u *User, rules config.Forwarding) error {
	if err := d.CheckForwarding(rules, []*User{u}); err != nil {
		return err
	}
	if f.store != nil {
		if err := f.store.SaveForwarding(u.Extension, rules); err != nil {
			return fmt.Errorf("save forwarding: %w", err)
		}
	}
	f.mu.Lock()
	f.set[u.Extension] = rules
	f.mu.Unlock()
	return nil
}

// RefusedRule is a rule set through the API that the permissions refuse.
type RefusedRule struct {
	User string // extension
	config.ForwardingRefusal
}

// Refused are the rules set through the API that d's permissions now
// refuse (a reload took one away). They are kept, since a later reload
// may grant it back, and refused each time they would forward a call.
func (f *Forwardings) Refused(d *Directory) []RefusedRule {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []RefusedRule
	for ext, rules := range f.set {
		u := d.User(ext)
		if u == nil {
			continue
		}
		for _, r := range d.RefusedForwarding(rules, []*User{u}) {
			out = append(out, RefusedRule{User: ext, ForwardingRefusal: r})
		}
	}
	return out
}
