package billing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"
	"go.etcd.io/bbolt"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/money"
)

// CreditError is the ErrInsufficientCredit a refused authorization
// returns; its text says why in words a user can read.
type CreditError struct {
	Available decimal.Decimal // balance minus open reservations
	Needed    decimal.Decimal // the first increment's charge
	Currency  string
	What      string // "the first minute of a call to +61..."
}

func (e *CreditError) Error() string {
	return fmt.Sprintf("insufficient credit: %s %s available cannot pay %s (%s %s)",
		e.Available.StringFixed(2), e.Currency, e.What, e.Needed, e.Currency)
}

// Is makes errors.Is(err, ErrInsufficientCredit) hold.
func (e *CreditError) Is(target error) bool { return target == ErrInsufficientCredit }

// LegRequest is a leg the switch is about to start.
type LegRequest struct {
	LegID       string
	CallID      string
	Class       Class
	From        string
	To          string
	CallerID    string
	PhoneNumber string
	User        string
}

// LegRequestFromCDR is the request for a leg the switch describes by its
// (not yet ended) CDR.
func LegRequestFromCDR(cdr *CDR) LegRequest {
	return LegRequest{
		LegID: cdr.LegID, CallID: cdr.CallID, Class: cdr.BillingClass, From: cdr.From, To: cdr.To,
		CallerID: cdr.CallerID, PhoneNumber: cdr.PhoneNumber, User: cdr.User,
	}
}

// The CDR store posts through the meter.
var _ LegPoster = (*Meter)(nil)

// Option configures a Meter.
type Option func(*Meter)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(m *Meter) { m.log = l } }

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(m *Meter) { m.now = now } }

// Meter rates, authorizes and posts usage against one organization's
// prepaid balance. Balances are cached in memory (loaded at open) so that
// Authorize never touches the disk. Reservations live only in memory: a
// crash releases them all, which is right because the legs they held
// died with the process.
type Meter struct {
	ledger *Ledger
	db     *bbolt.DB
	rater  atomic.Pointer[Rater]
	log    *slog.Logger
	now    func() time.Time

	account  string
	currency string

	mu         sync.Mutex
	balances   map[string]decimal.Decimal
	reserved   decimal.Decimal
	res        map[string]*Reservation
	lowBalance decimal.Decimal
	low        bool
	grace      time.Duration
	maxTopUp   decimal.Decimal
	slice      time.Duration // billing.reservation_slice

	rentalMu sync.Mutex // one rental pass at a time

	postings *prometheus.CounterVec
	gauges   []prometheus.Collector
}

// NewMeter opens the ledger in db for cfg's organization, loads balances
// and posts the configured starting balance once (id "initial:<org>").
func NewMeter(db *bbolt.DB, cfg *config.Config, deck *Deck, opts ...Option) (*Meter, error) {
	if cfg.Organization.ID == "" {
		return nil, errors.New("new meter: organization id missing")
	}
	l, err := OpenLedger(db)
	if err != nil {
		return nil, err
	}
	m := &Meter{
		ledger:   l,
		db:       db,
		log:      slog.Default(),
		now:      time.Now,
		account:  cfg.Organization.ID,
		currency: cfg.Organization.Currency,
		res:      make(map[string]*Reservation),
	}
	for _, o := range opts {
		o(m)
	}
	if err := m.Reload(cfg, deck); err != nil {
		return nil, err
	}
	if m.balances, err = l.Balances(); err != nil {
		return nil, fmt.Errorf("new meter: %w", err)
	}
	m.initMetrics()
	if sb := cfg.Organization.StartingBalance; sb.IsPositive() {
		p := Posting{ID: "initial:" + m.account, Account: m.account, Kind: PostTopUp, Amount: sb, Time: m.now(), Note: "starting balance"}
		if _, _, err := m.post(context.Background(), p); errors.Is(err, ErrPostingConflict) {
			m.log.Warn("starting_balance differs from the one posted at first start; use a top-up to change the balance", "error", err)
		} else if err != nil {
			return nil, fmt.Errorf("new meter: %w", err)
		}
	}
	m.mu.Lock()
	m.low = m.isLow()
	m.mu.Unlock()
	return m, nil
}

