package sip

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/jsonbody"
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

// handleListNumbers serves GET /v1/numbers.
func (sw *Switch) handleListNumbers(w http.ResponseWriter, r *http.Request) {
	type number struct {
		config.Number
		Source string `json:"source"`
	}
	sw.numbersMu.Lock()
	out := []number{}
	for _, n := range sw.cfgNumbers {
		out = append(out, number{n, "config"})
	}
	for _, n := range sw.apiNumbers {
		out = append(out, number{n, "api"})
	}
	sw.numbersMu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// handleAddNumber serves POST /v1/numbers {"number":"+1...","user":"1001"}
// (or "group"): the number is rented (and charged) now and rings its owner.
func (sw *Switch) handleAddNumber(w http.ResponseWriter, r *http.Request) {
	var n config.Number
	if err := jsonbody.Read(w, r, &n); err != nil {
		writeJSONError(w, http.StatusBadRequest, fmt.Errorf("number: %w", err))
		return
	}
	e164, err := phone.Normalize(n.Number, "")
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, fmt.Errorf("number: %w", err))
		return
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
	switch {
	case !strings.EqualFold(n.Country, country):
		err = fmt.Errorf("country: %s is a %s number", e164, country)
	case n.Type != config.TypeLocal && n.Type != config.TypeMobile && n.Type != config.TypeTollFree:
		err = fmt.Errorf("type: %q is not local, mobile or toll-free", n.Type)
	case (n.User == "") == (n.Group == ""):
		err = fmt.Errorf("owner: give a user or a group")
	case n.User != "" && dir.user(n.User) == nil:
		err = fmt.Errorf("user: no user %q", n.User)
	case n.Group != "" && dir.groups[n.Group] == nil:
		err = fmt.Errorf("group: no group %q", n.Group)
	case dir.numbers[e164] != nil:
		writeJSONError(w, http.StatusConflict, fmt.Errorf("number %s is already the organization's", e164))
		return
	}
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	owners := []*user{dir.user(n.User)}
	if n.Group != "" {
		owners = dir.ownerUsers(&n)
	}
	if !sw.checkForwardingRequest(w, n.Forwarding, owners) {
		return // before renting: a refused number costs nothing
	}
	if u := dir.user(n.User); u != nil {
		n.User = u.Extension
	}
	if sw.numberStore != nil {
		if err := sw.numberStore.SaveNumber(n); err != nil {
			writeJSONError(w, http.StatusInternalServerError, err)
			return
		}
	}
	sw.numbersMu.Lock()
	sw.apiNumbers = append(sw.apiNumbers, n)
	sw.numbersMu.Unlock()
	sw.numbersChanged()
	if sw.onNumbers != nil {
		if err := sw.onNumbers(r.Context(), sw.AllNumbers()); err != nil {
			sw.log.Warn("rent number", "number", e164, "error", err) // flagged and retried by the meter
		}
	}
	sw.log.Info("number added", "number", e164, "user", n.User, "group", n.Group)
	writeJSON(w, http.StatusCreated, n)
}

// handleDeleteNumber serves DELETE /v1/numbers/{number} for numbers added
// through the API: the number stops ringing and is not renewed.
func (sw *Switch) handleDeleteNumber(w http.ResponseWriter, r *http.Request) {
	e164, err := phone.Normalize(r.PathValue("number"), "")
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	sw.numbersMu.Lock()
	i := slices.IndexFunc(sw.apiNumbers, func(n config.Number) bool { return n.Number == e164 })
	if i >= 0 {
		sw.apiNumbers = slices.Delete(sw.apiNumbers, i, i+1)
	}
	sw.numbersMu.Unlock()
	if i < 0 {
		writeJSONError(w, http.StatusNotFound, fmt.Errorf("%s was not added through the API (config numbers are removed in the config)", e164))
		return
	}
	if sw.numberStore != nil {
		if err := sw.numberStore.DeleteNumber(e164); err != nil {
			writeJSONError(w, http.StatusInternalServerError, err)
			return
		}
	}
	sw.numbersChanged()
	if sw.onNumbers != nil {
		if err := sw.onNumbers(r.Context(), sw.AllNumbers()); err != nil {
			sw.log.Warn("release number", "number", e164, "error", err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}
