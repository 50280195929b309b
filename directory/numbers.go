package directory

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/phone"
)

// NumberStore keeps the phone numbers rented through the API.
type NumberStore interface {
	LoadNumbers() ([]config.Number, error)
	SaveNumber(n config.Number) error
	DeleteNumber(e164 string) error
}

// ListedNumber is one of the organization's numbers and where it comes
// from: "config" or "api".
type ListedNumber struct {
	config.Number
	Source string `json:"source"`
}

// Numbers are the organization's numbers as they change: the config's (a
// reload replaces them) and those rented through the API. Every change
// publishes the config last applied with all the numbers, from which the
// caller builds the next Directory; publish runs under the lock, so a
// reload and an API change cannot publish theirs out of order.
type Numbers struct {
	mu      sync.Mutex
	cfg     *config.Config // the config last applied (start, reload)
	api     []config.Number
	store   NumberStore
	publish func(merged *config.Config)
}

// newNumbers loads the numbers rented through the API from store (nil:
// kept in memory only); publish is told each new set (see Numbers). Its
// apply takes the config before anything else.
func newNumbers(store NumberStore, publish func(merged *config.Config)) (*Numbers, error) {
	n := &Numbers{store: store, publish: publish}
	if store != nil {
		saved, err := store.LoadNumbers()
		if err != nil {
			return nil, fmt.Errorf("load numbers: %w", err)
		}
		n.api = slices.Clone(saved)
	}
	return n, nil
}

// apply takes the numbers of a new config (start, reload) and publishes.
func (n *Numbers) apply(cfg *config.Config) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cfg = cfg
	n.publishLocked()
}

func (n *Numbers) publishLocked() {
	merged := *n.cfg
	merged.Numbers = append(slices.Clone(n.cfg.Numbers), n.api...)
	n.publish(&merged)
}

// All is the config's numbers and those rented through the API.
func (n *Numbers) All() []config.Number {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append(slices.Clone(n.cfg.Numbers), n.api...)
}

// List is the organization's numbers: the config's, then those added
// through the API.
func (n *Numbers) List() []ListedNumber {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := []ListedNumber{}
	for _, num := range n.cfg.Numbers {
		out = append(out, ListedNumber{num, "config"})
	}
	for _, num := range n.api {
		out = append(out, ListedNumber{num, "api"})
	}
	return out
}

// Add adds a number {"number":"+1...","user":"1001"} (or "group") that d,
// the current directory, accepts: an E.164 number of its country and of
// a type that is rented, one owner that exists, not already the
// organization's, forwarding its owners may call. It returns the number
// as stored (E.164, country, type, the owner's extension). Errors are
// ErrInvalid, ErrConflict, a *ForwardingRefusedError or the store's.
func (n *Numbers) Add(d *Directory, num config.Number) (config.Number, error) {
	num, err := d.checkNewNumber(num)
	if err != nil {
		return num, err
	}
	if n.store != nil {
		if err := n.store.SaveNumber(num); err != nil {
			return num, err
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.api = append(n.api, num)
	n.publishLocked()
	return num, nil
}

// checkNewNumber is num as it is stored, or why it cannot be added.
func (d *Directory) checkNewNumber(num config.Number) (config.Number, error) {
	e164, err := phone.Normalize(num.Number, "")
	if err != nil {
		return num, WithKind(ErrInvalid, fmt.Errorf("number: %w", err))
	}
	num.Number = e164
	info := phone.Lookup(e164)
	country, typ := info.Country, string(info.Type.Plan())
	if num.Country == "" {
		num.Country = country
	}
	if num.Type == "" {
		num.Type = typ
	}
	groupMembers, _ := d.Group(num.Group) // nil: no such group (or one with nobody in it)
	switch {
	case !strings.EqualFold(num.Country, country):
		err = fmt.Errorf("country: %s is a %s number", e164, country)
	case num.Type != config.TypeLocal && num.Type != config.TypeMobile && num.Type != config.TypeTollFree:
		err = fmt.Errorf("type: %q is not local, mobile or toll-free", num.Type)
	case (num.User == "") == (num.Group == ""):
		err = fmt.Errorf("owner: give a user or a group")
	case num.User != "" && d.User(num.User) == nil:
		err = fmt.Errorf("user: no user %q", num.User)
	case num.Group != "" && groupMembers == nil:
		err = fmt.Errorf("group: no group %q", num.Group)
	case d.Number(e164) != nil:
		return num, WithKind(ErrConflict, fmt.Errorf("number %s is already the organization's", e164))
	}
	if err != nil {
		return num, WithKind(ErrInvalid, err)
	}
	owners := []*User{d.User(num.User)}
	if num.Group != "" {
		owners = d.OwnerUsers(&num)
	}
	if err := d.CheckForwarding(num.Forwarding, owners); err != nil {
		return num, err // before renting: a refused number costs nothing
	}
	if u := d.User(num.User); u != nil {
		num.User = u.Extension
	}
	return num, nil
}

// Remove removes a number added through the API (config numbers are
// removed in the config) and returns it in E.164: it stops ringing and is
// not renewed. Errors are ErrInvalid, ErrNotFound or the store's.
func (n *Numbers) Remove(number string) (string, error) {
	e164, err := phone.Normalize(number, "")
	if err != nil {
		return "", WithKind(ErrInvalid, err)
	}
	n.mu.Lock()
	i := slices.IndexFunc(n.api, func(num config.Number) bool { return num.Number == e164 })
	if i >= 0 {
		n.api = slices.Delete(n.api, i, i+1)
	}
	n.mu.Unlock()
	if i < 0 {
		return e164, WithKind(ErrNotFound, fmt.Errorf("%s was not added through the API (config numbers are removed in the config)", e164))
	}
	if n.store != nil {
		if err := n.store.DeleteNumber(e164); err != nil {
			return e164, err
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.publishLocked()
	return e164, nil
}