// Reload takes a new config and deck (on SIGHUP). The organization id
// cannot change while the meter is open.
func (m *Meter) Reload(cfg *config.Config, deck *Deck) error {
	if cfg.Organization.ID != m.account {
		return fmt.Errorf("reload meter: organization id changed from %q to %q", m.account, cfg.Organization.ID)
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
	m.mu.Lock()
	m.currency = cur
	m.lowBalance = cfg.Organization.LowBalance
	m.grace = cfg.Billing.RentalGrace.Duration
	m.maxTopUp = cfg.Billing.MaxTopUp
	if !m.maxTopUp.IsPositive() { // a config built in code
		m.maxTopUp = config.DefaultMaxTopUp
	}
	if m.grace <= 0 {
		m.grace = DefaultRentalGrace
	}
	m.slice = cfg.Billing.ReservationSlice.Duration
	if m.slice <= 0 {
		m.slice = config.DefaultReservationSlice
	}
	m.mu.Unlock()
	return nil
}

// Rater is the rater of the current deck.
func (m *Meter) Rater() *Rater { return m.rater.Load() }

// Ledger is the meter's ledger.
func (m *Meter) Ledger() *Ledger { return m.ledger }

// Account is the organization's account id.
func (m *Meter) Account() string { return m.account }

// Currency is the organization's currency.
func (m *Meter) Currency() string { return m.currency }

// PostLeg rates cdr, sets cdr.Charge, and posts the charge inside tx, keyed
// by cdr.LegID (idempotent). It returns a func to run after tx commits
// (update the cached balance, release the leg's reservation). On error
// nothing has been written to tx for this cdr. Legs that cost nothing
// (unanswered, access legs, free rates) get no posting: their CDR carries
// a zero charge.
func (m *Meter) PostLeg(tx *bbolt.Tx, cdr *CDR) (afterCommit func(), err error) {
	rt := m.rater.Load()
	charge, err := rt.RateCDR(cdr)
	if err != nil {
		return nil, err
	}
	legID := cdr.LegID
	if charge.Amount.IsZero() {
		cdr.Charge = charge
		return func() { m.Release(legID) }, nil
	}
	at := cdr.EndedAt
	if at.IsZero() {
		at = m.now()
	}
	p := Posting{
		ID: "call:" + legID, Account: m.account, Kind: PostCall, Amount: charge.Amount.Neg(),
		Time: at, Ref: legID, User: cdr.User,
	}
	_, replay, err := m.ledger.PostTx(tx, p)
	if err != nil {
		// The CDR must not show a charge the ledger does not hold.
		return nil, fmt.Errorf("post leg %s: %w", legID, err)
	}
	cdr.Charge = charge
	if replay {
		return func() { m.Release(legID) }, nil
	}
	return func() { m.applied(p.Account, p.Kind, p.Amount, legID) }, nil
}

// applied updates the cache after a commit. Releasing the leg in the same
// critical section keeps balance − reserved from ever overstating credit.
func (m *Meter) applied(account string, kind PostingKind, amount decimal.Decimal, legID string) {
	m.mu.Lock()
	m.balances[account] = m.balances[account].Add(amount)
	if legID != "" {
		m.releaseLocked(legID)
	}
	crossed, low := m.checkLowLocked()
	bal := m.balances[m.account]
	m.mu.Unlock()
	m.postings.WithLabelValues(string(kind)).Inc()
	if crossed {
		if low {
			m.log.Warn("balance below the low-balance threshold", "account", m.account, "balance", bal.String(), "threshold", m.lowBalance.String(), "currency", m.currency)
		} else {
			m.log.Info("balance back above the low-balance threshold", "account", m.account, "balance", bal.String())
		}
	}
}

func (m *Meter) isLow() bool {
	return m.lowBalance.IsPositive() && m.balances[m.account].LessThan(m.lowBalance)
}

func (m *Meter) checkLowLocked() (crossed, low bool) {
	low = m.isLow()
	crossed = low != m.low
	m.low = low
	return crossed, low
}

// post writes one posting in its own transaction and updates the cache.
func (m *Meter) post(ctx context.Context, p Posting) (Posting, bool, error) {
	if err := ctx.Err(); err != nil {
		return Posting{}, false, err
	}
	var stored Posting
	var replay bool
	err := m.db.Update(func(tx *bbolt.Tx) error {
		var err error
		stored, replay, err = m.ledger.PostTx(tx, p)
		return err
	})
	if err != nil {
		return stored, false, err
	}
	if !replay {
		m.applied(stored.Account, stored.Kind, stored.Amount, "")
	}
	return stored, replay, nil
}

// TopUp credits amount to the organization's balance. key makes it
// idempotent: the same key again returns the first top-up (replay=true);
// with another amount it is ErrPostingConflict.
func (m *Meter) TopUp(ctx context.Context, key string, amount decimal.Decimal, note string) (p Posting, replay bool, err error) {
	if key == "" {
		return Posting{}, false, errors.New("top-up: idempotency key missing")
	}
	m.mu.Lock()
	limit := m.maxTopUp
	m.mu.Unlock()
	if err := money.CheckAmount(amount, m.Currency(), limit); err != nil {
		return Posting{}, false, fmt.Errorf("top-up %s: %w: %w", key, ErrBadAmount, err)
	}
	p, replay, err = m.post(ctx, Posting{
		ID: "topup:" + key, Account: m.account, Kind: PostTopUp, Amount: amount, Time: m.now(), Note: note,
	})
	if err != nil {
		return p, false, fmt.Errorf("top-up %s: %w", key, err)
	}
	return p, replay, nil
}

// Adjust posts a refund (positive) or a correction (either sign), keyed
// by key. It is how a wrong charge is undone: postings are never edited.
func (m *Meter) Adjust(ctx context.Context, kind PostingKind, key string, amount decimal.Decimal, ref, note string) (Posting, bool, error) {
	switch {
	case kind != PostRefund && kind != PostCorrection:
		return Posting{}, false, fmt.Errorf("adjust %s: kind %q is not refund or correction", key, kind)
	case key == "":
		return Posting{}, false, errors.New("adjust: idempotency key missing")
	case amount.IsZero(), kind == PostRefund && amount.IsNegative():
		return Posting{}, false, fmt.Errorf("adjust %s: amount %s is not a valid %s", key, amount, kind)
	}
	p, replay, err := m.post(ctx, Posting{
		ID: string(kind) + ":" + key, Account: m.account, Kind: kind, Amount: amount, Time: m.now(), Ref: ref, Note: note,
	})
	if err != nil {
		return p, false, fmt.Errorf("adjust %s: %w", key, err)
	}
	return p, replay, nil
}

// Balance is an account's cached balance.
func (m *Meter) Balance(account string) decimal.Decimal {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.balances[account]
}

// BalanceInfo is the organization's balance as the API shows it.
type BalanceInfo struct {
	Account    string          `json:"organization"`
	Balance    decimal.Decimal `json:"balance"`
	Reserved   decimal.Decimal `json:"reserved"`
	Available  decimal.Decimal `json:"available"`
	Currency   string          `json:"currency"`
	LowBalance decimal.Decimal `json:"low_balance_threshold"`
	Low        bool            `json:"low"`
}

// Info returns the organization's balance, reservations and threshold.
func (m *Meter) Info() BalanceInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.infoLocked()
}

