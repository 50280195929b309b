package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.etcd.io/bbolt"

	"github.com/dialtone/dialtone/config"
)

// Option configures a Meter.
type Option func(*Meter)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(m *Meter) { m.log = l } }

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(m *Meter) { m.now = now } }

// Meter is one organization's prepaid meter, opened on one store: it
// builds the parts below on the same database and rate deck, reloads them
// together and charges each ended leg as the CDR store writes it. Callers
// take the part they need, behind an interface of their own:
//
//   - Credit: the balance legs may spend; authorizes a leg's first slice,
//     renews, releases (the switch, the call engine; /v1/balance).
//   - Ledger: postings and balances; top-ups, adjustments, usage,
//     verification (the API and the CLI).
//   - Rentals: the numbers' monthly rentals and their scheduler.
//   - Texts: prices, authorizes and charges texts (messaging).
//   - Rater: the rate deck in force (quotes).
//
// The meter itself only wires: one constructor that opens the ledger and
// posts the starting balance once, one Reload, one set of metrics.
type Meter struct {
	rater   *atomic.Pointer[Rater] // shared by the parts, swapped on Reload
	ledger  *Ledger
	credit  *Credit
	rentals *Rentals
	texts   *Texts
	log     *slog.Logger
	now     func() time.Time
	gauges  []prometheus.Collector
}

// NewMeter opens the ledger in db for cfg's organization, loads balances
// and posts the configured starting balance once (id "initial:<org>").
func NewMeter(db *bbolt.DB, cfg *config.Config, deck *Deck, opts ...Option) (*Meter, error) {
	if cfg.Organization.ID == "" {
		return nil, errors.New("new meter: organization id missing")
	}
	m := &Meter{rater: new(atomic.Pointer[Rater]), log: slog.Default(), now: time.Now}
	for _, o := range opts {
		o(m)
	}
	l, err := openLedger(db, cfg.Organization.ID, m.log, m.now)
	if err != nil {
		return nil, err
	}
	m.ledger = l
	m.credit = &Credit{ledger: l, rater: m.rater, res: make(map[string]*Reservation)}
	m.rentals = &Rentals{db: db, ledger: l, credit: m.credit, rater: m.rater, log: m.log, now: m.now}
	m.texts = &Texts{ledger: l, credit: m.credit, rater: m.rater, now: m.now}
	if err := m.Reload(cfg, deck); err != nil {
		return nil, err
	}
	m.initGauges()
	if sb := cfg.Organization.StartingBalance; sb.IsPositive() {
		p := Posting{ID: "initial:" + l.account, Account: l.account, Kind: PostTopUp, Amount: sb, Time: m.now(), Note: "starting balance"}
		if _, _, err := l.post(context.Background(), p); errors.Is(err, ErrPostingConflict) {
			m.log.Warn("starting_balance differs from the one posted at first start; use a top-up to change the balance", "error", err)
		} else if err != nil {
			return nil, fmt.Errorf("new meter: %w", err)
		}
	}
	l.resetLow()
	return m, nil
}

// Reload takes a new config and deck (on SIGHUP). The organization id
// cannot change while the meter is open.
func (m *Meter) Reload(cfg *config.Config, deck *Deck) error {
	if cfg.Organization.ID != m.ledger.account {
		return fmt.Errorf("reload meter: organization id changed from %q to %q", m.ledger.account, cfg.Organization.ID)
	}
	if deck == nil {
		var err error
		if deck, err = DeckForConfig(cfg); err != nil {
			return fmt.Errorf("reload meter: %w", err)
		}
	}
	cur := cfg.Organization.Currency
	if cur == "" {
		cur = deck.Currency()
	}
	if deck.Len() > 0 && deck.Currency() != cur {
		return fmt.Errorf("rate deck %s is in %s, the organization pays in %s", deck.Name(), deck.Currency(), cur)
	}
	m.rater.Store(NewRater(deck, cfg.Numbers))
	m.ledger.reload(cfg, cur)
	m.credit.reload(cfg)
	m.rentals.reload(cfg)
	return nil
}

// Credit is the balance legs may spend, and the reservations they hold.
func (m *Meter) Credit() *Credit { return m.credit }

// Ledger is the organization's postings and balances.
func (m *Meter) Ledger() *Ledger { return m.ledger }

// Rentals charges the organization's numbers.
func (m *Meter) Rentals() *Rentals { return m.rentals }

// Texts prices and charges texts.
func (m *Meter) Texts() *Texts { return m.texts }

// Rater is the rater of the current deck.
func (m *Meter) Rater() *Rater { return m.rater.Load() }

// postLeg rates cdr, sets cdr.Charge, and posts the charge inside tx, keyed
// by cdr.LegID (idempotent). It returns a func to run after tx commits
// (update the cached balance, release the leg's reservation). On error
// nothing has been written to tx for this cdr. Legs that cost nothing
// (unanswered, access legs, free rates) get no posting: their CDR carries
// a zero charge.
func (m *Meter) postLeg(tx *bbolt.Tx, cdr *CDR) (afterCommit func(), err error) {
	rt := m.rater.Load()
	charge, err := rt.RateCDR(cdr)
	if err != nil {
		return nil, err
	}
	legID := cdr.LegID
	if charge.Amount.IsZero() {
		cdr.Charge = charge
		return func() { m.credit.Release(legID) }, nil
	}
	at := cdr.EndedAt
	if at.IsZero() {
		at = m.now()
	}
	p := Posting{
		ID: "call:" + legID, Account: m.ledger.account, Kind: PostCall, Amount: charge.Amount.Neg(),
		Time: at, Ref: legID, User: cdr.User,
	}
	_, replay, err := m.ledger.postTx(tx, p)
	if err != nil {
		// The CDR must not show a charge the ledger does not hold.
		return nil, fmt.Errorf("post leg %s: %w", legID, err)
	}
	cdr.Charge = charge
	if replay {
		return func() { m.credit.Release(legID) }, nil
	}
	return func() { m.credit.settle(p, legID) }, nil
}

func (m *Meter) initGauges() {
	labels := prometheus.Labels{"organization": m.ledger.account}
	m.gauges = []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "dialtone_billing_balance",
			Help:        "Prepaid balance of the organization, in its currency.",
			ConstLabels: labels,
		}, func() float64 { return m.credit.Info().Balance.InexactFloat64() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "dialtone_billing_reserved",
			Help:        "Credit reserved by legs in progress.",
			ConstLabels: labels,
		}, func() float64 { return m.credit.Info().Reserved.InexactFloat64() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "dialtone_billing_low_balance",
			Help:        "1 while the balance is below the organization's low_balance threshold.",
			ConstLabels: labels,
		}, func() float64 {
			if m.credit.Info().Low {
				return 1
			}
			return 0
		}),
	}
}

// Collectors are the meter's Prometheus metrics, for the caller to register.
func (m *Meter) Collectors() []prometheus.Collector {
	return append([]prometheus.Collector{m.ledger.postings}, m.gauges...)
}
