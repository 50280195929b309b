package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
	"go.etcd.io/bbolt"

	"github.com/dialtone/dialtone/config"
)

// DefaultRentalGrace is how long a removed number can be restored when the
// config does not say: a month covers a mistake noticed at the next bill,
// and carriers typically keep a released number in quarantine that long.
const DefaultRentalGrace = 30 * 24 * time.Hour

// RentalTick is how often Rentals.Run looks for due renewals.
const RentalTick = time.Minute

// RenewalDates returns the first n renewal days of a number rented on
// rented's calendar day: the day before the rental day in each following
// month (rented Jan 2 → Feb 1, Mar 1, ...). Rented on the 1st, that is the
// last day of each month, starting with the rental month (Mar 1 → Mar 31,
// Apr 30, ...). When the day does not exist in a month, the renewal is on
// that month's last day, and the anchor does not drift after a short month
// (Jan 31 → Feb 28, Mar 30, Apr 30). Dates are midnight in rented's
// location.
func RenewalDates(rented time.Time, n int) []time.Time {
	out := make([]time.Time, 0, max(n, 0))
	for k := 1; k <= n; k++ {
		out = append(out, renewalDate(rented, k))
	}
	return out
}

// renewalDate is the k-th renewal (k >= 1).
func renewalDate(rented time.Time, k int) time.Time {
	y, mo, d := rented.Date()
	loc := rented.Location()
	if d == 1 {
		// Day 0 of the next month is the last day of this one.
		return time.Date(y, mo+time.Month(k), 0, 0, 0, 0, 0, loc)
	}
	month := mo + time.Month(k)
	last := time.Date(y, month+1, 0, 0, 0, 0, 0, loc).Day()
	return time.Date(y, month, min(d-1, last), 0, 0, 0, 0, loc)
}

// periodStart is the day period k of a rental is charged: the rental day,
// then each renewal.
func periodStart(rented time.Time, k int) time.Time {
	if k == 0 {
		y, m, d := rented.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, rented.Location())
	}
	return renewalDate(rented, k)
}

// currentPeriod is the last period started on or before day.
func currentPeriod(rented, day time.Time) int {
	if day.Before(periodStart(rented, 0)) {
		return 0
	}
	// About one period a month: jump close, then step.
	k := max((day.Year()-rented.Year())*12+int(day.Month()-rented.Month())-1, 0)
	for k > 0 && periodStart(rented, k).After(day) {
		k--
	}
	for !periodStart(rented, k+1).After(day) {
		k++
	}
	return k
}

// RentalStatus is where a number's rental stands.
type RentalStatus string

// Rental statuses.
const (
	RentalActive RentalStatus = "active"
	// RentalUnpaid: a due charge could not be paid (or priced); it is
	// retried at every tick and the number is flagged until it is.
	RentalUnpaid RentalStatus = "unpaid"
	// RentalRemoved: gone from the config, not renewed, restorable without
	// a new charge until the grace period ends.
	RentalRemoved RentalStatus = "removed"
	// RentalReleased: removed past the grace period; adding the number
	// again starts a new rental.
	RentalReleased RentalStatus = "released"
)

// Rental is a number's rental record.
type Rental struct {
	Number  string     `json:"number"` // E.164
	Country string     `json:"country"`
	Type    NumberType `json:"type"`
	User    string     `json:"user,omitempty"`
	Group   string     `json:"group,omitempty"`
	Rented  string     `json:"rented"` // YYYY-MM-DD, the renewal anchor
	// Periods is the next period to charge: period 0 starts on the rental
	// day, period k on the k-th renewal.
	Periods int `json:"periods"`
	// FirstPeriod is the first period this switch charged: a number first
	// seen with a past rental day is charged from its current period on,
	// not for months it was never metered here.
	FirstPeriod int             `json:"first_period"`
	Status      RentalStatus    `json:"status"`
	RemovedAt   *time.Time      `json:"removed_at,omitempty"`
	LastCharge  decimal.Decimal `json:"last_charge"`
	Problem     string          `json:"problem,omitempty"`

	// Computed when listed.
	NextDue     string `json:"next_due,omitempty"`
	PaidThrough string `json:"paid_through,omitempty"`

	// currency, when set (as the meter lists rentals), makes the JSON
	// print amounts with its decimals; the stored form leaves it out.
	currency string
}

func (r *Rental) rentedDay() time.Time {
	t, err := time.Parse(time.DateOnly, r.Rented)
	if err != nil {
		return time.Time{}
	}
	return t
}

func (r *Rental) fill() {
	rented := r.rentedDay()
	if r.Status != RentalReleased {
		r.NextDue = periodStart(rented, r.Periods).Format(time.DateOnly)
	}
	if r.Periods > r.FirstPeriod {
		r.PaidThrough = periodStart(rented, r.Periods).AddDate(0, 0, -1).Format(time.DateOnly)
	}
}

