package billing

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/dialtone/dialtone/config"
)

// Credit is reserved in slices, as online charging systems grant units
// (Diameter credit control, CGRateS's debit interval): a leg holds one
// slice of call time (billing.reservation_slice at its rate) and the
// switch renews it while the call goes on. Concurrent calls so share the
// balance by what they spend, not by what they might: twenty calls on a
// small balance each hold a few minutes, not four hours.

// Credit is the balance legs may spend: the ledger's cached balance minus
// what legs in progress hold. Reservations live only in memory: a crash
// releases them all, which is right because the legs they held died with
// the process.
//
// Locking: c.mu guards the reservations and is taken before the ledger's
// lock, never after, so a leg's charge and the release of its reservation
// happen in one critical section (settle) and balance − reserved never
// overstates what may be spent.
type Credit struct {
	ledger *Ledger
	rater  *atomic.Pointer[Rater]

	mu       sync.Mutex
	reserved decimal.Decimal
	res      map[string]*Reservation
	slice    time.Duration // billing.reservation_slice
}

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

// reload takes a new config's slice length.
func (c *Credit) reload(cfg *config.Config) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slice = cfg.Billing.ReservationSlice.Duration
	if c.slice <= 0 {
		c.slice = config.DefaultReservationSlice
	}
}

// ErrNoReservation is returned when a leg renews credit it does not hold
// (it was never authorized, or it ended and was released).
var ErrNoReservation = errors.New("no credit reservation for the leg")

// Reservation is credit held for a leg while it is up.
type Reservation struct {
	LegID       string
	CallID      string
	User        string
	Destination string
	// Amount is what the leg holds: the charge of its Granted time, so a
	// leg that ends within it is always paid for.
	Amount decimal.Decimal
	// Granted is the billable time (from answer) Amount pays for: the
	// switch renews before it runs out and cuts the leg off at its end
	// when a renewal is refused. 0 with Free: no limit.
	Granted    time.Duration
	AnsweredAt time.Time       // zero while the leg rings
	Rate       decimal.Decimal // per minute
	Currency   string
	Free       bool

	rate *compiledRate
}

// GrantedUntil is when the leg's granted time runs out; zero while it
// rings (its time counts from the answer) and for a free leg.
func (r *Reservation) GrantedUntil() time.Time {
	if r.Free || r.AnsweredAt.IsZero() {
		return time.Time{}
	}
	return r.AnsweredAt.Add(r.Granted)
}

// Authorize reserves the first slice of credit for a leg about to start
// and says how much time it grants. It refuses (ErrInsufficientCredit)
// when the available balance cannot pay the leg's first increment, and
// returns ErrNoRate when the deck does not price the leg. A balance that
// pays less than a slice grants what it pays (whole increments).
// Authorizing the same leg again returns its reservation.
func (c *Credit) Authorize(ctx context.Context, req LegRequest) (*Reservation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rt := c.rater.Load()
	lr, err := rt.resolveLeg(req.Class, req.From, req.To, req.CallerID, req.PhoneNumber)
	if err != nil {
		return nil, fmt.Errorf("authorize leg %s: %w", req.LegID, err)
	}
	dest := req.To
	if dest == "" {
		dest = req.PhoneNumber
	}
	r := &Reservation{LegID: req.LegID, CallID: req.CallID, User: req.User, Destination: dest, Currency: c.ledger.Currency()}
	if lr.free || lr.rate.Price.IsZero() && lr.rate.ConnectFee.IsZero() {
		r.Amount, r.Rate, r.Free = decimal.Zero, decimal.Zero, true
		return r, nil
	}
	rate := lr.rate
	r.rate, r.Rate = rate, rate.Price
	first := firstIncrementCharge(rate)

	c.mu.Lock()
	defer c.mu.Unlock()
	if held, ok := c.res[req.LegID]; ok {
		cp := *held
		return &cp, nil
	}
	avail, currency := c.availableLocked()
	if avail.LessThan(first) {
		return nil, fmt.Errorf("authorize leg %s: %w", req.LegID, &CreditError{
			Available: decimal.Max(avail, decimal.Zero), Needed: first, Currency: currency,
			What: describeFirst(lr, req, rate),
		})
	}
	billed, amount := nextGrant(rate, 0, decimal.Zero, c.slice, avail)
	r.Granted, r.Amount = time.Duration(billed)*time.Second, amount
	c.res[req.LegID] = r
	c.reserved = c.reserved.Add(amount)
	cp := *r
	return &cp, nil
}

// Renew adds a slice to a leg's reservation and returns all the time it
// now grants (from answer). When the available balance pays less than a
// slice, the renewal grants what it pays; when it cannot pay one more
// increment, the renewal is refused (ErrInsufficientCredit) and the leg
// keeps what it was granted: the switch cuts it off at its end. A free
// leg's renewal grants 0: no limit.
func (c *Credit) Renew(ctx context.Context, legID string) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.res[legID]
	if !ok {
		return 0, fmt.Errorf("renew leg %s: %w", legID, ErrNoReservation)
	}
	if r.Free {
		return 0, nil
	}
	granted := int64(r.Granted / time.Second)
	avail, currency := c.availableLocked()
	billed, amount := nextGrant(r.rate, granted, r.Amount, c.slice, avail)
	if billed <= granted {
		return r.Granted, fmt.Errorf("renew leg %s: %w", legID, &CreditError{
			Available: decimal.Max(avail, decimal.Zero), Needed: r.rate.voiceCharge(granted + int64(r.rate.Increment)).Sub(r.Amount),
			Currency: currency, What: fmt.Sprintf("%d more seconds of the call to %s", r.rate.Increment, r.Destination),
		})
	}
	c.reserved = c.reserved.Add(amount.Sub(r.Amount))
	r.Granted, r.Amount = time.Duration(billed)*time.Second, amount
	return r.Granted, nil
}

