package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/dialtone/dialtone/config"
)

// NumbersChanged is told the organization's whole set of numbers after it
// changes, so the meter rents the new ones and stops renewing removed ones.
type NumbersChanged func(ctx context.Context, numbers []config.Number) error

// OrganizationOptions are an Organization's collaborators.
type OrganizationOptions struct {
	// HA1 hashes each user's password for digest authentication (the
	// SIP realm's); required.
	HA1 HashFunc
	// Numbers keeps numbers rented through the API (nil: in memory).
	Numbers NumberStore
	// Forwarding keeps forwarding rules set through the API (nil: in
	// memory).
	Forwarding ForwardingStore
	// NumbersChanged is told the whole set of numbers when the API adds
	// or removes one and on each reload (nil: nobody).
	NumbersChanged NumbersChanged
	Logger         *slog.Logger
}

// Organization is the organization as it is now: the config applied last
// (start, Reload) with the numbers rented and the forwarding rules set
// through the API. Its Directory is swapped whole, in the order of the
// changes, whenever one of them changes, so a reader never sees half of
// two; the forwarding rules set through the API outlive a reload.
//
// It is the one place that owns them: the switch reads the Directory and
// the forwarding of the users it rings, the API changes numbers and
// forwarding here, and whoever rents numbers is told each new set.
type Organization struct {
	ha1     HashFunc
	log     *slog.Logger
	numbers *Numbers
	fwd     *Forwardings
	now     atomic.Pointer[Directory]

	// changeMu orders the changes of the numbers and the forwarding
	// rules (API, reload): each is checked against the directory the
	// change before it published, so two requests adding one number, or
	// a number added while a reload removes its owner, cannot both pass.
	changeMu sync.Mutex
	// notifyMu orders what NumbersChanged is told: each call reads the
	// set as it is then, so the last call told has the last set.
	notifyMu       sync.Mutex
	numbersChanged NumbersChanged
}

// NewOrganization applies cfg, a validated config, with the numbers and
// forwarding rules saved in the stores. It does not tell NumbersChanged:
// whoever rents numbers starts from AllNumbers.
func NewOrganization(cfg *config.Config, opts OrganizationOptions) (*Organization, error) {
	if opts.HA1 == nil {
		return nil, errors.New("new organization: an HA1 function is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	o := &Organization{ha1: opts.HA1, log: opts.Logger, numbersChanged: opts.NumbersChanged}
	var err error
	if o.numbers, err = newNumbers(opts.Numbers, o.publish); err != nil {
		return nil, err
	}
	o.numbers.apply(cfg)
	if o.fwd, err = LoadForwardings(opts.Forwarding, o.Directory()); err != nil {
		return nil, err
	}
	return o, nil
}

// publish swaps in the directory of a config with all the numbers;
// Numbers calls it in the order of the changes.
func (o *Organization) publish(merged *config.Config) { o.now.Store(New(merged, o.ha1)) }

// Directory is the organization's directory now. Keep the one asked for
// the rest of one decision.
func (o *Organization) Directory() *Directory { return o.now.Load() }

// Reload applies a new validated config: its users, numbers, groups,
// trunks, roles and forwarding, with the numbers rented through the API.
// Forwarding rules set through the API that the new permissions refuse
// are kept (a later reload may grant them back) and logged. NumbersChanged
// is told the new set.
func (o *Organization) Reload(ctx context.Context, cfg *config.Config) {
	o.changeMu.Lock()
	o.numbers.apply(cfg)
	refused := o.fwd.Refused(o.Directory())
	o.changeMu.Unlock()
	for _, r := range refused {
		o.log.Warn("forwarding set through the API is no longer permitted; calls will not be forwarded there",
			"user", r.User, "rule", r.Field, "target", r.Target, "reason", r.Reason, "permission", r.Rule)
	}
	if err := o.tellNumbers(ctx); err != nil {
		o.log.Warn("reload: sync numbers", "error", err)
	}
}

// Forwarding is the forwarding rules of a user (an extension or a name):
// set through the API, else the config's. Unknown users are ErrNotFound.
func (o *Organization) Forwarding(id string) (config.Forwarding, error) {
	u := o.Directory().User(id)
	if u == nil {
		return config.Forwarding{}, WithKind(ErrNotFound, fmt.Errorf("no user %q", id))
	}
	return o.fwd.Of(u), nil
}

// ForwardingOf is a user's forwarding: set through the API, else the
// config's.
func (o *Organization) ForwardingOf(u *User) config.Forwarding { return o.fwd.Of(u) }

// SetForwarding replaces a user's forwarding rules; empty rules clear
// them. Errors are ErrNotFound, ErrInvalid, a *ForwardingRefusedError or
// the store's.
func (o *Organization) SetForwarding(id string, f config.Forwarding) error {
	o.changeMu.Lock()
	defer o.changeMu.Unlock()
	d := o.Directory()
	u := d.User(id)
	if u == nil {
		return WithKind(ErrNotFound, fmt.Errorf("no user %q", id))
	}
	if err := o.fwd.Set(d, u, f); err != nil {
		return err
	}
	o.log.Info("forwarding updated", "user", u.Extension, "rules", f)
	return nil
}

// AllNumbers is the config's numbers and those rented through the API.
func (o *Organization) AllNumbers() []config.Number { return o.numbers.All() }

// Numbers are the organization's numbers: the config's, then those added
// through the API.
func (o *Organization) Numbers() []ListedNumber { return o.numbers.List() }

// AddNumber adds a number {"number":"+1...","user":"1001"} (or "group")
// to the organization: it rings its owner from now on and NumbersChanged
// rents it. It returns the number as stored (E.164, country, type).
// Errors are those of Numbers.Add.
func (o *Organization) AddNumber(ctx context.Context, n config.Number) (config.Number, error) {
	o.changeMu.Lock()
	n, err := o.numbers.Add(o.Directory(), n)
	o.changeMu.Unlock()
	if err != nil {
		return n, err
	}
	// The meter is told even if the request that made the change is gone.
	if err := o.tellNumbers(context.WithoutCancel(ctx)); err != nil {
		o.log.Warn("rent number", "number", n.Number, "error", err)
	}
	o.log.Info("number added", "number", n.Number, "user", n.User, "group", n.Group)
	return n, nil
}

// RemoveNumber removes a number added through the API: it stops ringing
// and is not renewed. Errors are those of Numbers.Remove.
func (o *Organization) RemoveNumber(ctx context.Context, number string) error {
	o.changeMu.Lock()
	e164, err := o.numbers.Remove(number)
	o.changeMu.Unlock()
	if err != nil {
		return err
	}
	if err := o.tellNumbers(context.WithoutCancel(ctx)); err != nil {
		o.log.Warn("release number", "number", e164, "error", err)
	}
	return nil
}

// tellNumbers tells NumbersChanged the numbers as they are now. A
// failure is the meter's to flag and retry: callers only log it.
func (o *Organization) tellNumbers(ctx context.Context) error {
	if o.numbersChanged == nil {
		return nil
	}
	o.notifyMu.Lock()
	defer o.notifyMu.Unlock()
	return o.numbersChanged(ctx, o.AllNumbers())
}