func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func rentalID(number string, start time.Time) string {
	return "rental:" + number + ":" + start.Format(time.DateOnly)
}

// Rentals charges the organization's numbers their monthly rental, from
// the ledger's balance, a period at a time and exactly once (rental:<number>:<period start>).
type Rentals struct {
	db     *bbolt.DB
	ledger *Ledger
	credit *Credit // a renewal leaves what calls in progress hold
	rater  *atomic.Pointer[Rater]
	log    *slog.Logger
	now    func() time.Time
	grace  atomic.Int64 // billing.rental_grace, a time.Duration

	mu sync.Mutex // one rental pass at a time
}

// reload takes a new config's grace period.
func (rs *Rentals) reload(cfg *config.Config) {
	grace := cfg.Billing.RentalGrace.Duration
	if grace <= 0 {
		grace = DefaultRentalGrace
	}
	rs.grace.Store(int64(grace))
}

// SyncNumbers brings rentals in line with the config's numbers (at start
// and on reload): a new number is rented and charged its first month, a
// number removed from the config is no longer renewed, one re-added within
// the grace period is restored without a new charge (renewals it missed
// while removed are charged as they fell due), and one re-added after it
// is a new rental. It then charges whatever is due.
func (rs *Rentals) SyncNumbers(ctx context.Context, numbers []config.Number, now time.Time) error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	today := day(now)
	grace := time.Duration(rs.grace.Load())
	rt := rs.rater.Load()

	type event struct{ msg, number string }
	var events []event
	err := rs.db.Update(func(tx *bbolt.Tx) error {
		events = events[:0]
		b := tx.Bucket(bucketRentals)
		existing, err := loadRentals(b)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, n := range numbers {
			d, ok := Digits(n.Number)
			if !ok {
				return fmt.Errorf("number %q is not E.164", n.Number)
			}
			e164 := "+" + d
			seen[e164] = true
			info, _ := rt.Classify(e164)
			country, typ := info.Country, info.Type
			if n.Country != "" {
				country = strings.ToUpper(n.Country)
			}
			if n.Type != "" {
				if t, err := ParseNumberType(n.Type); err == nil {
					typ = t
				}
			}
			r, ok := existing[e164]
			expired := ok && r.Status == RentalRemoved && r.RemovedAt != nil && now.Sub(*r.RemovedAt) > grace
			switch {
			case !ok || r.Status == RentalReleased || expired:
				rented := today
				if !ok && n.Rented != "" {
					if t, err := time.Parse(time.DateOnly, n.Rented); err == nil {
						rented = t
					}
				}
				k := currentPeriod(rented, today)
				r = &Rental{Number: e164, Rented: rented.Format(time.DateOnly), Periods: k, FirstPeriod: k, Status: RentalActive}
				events = append(events, event{"number rented", e164})
			case r.Status == RentalRemoved:
				r.Status, r.RemovedAt = RentalActive, nil
				events = append(events, event{"number restored within its grace period", e164})
			}
			r.Country, r.Type, r.User, r.Group = country, typ, n.User, n.Group
			if err := putRental(b, r); err != nil {
				return err
			}
		}
		for num, r := range existing {
			if seen[num] || r.Status == RentalRemoved || r.Status == RentalReleased {
				continue
			}
			at := now.UTC()
			r.Status, r.RemovedAt = RentalRemoved, &at
			events = append(events, event{"number removed: it will not be renewed", num})
			if err := putRental(b, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sync numbers: %w", err)
	}
	for _, e := range events {
		rs.log.Info(e.msg, "number", e.number)
	}
	return rs.chargeLocked(ctx, now)
}

// Charge charges every rental period due up to now exactly once
// (posting ids make a repeat harmless), including periods that fell due
// while the switch was down, and releases numbers past their grace.
func (rs *Rentals) Charge(ctx context.Context, now time.Time) error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.chargeLocked(ctx, now)
}

func (rs *Rentals) chargeLocked(ctx context.Context, now time.Time) error {
	var numbers []string
	err := rs.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketRentals).ForEach(func(k, _ []byte) error {
			numbers = append(numbers, string(k))
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("charge rentals: %w", err)
	}
	var errs []error
	for _, num := range numbers {
		if err := ctx.Err(); err != nil {
			return err
		}
		// One transaction per number: a number that cannot be paid does
		// not hold back the others.
		if err := rs.chargeRental(num, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (rs *Rentals) chargeRental(number string, now time.Time) error {
	today := day(now)
	rt := rs.rater.Load()
	grace := time.Duration(rs.grace.Load())
	account, currency := rs.ledger.account, rs.ledger.Currency()

	var posted []Posting
	var problem, released string
	err := rs.db.Update(func(tx *bbolt.Tx) error {
		posted, problem, released = posted[:0], "", ""
		b := tx.Bucket(bucketRentals)
		r, err := getRental(b, number)
		if err != nil || r == nil {
			return err
		}
		switch r.Status {
		case RentalReleased:
			return nil
		case RentalRemoved:
			if r.RemovedAt != nil && now.Sub(*r.RemovedAt) > grace {
				r.Status = RentalReleased
				released = number
				return putRental(b, r)
			}
			return nil
		}
		rented := r.rentedDay()
		changed := false
		for {
			start := periodStart(rented, r.Periods)
			if start.After(today) {
				break
			}
			rate, err := rt.Lookup(KindNumber, r.Country, r.Number, r.Type)
			if err != nil {
				problem = err.Error()
				break
			}
			amount := compile(*rate).unitCharge(1)
			p := Posting{
				ID: rentalID(r.Number, start), Account: account, Kind: PostNumber, Amount: amount.Neg(),
				Time: now, Ref: r.Number, User: r.User,
				Meta: map[string]string{"period_start": start.Format(time.DateOnly)},
			}
			if old, ok, err := getPosting(tx, p.ID); err != nil {
				return err
			} else if ok {
				// Charged already (at whatever price was then in force).
				r.Periods++
				r.LastCharge = old.Amount.Neg()
				changed = true
				continue
			}
			bal, err := rs.ledger.balanceTx(tx, account)
			if err != nil {
				return err
			}
			// A renewal does not take credit that calls in progress hold:
			// their charges must still fit the balance.
			avail := bal.Sub(rs.credit.heldAmount())
			if avail.LessThan(amount) {
				problem = fmt.Sprintf("balance %s %s cannot pay the renewal of %s due %s (%s %s)",
					decimal.Max(avail, decimal.Zero).StringFixed(2), currency, r.Number, start.Format(time.DateOnly), amount, currency)
				break
			}
			stored, _, err := rs.ledger.postTx(tx, p)
			if err != nil {
				return err
			}
			posted = append(posted, stored)
			r.Periods++
			r.LastCharge = amount
			changed = true
		}
		newStatus := RentalActive
		if problem != "" {
			newStatus = RentalUnpaid
		}
		if changed || r.Status != newStatus || r.Problem != problem {
			r.Status, r.Problem = newStatus, problem
			return putRental(b, r)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("charge rental %s: %w", number, err)
	}
	for _, p := range posted {
		rs.ledger.report(rs.ledger.apply(p.Account, p.Kind, p.Amount))
		rs.log.Info("number rental charged", "number", number, "amount", p.Amount.Neg().String(), "period_start", p.Meta["period_start"])
	}
	if problem != "" {
		rs.log.Warn("number rental unpaid; retrying", "number", number, "problem", problem)
	}
	if released != "" {
		rs.log.Info("removed number released after its grace period", "number", number)
	}
	return nil
}

// Run charges due rentals now and then every RentalTick until ctx ends.
func (rs *Rentals) Run(ctx context.Context) {
	t := time.NewTicker(RentalTick)
	defer t.Stop()
	for {
		if err := rs.Charge(ctx, rs.now()); err != nil && ctx.Err() == nil {
			rs.log.Error("charge rentals", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// List lists every number's rental, by number.
func (rs *Rentals) List() ([]Rental, error) {
	out, err := listRentals(rs.db)
	currency := rs.ledger.Currency()
	for i := range out {
		out[i].currency = currency
	}
	return out, err
}

// listRentals reads every number's rental from db, by number.
func listRentals(db *bbolt.DB) ([]Rental, error) {
	var out []Rental
	err := db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketRentals)
		if b == nil {
			return nil
		}
		rs, err := loadRentals(b)
		for _, r := range rs {
			r.fill()
			out = append(out, *r)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list rentals: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

func loadRentals(b *bbolt.Bucket) (map[string]*Rental, error) {
	out := map[string]*Rental{}
	err := b.ForEach(func(k, v []byte) error {
		var r Rental
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("decode rental %s: %w", k, err)
		}
		out[string(k)] = &r
		return nil
	})
	return out, err
}

func getRental(b *bbolt.Bucket, number string) (*Rental, error) {
	v := b.Get([]byte(number))
	if v == nil {
		return nil, nil
	}
	var r Rental
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode rental %s: %w", number, err)
	}
	return &r, nil
}

func putRental(b *bbolt.Bucket, r *Rental) error {
	r.NextDue, r.PaidThrough = "", ""
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode rental %s: %w", r.Number, err)
	}
	if err := b.Put([]byte(r.Number), v); err != nil {
		return fmt.Errorf("store rental %s: %w", r.Number, err)
	}
	return nil
}

func getPosting(tx *bbolt.Tx, id string) (Posting, bool, error) {
	v := tx.Bucket(bucketPostings).Get([]byte(id))
	if v == nil {
		return Posting{}, false, nil
	}
	var p Posting
	if err := json.Unmarshal(v, &p); err != nil {
		return Posting{}, false, fmt.Errorf("decode posting %s: %w", id, err)
	}
	return p, true, nil
}
