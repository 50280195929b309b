package sip

import (
	"context"

	"github.com/dialtone/dialtone/config"
	orgdir "github.com/dialtone/dialtone/directory"
)

// NumberStore keeps the phone numbers rented through the API.
type NumberStore = orgdir.NumberStore

// ListedNumber is one of the organization's numbers and where it comes
// from: "config" or "api".
type ListedNumber = orgdir.ListedNumber

// NumbersChanged is told the organization's whole set of numbers after it
// changes, so the meter rents the new ones and stops renewing removed ones.
type NumbersChanged func(ctx context.Context, numbers []config.Number) error

// AllNumbers is the config's numbers and those rented through the API.
func (sw *Switch) AllNumbers() []config.Number { return sw.numbers.All() }

// Numbers are the organization's numbers: the config's, then those added
// through the API.
func (sw *Switch) Numbers() []ListedNumber { return sw.numbers.List() }

// rebuild swaps in a directory of a new config (start, reload) plus the
// API's numbers.
func (sw *Switch) rebuild(cfg *config.Config) { sw.numbers.Apply(cfg) }

// publishDirectory swaps in the directory of a config with all the
// numbers; package directory's Numbers calls it in the order of changes.
func (sw *Switch) publishDirectory(merged *config.Config) {
	sw.dir.Store(newDirectory(merged, sw.cfg.SIP.Domain))
}

// AddNumber adds a number {"number":"+1...","user":"1001"} (or "group")
// to the organization: it is rented (and charged) now and rings its
// owner. It returns the number as stored (E.164, country, type).
func (sw *Switch) AddNumber(ctx context.Context, n config.Number) (config.Number, error) {
	n, err := sw.numbers.Add(sw.directory().org(), n)
	if err != nil {
		return n, err
	}
	sw.numbersChanged(ctx, "rent number", n.Number)
	sw.log.Info("number added", "number", n.Number, "user", n.User, "group", n.Group)
	return n, nil
}

// RemoveNumber removes a number added through the API: it stops ringing
// and is not renewed.
func (sw *Switch) RemoveNumber(ctx context.Context, number string) error {
	e164, err := sw.numbers.Remove(number)
	if err != nil {
		return err
	}
	sw.numbersChanged(ctx, "release number", e164)
	return nil
}

// numbersChanged tells the meter the numbers as they are now; a failure
// is flagged and retried by the meter.
func (sw *Switch) numbersChanged(ctx context.Context, what, e164 string) {
	if sw.onNumbers == nil {
		return
	}
	if err := sw.onNumbers(ctx, sw.AllNumbers()); err != nil {
		sw.log.Warn(what, "number", e164, "error", err)
	}
}