// nextGrant is the billable seconds a leg holding granted seconds (paid
// by amount) gets with one more slice, and what they cost: the whole
// slice when avail pays it, else the whole increments avail pays (none:
// billed == granted). The charge of billed seconds is what a leg ending
// within them pays, so the reservation always covers the leg.
func nextGrant(c *compiledRate, granted int64, amount decimal.Decimal, slice time.Duration, avail decimal.Decimal) (billed int64, cost decimal.Decimal) {
	want, _ := c.billedSeconds(min(granted+int64(slice/time.Second), MaxBilledSeconds))
	if want <= granted {
		return granted, amount
	}
	if wantCost := c.voiceCharge(want); !wantCost.Sub(amount).GreaterThan(avail) {
		return want, wantCost
	}
	paid := maxSeconds(c, amount.Add(avail))
	if paid < 0 {
		paid = want // a rate without a price: the connect fee is all it costs
	}
	if paid <= granted {
		return granted, amount
	}
	return paid, c.voiceCharge(paid)
}

// Answered starts a leg's granted time: it counts from the answer, as
// its billable seconds do. It only shows where the grant ends (/v1/balance).
func (c *Credit) Answered(legID string, at time.Time) {
	c.mu.Lock()
	if r, ok := c.res[legID]; ok && r.AnsweredAt.IsZero() {
		r.AnsweredAt = at
	}
	c.mu.Unlock()
}

// availableLocked is the organization's balance minus what legs hold, and
// its currency.
func (c *Credit) availableLocked() (decimal.Decimal, string) {
	c.ledger.mu.Lock()
	defer c.ledger.mu.Unlock()
	return c.ledger.balances[c.ledger.account].Sub(c.reserved), c.ledger.currency
}

// heldAmount is what legs in progress hold.
func (c *Credit) heldAmount() decimal.Decimal {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reserved
}

// settle applies a committed posting that charged a leg and releases the
// leg's reservation in the same critical section.
func (c *Credit) settle(p Posting, legID string) {
	c.mu.Lock()
	change := c.ledger.apply(p.Account, p.Kind, p.Amount)
	c.releaseLocked(legID)
	c.mu.Unlock()
	c.ledger.report(change)
}

func describeFirst(lr legRate, req LegRequest, c *compiledRate) string {
	unit := "minute"
	if c.Initial != 60 {
		unit = fmt.Sprintf("%d seconds", c.Initial)
	}
	switch lr.kind {
	case KindOutbound:
		return fmt.Sprintf("the first %s of a call to %s", unit, req.To)
	case KindInbound:
		return fmt.Sprintf("the first %s of a call to %s", unit, req.PhoneNumber+req.To)
	}
	return fmt.Sprintf("the first %s of a call", unit)
}

// Release frees a leg's reservation (a leg that ended without a CDR being
// posted, or a refused setup). Releasing twice is harmless.
func (c *Credit) Release(legID string) {
	c.mu.Lock()
	c.releaseLocked(legID)
	c.mu.Unlock()
}

func (c *Credit) releaseLocked(legID string) {
	if r, ok := c.res[legID]; ok {
		c.reserved = c.reserved.Sub(r.Amount)
		delete(c.res, legID)
	}
}

// Reservations lists the open reservations, by leg id.
func (c *Credit) Reservations() []Reservation {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Reservation, 0, len(c.res))
	for _, r := range c.res {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LegID < out[j].LegID })
	return out
}

// ReservedLeg is a leg holding part of the reserved balance, as
// /v1/balance lists them.
type ReservedLeg struct {
	CallID         string          `json:"call_id"`
	LegID          string          `json:"leg_id"`
	User           string          `json:"user,omitempty"`
	Destination    string          `json:"destination"`
	Amount         decimal.Decimal `json:"amount"`
	GrantedSeconds int64           `json:"granted_seconds"`
	// GrantedUntil is absent while the leg rings: its time counts from
	// the answer.
	GrantedUntil *time.Time `json:"granted_until,omitempty"`
}

// ReservedLegs are the legs holding credit, the largest holders first:
// what makes up BalanceInfo.Reserved. Free legs hold nothing and are not
// listed.
func (c *Credit) ReservedLegs() []ReservedLeg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reservedLegsLocked()
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
func (c *Credit) Info() BalanceInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.infoLocked()
}

// InfoWithLegs is the balance and the legs holding its reserved part,
// read at one instant so that they add up.
func (c *Credit) InfoWithLegs() (BalanceInfo, []ReservedLeg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.infoLocked(), c.reservedLegsLocked()
}

func (c *Credit) infoLocked() BalanceInfo {
	l := c.ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.balances[l.account]
	return BalanceInfo{
		Account: l.account, Balance: b, Reserved: c.reserved, Available: b.Sub(c.reserved),
		Currency: l.currency, LowBalance: l.lowBalance, Low: l.low,
	}
}

func (c *Credit) reservedLegsLocked() []ReservedLeg {
	out := make([]ReservedLeg, 0, len(c.res))
	for _, r := range c.res {
		if r.Free {
			continue
		}
		l := ReservedLeg{CallID: r.CallID, LegID: r.LegID, User: r.User, Destination: r.Destination,
			Amount: r.Amount, GrantedSeconds: int64(r.Granted / time.Second)}
		if u := r.GrantedUntil(); !u.IsZero() {
			u = u.UTC()
			l.GrantedUntil = &u
		}
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool {
		if c := out[i].Amount.Cmp(out[j].Amount); c != 0 {
			return c > 0
		}
		return out[i].LegID < out[j].LegID
	})
	return out
}
