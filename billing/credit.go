package billing

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// Credit is reserved in slices, as online charging systems grant units
// (Diameter credit control, CGRateS's debit interval): a leg holds one
// slice of call time (billing.reservation_slice at its rate) and the
// switch renews it while the call goes on. Concurrent calls so share the
// balance by what they spend, not by what they might: twenty calls on a
// small balance each hold a few minutes, not four hours.

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
func (m *Meter) Authorize(ctx context.Context, req LegRequest) (*Reservation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rt := m.rater.Load()
	lr, err := rt.resolveLeg(req.Class, req.From, req.To, req.CallerID, req.PhoneNumber)
	if err != nil {
		return nil, fmt.Errorf("authorize leg %s: %w", req.LegID, err)
	}
	dest := req.To
	if dest == "" {
		dest = req.PhoneNumber
	}
	r := &Reservation{LegID: req.LegID, CallID: req.CallID, User: req.User, Destination: dest, Currency: m.currency}
	if lr.free || lr.rate.Price.IsZero() && lr.rate.ConnectFee.IsZero() {
		r.Amount, r.Rate, r.Free = decimal.Zero, decimal.Zero, true
		return r, nil
	}
	c := lr.rate
	r.rate, r.Rate = c, c.Price
	first := firstIncrementCharge(c)

	m.mu.Lock()
	defer m.mu.Unlock()
	if held, ok := m.res[req.LegID]; ok {
		cp := *held
		return &cp, nil
	}
	avail := m.availableLocked()
	if avail.LessThan(first) {
		return nil, fmt.Errorf("authorize leg %s: %w", req.LegID, &CreditError{
			Available: decimal.Max(avail, decimal.Zero), Needed: first, Currency: m.currency,
			What: describeFirst(lr, req, c),
		})
	}
	billed, amount := nextGrant(c, 0, decimal.Zero, m.slice, avail)
	r.Granted, r.Amount = time.Duration(billed)*time.Second, amount
	m.res[req.LegID] = r
	m.reserved = m.reserved.Add(amount)
	cp := *r
	return &cp, nil
}

// Renew adds a slice to a leg's reservation and returns all the time it
// now grants (from answer). When the available balance pays less than a
// slice, the renewal grants what it pays; when it cannot pay one more
// increment, the renewal is refused (ErrInsufficientCredit) and the leg
// keeps what it was granted: the switch cuts it off at its end. A free
// leg's renewal grants 0: no limit.
func (m *Meter) Renew(ctx context.Context, legID string) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.res[legID]
	if !ok {
		return 0, fmt.Errorf("renew leg %s: %w", legID, ErrNoReservation)
	}
	if r.Free {
		return 0, nil
	}
	granted := int64(r.Granted / time.Second)
	avail := m.availableLocked()
	billed, amount := nextGrant(r.rate, granted, r.Amount, m.slice, avail)
	if billed <= granted {
		return r.Granted, fmt.Errorf("renew leg %s: %w", legID, &CreditError{
			Available: decimal.Max(avail, decimal.Zero), Needed: r.rate.voiceCharge(granted + int64(r.rate.Increment)).Sub(r.Amount),
			Currency: m.currency, What: fmt.Sprintf("%d more seconds of the call to %s", r.rate.Increment, r.Destination),
		})
	}
	m.reserved = m.reserved.Add(amount.Sub(r.Amount))
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
func (m *Meter) Answered(legID string, at time.Time) {
	m.mu.Lock()
	if r, ok := m.res[legID]; ok && r.AnsweredAt.IsZero() {
		r.AnsweredAt = at
	}
	m.mu.Unlock()
}

func (m *Meter) availableLocked() decimal.Decimal {
	return m.balances[m.account].Sub(m.reserved)
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
func (m *Meter) Release(legID string) {
	m.mu.Lock()
	m.releaseLocked(legID)
	m.mu.Unlock()
}

func (m *Meter) releaseLocked(legID string) {
	if r, ok := m.res[legID]; ok {
		m.reserved = m.reserved.Sub(r.Amount)
		delete(m.res, legID)
	}
}

// Reservations lists the open reservations, by leg id.
func (m *Meter) Reservations() []Reservation {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Reservation, 0, len(m.res))
	for _, r := range m.res {
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
func (m *Meter) ReservedLegs() []ReservedLeg {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reservedLegsLocked()
}

// InfoWithLegs is the balance and the legs holding its reserved part,
// read at one instant so that they add up.
func (m *Meter) InfoWithLegs() (BalanceInfo, []ReservedLeg) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.infoLocked(), m.reservedLegsLocked()
}

func (m *Meter) reservedLegsLocked() []ReservedLeg {
	out := make([]ReservedLeg, 0, len(m.res))
	for _, r := range m.res {
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