func (m *Meter) infoLocked() BalanceInfo {
	b := m.balances[m.account]
	return BalanceInfo{
		Account: m.account, Balance: b, Reserved: m.reserved, Available: b.Sub(m.reserved),
		Currency: m.currency, LowBalance: m.lowBalance, Low: m.low,
	}
}

// Verify recomputes every balance from its postings and compares it with
// the stored and the cached balance.
func (m *Meter) Verify() (*VerifyReport, error) {
	rep, err := m.ledger.Verify()
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rep.currency = m.currency
	seen := map[string]bool{}
	for i := range rep.Differences {
		d := &rep.Differences[i]
		d.Memory = m.balances[d.Account]
		seen[d.Account] = true
	}
	for acct, stored := range rep.Balances {
		if mem := m.balances[acct]; !seen[acct] && !mem.Equal(stored) {
			rep.Differences = append(rep.Differences, Difference{Account: acct, Stored: stored, Computed: stored, Memory: mem})
		}
	}
	return rep, nil
}

// Postings lists the organization's postings in [from, to) (zero: open),
// the newest limit of them when limit > 0.
func (m *Meter) Postings(from, to time.Time, limit int) ([]Posting, error) {
	ps, err := m.ledger.Postings(PostingFilter{Account: m.account, From: from, To: to, Limit: limit})
	for i := range ps {
		ps[i].currency = m.currency
	}
	return ps, err
}

