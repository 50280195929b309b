package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/dialtone/dialtone/config"
)

func sliceConfig(balance string, slice time.Duration) *config.Config {
	cfg := testConfig(balance)
	cfg.Organization.LowBalance = decimal.Zero
	cfg.Billing.ReservationSlice = config.Duration{Duration: slice}
	return cfg
}

var toAU = LegRequest{Class: ClassPSTNOutbound, CallerID: orgNumber, To: auLocal} // 0.035 a minute

func auLeg(id string) LegRequest {
	r := toAU
	r.LegID, r.CallID, r.User = id, "call-"+id, "1001"
	return r
}

func TestAuthorizeReservesTheFirstSlice(t *testing.T) {
	tests := []struct {
		name    string
		slice   time.Duration // 0: the default
		balance string
		amount  string
		granted time.Duration
	}{
		{name: "the default slice is 5 minutes of the leg's rate", balance: "50.00", amount: "0.18", granted: 5 * time.Minute},
		{name: "a configured slice", slice: 2 * time.Minute, balance: "50.00", amount: "0.07", granted: 2 * time.Minute},
		{name: "a slice is rounded up to the rate's increments", slice: 90 * time.Second, balance: "50.00", amount: "0.07", granted: 2 * time.Minute},
		{name: "a slice is at least one increment", slice: time.Second, balance: "50.00", amount: "0.04", granted: time.Minute},
		{name: "a balance under a slice grants the whole minutes it pays", balance: "0.10", amount: "0.07", granted: 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestMeter(t, nil, sliceConfig(tt.balance, tt.slice))
			r, err := m.Credit().Authorize(context.Background(), auLeg("a"))
			if err != nil {
				t.Fatal(err)
			}
			if !r.Amount.Equal(dec(tt.amount)) || r.Granted != tt.granted {
				t.Errorf("first grant %v for %s, want %v for %s", r.Granted, r.Amount, tt.granted, tt.amount)
			}
			if got := m.Credit().Info().Reserved; !got.Equal(dec(tt.amount)) {
				t.Errorf("reserved %s, want %s", got, tt.amount)
			}
		})
	}
}

// The demo: 23.68 available, every call to Australia reserved 4
// hours (8.40) and the fourth caller got 402 though each call cost 0.04.
// With slices, twenty reps call at once on a 5.00 balance.
func TestConcurrentCallsShareASmallBalanceBySlices(t *testing.T) {
	m := newTestMeter(t, nil, sliceConfig("5.00", 0))
	for i := range 20 {
		if _, err := m.Credit().Authorize(context.Background(), auLeg(fmt.Sprintf("rep%02d", i))); err != nil {
			t.Fatalf("call %d refused: %v", i+1, err)
		}
	}
	info := m.Credit().Info()
	if !info.Reserved.Equal(dec("3.60")) || !info.Available.Equal(dec("1.40")) {
		t.Errorf("reserved %s, available %s; want 20 × 0.18 = 3.60 and 1.40", info.Reserved, info.Available)
	}
	for i := range 20 {
		postLegs(t, m, leg(fmt.Sprintf("rep%02d", i), ClassPSTNOutbound, "1001", auLocal, orgNumber, "", 20))
	}
	info = m.Credit().Info()
	if !info.Balance.Equal(dec("4.20")) || !info.Reserved.IsZero() {
		t.Errorf("balance %s, reserved %s after 20 calls of 20 s; want 4.20 and 0", info.Balance, info.Reserved)
	}
	assertVerified(t, m)
}

