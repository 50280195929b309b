package sip

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/phone"
)

// NumberStore keeps the phone numbers rented through the API.
type NumberStore interface {
	LoadNumbers() ([]config.Number, error)
	SaveNumber(n config.Number) error
	DeleteNumber(e164 string) error
}

// NumbersChanged is told the organization's whole set of numbers after it
// changes, so the meter rents the new ones and stops renewing removed ones.
type NumbersChanged func(ctx context.Context, numbers []config.Number) error

// AllNumbers is the config's numbers and those rented through the API.
func (sw *Switch) AllNumbers() []config.Number {
	sw.numbersMu.Lock()
	defer sw.numbersMu.Unlock()
	return append(slices.Clone(sw.cfgNumbers), sw.apiNumbers...)
}

// rebuild swaps in a directory of a new config (start, reload) plus the
// API's numbers.
func (sw *Switch) rebuild(cfg *config.Config) {
	sw.numbersMu.Lock()
	defer sw.numbersMu.Unlock()
	sw.dirCfg = cfg
	sw.cfgNumbers = slices.Clone(cfg.Numbers)
	sw.storeDirectoryLocked()
}

// numbersChanged swaps in a directory with the API's numbers as they are
// now, over the config last applied: the one the switch started with
// would undo a reload.
func (sw *Switch) numbersChanged() {
	sw.numbersMu.Lock()
	defer sw.numbersMu.Unlock()
	sw.storeDirectoryLocked()
}

// storeDirectoryLocked builds and swaps in the directory; the caller holds
// numbersMu, so a reload and an API change cannot store theirs out of
// order.
func (sw *Switch) storeDirectoryLocked() {
	merged := *sw.dirCfg
	merged.Numbers = append(slices.Clone(sw.dirCfg.Numbers), sw.apiNumbers...)
	sw.dir.Store(newDirectory(&merged, sw.cfg.SIP.Domain))
}

// ListedNumber is one of the organization's numbers and where it comes
// from: "config" or "api".
type ListedNumber struct {
	config.Number
	Source string `json:"source"`
}

// Numbers are the organization's numbers: the config's, then those added
// through the API.
func (sw *Switch) Numbers() []ListedNumber {
	sw.numbersMu.Lock()
	defer sw.numbersMu.Unlock()
	out := []ListedNumber{}
	for _, n := range sw.cfgNumbers {
		out = append(out, ListedNumber{n, "config"})
	}
	for _, n := range sw.apiNumbers {
		out = append(out, ListedNumber{n, "api"})
	}
	return out
}

// AddNumber adds a number {"number":"+1...","user":"1001"} (or "group")
// to the organization: it is rented (and charged) now and rings its
// owner. It returns the number as stored (E.164, country, type).
func (sw *Switch) AddNumber(ctx context.Context, n config.Number) (config.Number, error) {
	e164, err := phone.Normalize(n.Number, "")
	if err != nil {
		return n, withKind(ErrInvalid, fmt.Errorf("number: %w", err))
	}
	n.Number = e164
	info := phone.Lookup(e164)
	country, typ := info.Country, string(info.Type.Plan())
	if n.Country == "" {
		n.Country = country
	}
	if n.Type == "" {
		n.Type = typ
	}
	dir := sw.directory()
	groupMembers, _ := dir.Group(n.Group) // nil: no such group (or one with nobody in it)
	switch {
	case !strings.EqualFold(n.Country, country):
		err = fmt.Errorf("country: %s is a %s number", e164, country)
	case n.Type != config.TypeLocal && n.Type != config.TypeMobile && n.Type != config.TypeTollFree:
		err = fmt.Errorf("type: %q is not local, mobile or toll-free", n.Type)
	case (n.User == "") == (n.Group == ""):
		err = fmt.Errorf("owner: give a user or a group")
	case n.User != "" && dir.User(n.User) == nil:
		err = fmt.Errorf("user: no user %q", n.User)
	case n.Group != "" && groupMembers == nil:
		err = fmt.Errorf("group: no group %q", n.Group)
	case dir.Number(e164) != nil:
		return n, withKind(ErrConflict, fmt.Errorf("number %s is already the organization's", e164))
	}
	if err != nil {
		return n, withKind(ErrInvalid, err)
	}
	owners := []*user{dir.User(n.User)}
	if n.Group != "" {
		owners = dir.OwnerUsers(&n)
	}
	if err := sw.checkForwarding(n.Forwarding, owners); err != nil {
		return n, err // before renting: a refused number costs nothing
	}
	if u := dir.User(n.User); u != nil {
		n.User = u.Extension
	}
	if sw.numberStore != nil {
		if err := sw.numberStore.SaveNumber(n); err != nil {
			return n, err
		}
	}
	sw.numbersMu.Lock()
	sw.apiNumbers = append(sw.apiNumbers, n)
	sw.numbersMu.Unlock()
	sw.numbersChanged()
	if sw.onNumbers != nil {
		if err := sw.onNumbers(ctx, sw.AllNumbers()); err != nil {
			sw.log.Warn("rent number", "number", e164, "error", err) // flagged and retried by the meter
		}
	}
	sw.log.Info("number added", "number", e164, "user", n.User, "group", n.Group)
	return n, nil
}

// RemoveNumber removes a number added through the API: it stops ringing
// and is not renewed.
func (sw *Switch) RemoveNumber(ctx context.Context, number string) error {
	e164, err := phone.Normalize(number, "")
	if err != nil {
		return withKind(ErrInvalid, err)
	}
	sw.numbersMu.Lock()
	i := slices.IndexFunc(sw.apiNumbers, func(n config.Number) bool { return n.Number == e164 })
	if i >= 0 {
		sw.apiNumbers = slices.Delete(sw.apiNumbers, i, i+1)
	}
	sw.numbersMu.Unlock()
	if i < 0 {
		return withKind(ErrNotFound, fmt.Errorf("%s was not added through the API (config numbers are removed in the config)", e164))
	}
	if sw.numberStore != nil {
		if err := sw.numberStore.DeleteNumber(e164); err != nil {
			return err
		}
	}
	sw.numbersChanged()
	if sw.onNumbers != nil {
		if err := sw.onNumbers(ctx, sw.AllNumbers()); err != nil {
			sw.log.Warn("release number", "number", e164, "error", err)
		}
	}
	return nil
}