// Usage groupings.
const (
	GroupByUser = "user"
	GroupByKind = "kind"
	GroupByDay  = "day"

	// UsageOrganization is the group_by=user group of postings that are
	// no user's: top-ups, adjustments, rentals of group numbers.
	UsageOrganization = "organization"
)

// UsageRow totals one group's postings. Costs are positive.
type UsageRow struct {
	Group       string          `json:"group"`
	Calls       decimal.Decimal `json:"calls"`
	Numbers     decimal.Decimal `json:"numbers"`
	Texts       decimal.Decimal `json:"texts"`
	Total       decimal.Decimal `json:"total"`       // calls + numbers + texts
	Adjustments decimal.Decimal `json:"adjustments"` // refunds and corrections, as credited
	TopUps      decimal.Decimal `json:"topups"`
	Postings    int             `json:"postings"`

	currency string // amounts print with its decimals
}

// Usage totals the organization's postings in [from, to) by user, kind
// or day (UTC).
func (m *Meter) Usage(from, to time.Time, groupBy string) ([]UsageRow, error) {
	key := func(p *Posting) string { return "" }
	switch groupBy {
	case GroupByUser:
		// Top-ups, refunds and group numbers' rentals are nobody's
		// usage: they are the organization's, and say so rather than
		// show an empty group.
		key = func(p *Posting) string { return cmp.Or(p.User, UsageOrganization) }
	case GroupByKind:
		key = func(p *Posting) string { return string(p.Kind) }
	case GroupByDay:
		key = func(p *Posting) string { return p.Time.UTC().Format(time.DateOnly) }
	case "":
	default:
		return nil, fmt.Errorf("usage: group_by %q is not user, kind or day", groupBy)
	}
	ps, err := m.Postings(from, to, 0)
	if err != nil {
		return nil, fmt.Errorf("usage: %w", err)
	}
	rows := map[string]*UsageRow{}
	for i := range ps {
		p := &ps[i]
		k := key(p)
		r := rows[k]
		if r == nil {
			r = &UsageRow{Group: k, currency: m.currency}
			rows[k] = r
		}
		r.Postings++
		cost := p.Amount.Neg()
		switch p.Kind {
		case PostCall:
			r.Calls = r.Calls.Add(cost)
		case PostNumber:
			r.Numbers = r.Numbers.Add(cost)
		case PostText:
			r.Texts = r.Texts.Add(cost)
		case PostTopUp:
			r.TopUps = r.TopUps.Add(p.Amount)
		default:
			r.Adjustments = r.Adjustments.Add(p.Amount)
		}
	}
	out := make([]UsageRow, 0, len(rows))
	for _, r := range rows {
		r.Total = r.Calls.Add(r.Numbers).Add(r.Texts)
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Group < out[j].Group })
	return out, nil
}

func (m *Meter) initMetrics() {
	labels := prometheus.Labels{"organization": m.account}
	m.postings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name:        "dialtone_billing_postings_total",
		Help:        "Ledger postings written, by kind.",
		ConstLabels: labels,
	}, []string{"kind"})
	for _, k := range postingKinds {
		m.postings.WithLabelValues(string(k))
	}
	m.gauges = []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "dialtone_billing_balance",
			Help:        "Prepaid balance of the organization, in its currency.",
			ConstLabels: labels,
		}, func() float64 { return m.Info().Balance.InexactFloat64() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "dialtone_billing_reserved",
			Help:        "Credit reserved by legs in progress.",
			ConstLabels: labels,
		}, func() float64 { return m.Info().Reserved.InexactFloat64() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "dialtone_billing_low_balance",
			Help:        "1 while the balance is below the organization's low_balance threshold.",
			ConstLabels: labels,
		}, func() float64 {
			if m.Info().Low {
				return 1
			}
			return 0
		}),
	}
}

// Collectors are the meter's Prometheus metrics, for the caller to register.
func (m *Meter) Collectors() []prometheus.Collector {
	return append([]prometheus.Collector{m.postings}, m.gauges...)
}