func TestRenewAddsASliceToTheSameReservation(t *testing.T) {
	ctx := context.Background()
	m := newTestMeter(t, nil, sliceConfig("10.00", 0))
	if _, err := m.Credit().Authorize(ctx, auLeg("a")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		granted time.Duration
		amount  string
	}{{10 * time.Minute, "0.35"}, {15 * time.Minute, "0.53"}} {
		granted, err := m.Credit().Renew(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		rs := m.Credit().Reservations()
		if granted != want.granted || len(rs) != 1 || rs[0].Granted != want.granted || !rs[0].Amount.Equal(dec(want.amount)) {
			t.Fatalf("renewal granted %v, reservations %+v; want one reservation of %s for %v", granted, rs, want.amount, want.granted)
		}
		if !m.Credit().Info().Reserved.Equal(dec(want.amount)) {
			t.Errorf("reserved %s, want %s", m.Credit().Info().Reserved, want.amount)
		}
	}
	// The charge of any call within the grant is covered: 15 minutes cost
	// ceil(15 × 0.035) = 0.53, what is held.
	postLegs(t, m, leg("a", ClassPSTNOutbound, "1001", auLocal, orgNumber, "", 15*60))
	assertBalance(t, m, "9.47")
	if _, err := m.Credit().Renew(ctx, "a"); !errors.Is(err, ErrNoReservation) {
		t.Errorf("renewing an ended leg: %v, want ErrNoReservation", err)
	}
}

// A renewal the balance cannot pay in full grants the minutes it pays; one
// it cannot pay at all is refused, and the leg keeps its grant: the switch
// cuts it off at its end.
func TestRenewalRefusedEndsTheGrant(t *testing.T) {
	ctx := context.Background()
	m := newTestMeter(t, nil, sliceConfig("0.40", 0))
	if _, err := m.Credit().Authorize(ctx, auLeg("a")); err != nil {
		t.Fatal(err)
	}
	m.Credit().Answered("a", t0)
	steps := []struct {
		granted time.Duration
		amount  string
		refused bool
	}{
		{granted: 10 * time.Minute, amount: "0.35"},
		{granted: 11 * time.Minute, amount: "0.39"}, // 0.05 left pays one more minute, not five
		{granted: 11 * time.Minute, amount: "0.39", refused: true},
		{granted: 11 * time.Minute, amount: "0.39", refused: true},
	}
	for i, s := range steps {
		granted, err := m.Credit().Renew(ctx, "a")
		if s.refused != errors.Is(err, ErrInsufficientCredit) || !s.refused && err != nil {
			t.Fatalf("renewal %d: %v, refused %v", i+1, err, s.refused)
		}
		if s.refused && !strings.Contains(err.Error(), "0.01 USD available cannot pay 60 more seconds of the call to "+auLocal) {
			t.Errorf("refusal says %q", err)
		}
		if granted != s.granted || !m.Credit().Info().Reserved.Equal(dec(s.amount)) {
			t.Fatalf("renewal %d: granted %v holding %s, want %v holding %s", i+1, granted, m.Credit().Info().Reserved, s.granted, s.amount)
		}
	}
	legs := m.Credit().ReservedLegs()
	if len(legs) != 1 || legs[0].GrantedUntil == nil || !legs[0].GrantedUntil.Equal(t0.Add(11*time.Minute)) {
		t.Fatalf("reserved legs %+v, want one granted until %v", legs, t0.Add(11*time.Minute))
	}
	// Cut off at the end of the grant, the leg is paid for by what it held.
	postLegs(t, m, leg("a", ClassPSTNOutbound, "1001", auLocal, orgNumber, "", 11*60))
	assertBalance(t, m, "0.01")
}

// legClock is one call in the simulation: when it was answered, when it
// renews next, and where its grant ends once a renewal is refused.
type legClock struct {
	id       string
	answered time.Time
	granted  time.Duration
	lastStep time.Duration
	cutAt    time.Time
}

func (l *legClock) renewAt() time.Time {
	return l.answered.Add(l.granted - l.lastStep/5)
}

// Calls answered one after the other on a balance that runs out renew as
// the switch does (when 80 % of the last slice is used) on a fake clock,
// each cut off at the end of its last granted slice when its renewal is
// refused: no call is cut while credit remains, every call is cut within
// a slice of the first refusal, and the balance ends between zero and
// one increment (all credit used, none overdrawn).
func TestABalanceThatRunsOutCutsEveryCallWithinOneSlice(t *testing.T) {
	ctx := context.Background()
	now := t0
	const slice = 2 * time.Minute
	m := newTestMeter(t, nil, sliceConfig("3.00", slice), WithClock(func() time.Time { return now }))
	var calls []*legClock
	for i := range 6 {
		id := fmt.Sprintf("c%d", i)
		r, err := m.Credit().Authorize(ctx, auLeg(id))
		if err != nil {
			t.Fatal(err)
		}
		at := t0.Add(time.Duration(i) * 17 * time.Second)
		m.Credit().Answered(id, at)
		calls = append(calls, &legClock{id: id, answered: at, granted: r.Granted, lastStep: r.Granted})
	}
	var firstRefusal time.Time
	for {
		var next *legClock
		for _, c := range calls {
			if c.cutAt.IsZero() && (next == nil || c.renewAt().Before(next.renewAt())) {
				next = c
			}
		}
		if next == nil {
			break
		}
		now = next.renewAt()
		granted, err := m.Credit().Renew(ctx, next.id)
		switch {
		case errors.Is(err, ErrInsufficientCredit):
			next.cutAt = next.answered.Add(next.granted)
			if firstRefusal.IsZero() {
				firstRefusal = now
			}
		case err != nil:
			t.Fatal(err)
		default:
			next.lastStep, next.granted = granted-next.granted, granted
		}
	}
	for _, c := range calls {
		if c.cutAt.Before(firstRefusal) || c.cutAt.After(firstRefusal.Add(slice)) {
			t.Errorf("call %s cut off at %v, want within a slice after the first refusal at %v", c.id, c.cutAt.Sub(t0), firstRefusal.Sub(t0))
		}
		now = c.cutAt
		postLegs(t, m, leg(c.id, ClassPSTNOutbound, "1001", auLocal, orgNumber, "", int64(c.granted/time.Second)))
	}
	if b := m.Credit().Info().Balance; b.IsNegative() || b.GreaterThanOrEqual(dec("0.04")) {
		t.Errorf("balance %s after the calls; want what no call could use (0 to 0.03)", b)
	}
	assertVerified(t, m)
}

// Reservations live in memory: a crash (the meter reopened on the same
// file) releases them, renewed or not, and charges nothing.
func TestACrashReleasesRenewedReservations(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, "")
	m := newTestMeter(t, db, sliceConfig("5.00", 0))
	for _, id := range []string{"a", "b"} {
		if _, err := m.Credit().Authorize(ctx, auLeg(id)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Credit().Renew(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if !m.Credit().Info().Reserved.Equal(dec("0.53")) {
		t.Fatalf("reserved %s before the crash, want 0.35 + 0.18", m.Credit().Info().Reserved)
	}
	after := newTestMeter(t, db, sliceConfig("5.00", 0))
	if info := after.Credit().Info(); !info.Reserved.IsZero() || !info.Available.Equal(dec("5")) || len(after.Credit().ReservedLegs()) != 0 {
		t.Errorf("after the crash: %+v, legs %+v; want nothing reserved", info, after.Credit().ReservedLegs())
	}
	if _, err := after.Credit().Renew(ctx, "a"); !errors.Is(err, ErrNoReservation) {
		t.Errorf("renewing a leg from before the crash: %v", err)
	}
}

// /v1/balance explains reserved: the legs holding it, with where each
// grant ends.
func TestBalanceListsTheLegsHoldingTheReservedCredit(t *testing.T) {
	ctx := context.Background()
	m := newTestMeter(t, nil, sliceConfig("5.00", 0))
	for _, id := range []string{"a", "b"} {
		if _, err := m.Credit().Authorize(ctx, auLeg(id)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Credit().Authorize(ctx, LegRequest{LegID: "free", Class: ClassAccess}); err != nil {
		t.Fatal(err)
	}
	m.Credit().Answered("a", t0)
	if _, err := m.Credit().Renew(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	// What GET /v1/balance answers (package api).
	info, legs := m.Credit().InfoWithLegs()
	body, err := json.Marshal(BalanceReport{BalanceInfo: info, ReservedBy: legs})
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Reserved   decimal.Decimal `json:"reserved"`
		Available  decimal.Decimal `json:"available"`
		ReservedBy []ReservedLeg   `json:"reserved_by"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	until := t0.Add(10 * time.Minute)
	want := []ReservedLeg{
		{CallID: "call-a", LegID: "a", User: "1001", Destination: auLocal, Amount: dec("0.35"), GrantedSeconds: 600, GrantedUntil: &until},
		{CallID: "call-b", LegID: "b", User: "1001", Destination: auLocal, Amount: dec("0.18"), GrantedSeconds: 300},
	}
	if !out.Reserved.Equal(dec("0.53")) || !out.Available.Equal(dec("4.47")) || len(out.ReservedBy) != len(want) {
		t.Fatalf("balance %s", body)
	}
	sum := decimal.Zero
	for i, l := range out.ReservedBy {
		w := want[i]
		if l.CallID != w.CallID || l.LegID != w.LegID || l.User != w.User || l.Destination != w.Destination ||
			!l.Amount.Equal(w.Amount) || l.GrantedSeconds != w.GrantedSeconds || (l.GrantedUntil == nil) != (w.GrantedUntil == nil) ||
			l.GrantedUntil != nil && !l.GrantedUntil.Equal(*w.GrantedUntil) {
			t.Errorf("reserved_by[%d] = %+v, want %+v", i, l, w)
		}
		sum = sum.Add(l.Amount)
	}
	if !sum.Equal(out.Reserved) {
		t.Errorf("the legs hold %s, reserved says %s", sum, out.Reserved)
	}
}
