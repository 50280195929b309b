package billing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"
	"go.etcd.io/bbolt"

	"github.com/dialtone/dialtone/config"
)

const orgNumber = "+14155550100"

func testConfig(start string) *config.Config {
	return &config.Config{
		Organization: config.Organization{ID: "acme", Currency: "USD", StartingBalance: dec(start), LowBalance: dec("1.00")},
		Numbers:      []config.Number{{Number: orgNumber, Country: "US", Type: "local", User: "1001"}},
	}
}

func openDB(t testing.TB, path string) *bbolt.DB {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "dialtone.db")
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestMeter(t testing.TB, db *bbolt.DB, cfg *config.Config, opts ...Option) *Meter {
	t.Helper()
	if db == nil {
		db = openDB(t, "")
	}
	m, err := NewMeter(db, cfg, SampleDeck(), append([]Option{WithLogger(quietLogger())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// postLegs posts cdrs in one transaction, as the CDR store does, and runs
// the after-commit funcs.
func postLegs(t testing.TB, m *Meter, cdrs ...*CDR) {
	t.Helper()
	var after []func()
	err := m.ledger.db.Update(func(tx *bbolt.Tx) error {
		for _, c := range cdrs {
			f, err := m.postLeg(tx, c)
			if err != nil {
				return err
			}
			after = append(after, f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range after {
		f()
	}
}

var t0 = time.Date(2025, 3, 10, 15, 0, 0, 0, time.UTC)

func leg(id string, class Class, from, to, callerID, number string, secs int64) *CDR {
	return &CDR{
		LegID: id, CallID: "call-" + id, BillingClass: class, From: from, To: to, CallerID: callerID,
		PhoneNumber: number, BillableSecs: secs, EndedAt: t0, User: "1001",
	}
}

// The seed article's examples: charges are the sum of each leg's charge.
func TestPostLegChargesEachLegOfForwardsAndTransfers(t *testing.T) {
	tests := []struct {
		name        string
		legs        []*CDR
		chargedLegs int
		total       string
	}{
		{
			name: "a forwarded call is charged as an inbound and an outbound call",
			legs: []*CDR{
				leg("in", ClassPSTNInbound, gbLocal, orgNumber, "", orgNumber, 70),   // 2 min × 0.0085 → 0.02
				leg("fwd", ClassPSTNOutbound, orgNumber, auLocal, orgNumber, "", 70), // 2 min × 0.035 → 0.07
			},
			chargedLegs: 2, total: "0.09",
		},
		{
			name: "a call transferred to another user is charged as three calls",
			legs: []*CDR{
				leg("orig", ClassPSTNInbound, gbLocal, orgNumber, "", orgNumber, 300), // 5 × 0.0085 → 0.05
				leg("alice", ClassAccess, gbLocal, "1001", "", orgNumber, 290),        // free
				leg("xfer", ClassClient, "1001", "1002", "", "", 30),                  // 1 × 0.004 → 0.01
				leg("bob", ClassClient, "1001", "1002", "", "", 250),                  // 5 × 0.004 → 0.02
			},
			chargedLegs: 3, total: "0.08",
		},
		{
			name: "a call transferred to an outside number is charged as two calls",
			legs: []*CDR{
				leg("orig", ClassPSTNOutbound, "1001", gbMobile, orgNumber, "", 120), // 2 × 0.04 → 0.08
				leg("alice", ClassAccess, "1001", gbMobile, "", "", 115),             // free
				leg("out", ClassPSTNOutbound, "1001", usLocal2, orgNumber, "", 60),   // 1 × 0.014 → 0.02
			},
			chargedLegs: 2, total: "0.10",
		},
		{
			name: "a call transferred twice repeats the transfer charges",
			legs: []*CDR{
				leg("orig", ClassPSTNInbound, gbLocal, orgNumber, "", orgNumber, 60), // 0.01
				leg("x1", ClassClient, "1001", "1002", "", "", 10),                   // 0.01
				leg("b1", ClassClient, "1001", "1002", "", "", 10),                   // 0.01
				leg("x2", ClassClient, "1002", "1003", "", "", 10),                   // 0.01
				leg("b2", ClassClient, "1002", "1003", "", "", 10),                   // 0.01
			},
			chargedLegs: 5, total: "0.05",
		},
		{
			name: "an unanswered forward costs only the inbound leg",
			legs: []*CDR{
				leg("in", ClassPSTNInbound, gbLocal, orgNumber, "", orgNumber, 20), // 0.01
				leg("fwd", ClassPSTNOutbound, orgNumber, auLocal, orgNumber, "", 0),
			},
			chargedLegs: 1, total: "0.01",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestMeter(t, nil, testConfig("10.00"))
			postLegs(t, m, tt.legs...)
			sum, charged := decimal.Zero, 0
			for _, c := range tt.legs {
				if c.Charge == nil {
					t.Fatalf("leg %s has no charge", c.LegID)
				}
				if c.Charge.Amount.IsPositive() {
					charged++
				}
				sum = sum.Add(c.Charge.Amount)
			}
			if charged != tt.chargedLegs || !sum.Equal(dec(tt.total)) {
				t.Errorf("%d charged legs totalling %s, want %d totalling %s", charged, sum, tt.chargedLegs, tt.total)
			}
			if got, want := m.Ledger().Balance("acme"), dec("10").Sub(dec(tt.total)); !got.Equal(want) {
				t.Errorf("balance %s, want %s", got, want)
			}
			ps, err := m.Ledger().Postings(time.Time{}, time.Time{}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if calls := countKind(ps, PostCall); calls != tt.chargedLegs {
				t.Errorf("%d call postings, want %d", calls, tt.chargedLegs)
			}
		})
	}
}

func countKind(ps []Posting, k PostingKind) int {
	n := 0
	for _, p := range ps {
		if p.Kind == k {
			n++
		}
	}
	return n
}

func TestPostLegIsIdempotent(t *testing.T) {
	t.Run("a replayed leg in a later transaction changes nothing", func(t *testing.T) {
		m := newTestMeter(t, nil, testConfig("10.00"))
		postLegs(t, m, leg("l1", ClassPSTNOutbound, "1001", auLocal, orgNumber, "", 70))
		postLegs(t, m, leg("l1", ClassPSTNOutbound, "1001", auLocal, orgNumber, "", 70))
		assertBalance(t, m, "9.93")
	})
	t.Run("a leg twice in one transaction is charged once", func(t *testing.T) {
		m := newTestMeter(t, nil, testConfig("10.00"))
		postLegs(t, m, leg("l1", ClassPSTNOutbound, "1001", auLocal, orgNumber, "", 70), leg("l1", ClassPSTNOutbound, "1001", auLocal, orgNumber, "", 70))
		assertBalance(t, m, "9.93")
	})
	t.Run("a replay with another amount is a conflict and writes nothing", func(t *testing.T) {
		m := newTestMeter(t, nil, testConfig("10.00"))
		postLegs(t, m, leg("l1", ClassPSTNOutbound, "1001", auLocal, orgNumber, "", 70))
		err := m.ledger.db.Update(func(tx *bbolt.Tx) error {
			conflicting := leg("l1", ClassPSTNOutbound, "1001", auLocal, orgNumber, "", 700)
			_, err := m.postLeg(tx, conflicting)
			if !errors.Is(err, ErrPostingConflict) {
				t.Errorf("error = %v, want ErrPostingConflict", err)
			}
			if conflicting.Charge != nil {
				t.Errorf("a leg that was not posted shows a charge %+v", conflicting.Charge)
			}
			// The batch goes on with the other legs.
			f, err := m.postLeg(tx, leg("l2", ClassPSTNOutbound, "1001", usLocal2, orgNumber, "", 60))
			if err != nil {
				return err
			}
			defer f()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		assertBalance(t, m, "9.91")
		assertVerified(t, m)
	})
	t.Run("a rolled-back batch charges nothing and keeps the reservation", func(t *testing.T) {
		m := newTestMeter(t, nil, testConfig("10.00"))
		r, err := m.Credit().Authorize(context.Background(), LegRequest{LegID: "l1", Class: ClassPSTNOutbound, CallerID: orgNumber, To: auLocal})
		if err != nil {
			t.Fatal(err)
		}
		boom := errors.New("disk full")
		err = m.ledger.db.Update(func(tx *bbolt.Tx) error {
			if _, err := m.postLeg(tx, leg("l1", ClassPSTNOutbound, "1001", auLocal, orgNumber, "", 70)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		assertBalance(t, m, "10")
		if got := m.Credit().Info().Reserved; !got.Equal(r.Amount) {
			t.Errorf("reserved %s, want %s still held", got, r.Amount)
		}
		postLegs(t, m, leg("l1", ClassPSTNOutbound, "1001", auLocal, orgNumber, "", 70))
		assertBalance(t, m, "9.93")
		if got := m.Credit().Info().Reserved; !got.IsZero() {
			t.Errorf("reserved %s after the leg was posted, want 0", got)
		}
		assertVerified(t, m)
	})
	t.Run("an unanswered leg posts nothing but releases its reservation", func(t *testing.T) {
		m := newTestMeter(t, nil, testConfig("10.00"))
		if _, err := m.Credit().Authorize(context.Background(), LegRequest{LegID: "l1", Class: ClassPSTNOutbound, CallerID: orgNumber, To: auLocal}); err != nil {
			t.Fatal(err)
		}
		c := leg("l1", ClassPSTNOutbound, "1001", auLocal, orgNumber, "", 0)
		c.Disposition = NoAnswer
		postLegs(t, m, c)
		if !m.Credit().Info().Reserved.IsZero() || c.Charge == nil || !c.Charge.Amount.IsZero() {
			t.Errorf("reserved %s, charge %+v", m.Credit().Info().Reserved, c.Charge)
		}
		ps, _ := m.Ledger().Postings(time.Time{}, time.Time{}, 0)
		if countKind(ps, PostCall) != 0 {
			t.Errorf("postings %+v", ps)
		}
	})
}

func TestPostLegBatchReadsTheBalanceFromTheTransaction(t *testing.T) {
	m := newTestMeter(t, nil, testConfig("10.00"))
	var cdrs []*CDR
	for i := range 100 {
		cdrs = append(cdrs, leg(fmt.Sprintf("l%03d", i), ClassPSTNOutbound, "1001", usLocal2, orgNumber, "", 61)) // 0.03 each
	}
	postLegs(t, m, cdrs...)
	assertBalance(t, m, "7.00")
	ps, err := m.Ledger().Postings(time.Time{}, time.Time{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || !ps[0].Balance.Equal(dec("7")) {
		t.Errorf("last posting %+v, want balance 7.00 after it", ps)
	}
	assertVerified(t, m)
}

func assertBalance(t *testing.T, m *Meter, want string) {
	t.Helper()
	if got := m.Ledger().Balance(m.Ledger().Account()); !got.Equal(dec(want)) {
		t.Errorf("cached balance %s, want %s", got, want)
	}
	var stored decimal.Decimal
	err := m.ledger.db.View(func(tx *bbolt.Tx) error {
		var err error
		stored, err = m.ledger.balanceTx(tx, m.Ledger().Account())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !stored.Equal(dec(want)) {
		t.Errorf("stored balance %s, want %s", stored, want)
	}
}

func assertVerified(t *testing.T, m *Meter) {
	t.Helper()
	rep, err := m.Ledger().Verify()
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("ledger differences: %+v", rep.Differences)
	}
}

func TestAuthorize(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		balance  string
		held     []LegRequest // authorized first
		req      LegRequest
		wantErr  error
		wantText string
		amount   string
		granted  time.Duration
		wantFree bool
	}{
		{
			name:    "a balance that pays one minute but not two reserves one minute",
			balance: "0.05",
			req:     LegRequest{LegID: "a", Class: ClassPSTNOutbound, CallerID: orgNumber, To: auLocal},
			amount:  "0.04", granted: time.Minute,
		},
		{
			name:     "a balance below the first minute is refused with a reason",
			balance:  "0.03",
			req:      LegRequest{LegID: "a", Class: ClassPSTNOutbound, CallerID: orgNumber, To: auLocal},
			wantErr:  ErrInsufficientCredit,
			wantText: "0.03 USD available cannot pay the first minute of a call to " + auLocal + " (0.04 USD)",
		},
		{
			name:     "credit held by another leg is not available",
			balance:  "0.05",
			held:     []LegRequest{{LegID: "other", Class: ClassPSTNOutbound, CallerID: orgNumber, To: usLocal2}},
			req:      LegRequest{LegID: "a", Class: ClassPSTNOutbound, CallerID: orgNumber, To: usLocal2},
			wantErr:  ErrInsufficientCredit,
			wantText: "0.00 USD available",
		},
		{
			name:    "a large balance reserves one slice: 5 minutes",
			balance: "100",
			req:     LegRequest{LegID: "a", Class: ClassPSTNOutbound, CallerID: orgNumber, To: usLocal2},
			amount:  "0.07", granted: 5 * time.Minute,
		},
		{
			name:    "concurrent legs of a large balance each get a slice",
			balance: "100",
			held:    []LegRequest{{LegID: "b", Class: ClassPSTNOutbound, CallerID: orgNumber, To: usLocal2}},
			req:     LegRequest{LegID: "a", Class: ClassPSTNOutbound, CallerID: orgNumber, To: usLocal2},
			amount:  "0.07", granted: 5 * time.Minute,
		},
		{
			name:    "the second leg gets what the first left",
			balance: "0.10",
			held:    []LegRequest{{LegID: "b", Class: ClassPSTNOutbound, CallerID: orgNumber, To: usLocal2}},
			req:     LegRequest{LegID: "a", Class: ClassPSTNOutbound, CallerID: orgNumber, To: usLocal2},
			amount:  "0.03", granted: 2 * time.Minute, // 0.03 left pays 2 × 0.014 = 0.028 → 0.03
		},
		{
			name:    "an access leg is free and unlimited",
			balance: "0",
			req:     LegRequest{LegID: "a", Class: ClassAccess},
			amount:  "0", wantFree: true,
		},
		{
			name:    "a client leg is rated at the client rate",
			balance: "0.01",
			req:     LegRequest{LegID: "a", Class: ClassClient, From: "1001", To: "1002"},
			amount:  "0.01", granted: 2 * time.Minute,
		},
		{
			name:    "an inbound leg to a toll-free number needs its dearer first minute",
			balance: "0.02",
			req:     LegRequest{LegID: "a", Class: ClassPSTNInbound, From: gbLocal, PhoneNumber: usTollFree},
			wantErr: ErrInsufficientCredit,
		},
		{
			name:    "a destination without a rate is refused as unrated",
			balance: "10",
			req:     LegRequest{LegID: "a", Class: ClassPSTNOutbound, CallerID: orgNumber, To: cnMobile},
			wantErr: ErrNoRate,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(tt.balance)
			cfg.Organization.LowBalance = decimal.Zero
			m := newTestMeter(t, nil, cfg)
			for _, h := range tt.held {
				if _, err := m.Credit().Authorize(ctx, h); err != nil {
					t.Fatal(err)
				}
			}
			r, err := m.Credit().Authorize(ctx, tt.req)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantText) {
					t.Errorf("error %q does not say %q", err, tt.wantText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !r.Amount.Equal(dec(tt.amount)) || r.Granted != tt.granted || r.Free != tt.wantFree {
				t.Errorf("reservation %+v, want amount %s granted %v free %v", r, tt.amount, tt.granted, tt.wantFree)
			}
		})
	}
}

func TestAuthorizeTwiceReturnsTheSameReservation(t *testing.T) {
	m := newTestMeter(t, nil, testConfig("1.00"))
	req := LegRequest{LegID: "a", Class: ClassPSTNOutbound, CallerID: orgNumber, To: usLocal2}
	r1, err := m.Credit().Authorize(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := m.Credit().Authorize(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !r1.Amount.Equal(r2.Amount) || !m.Credit().Info().Reserved.Equal(r1.Amount) {
		t.Errorf("second authorization %+v, reserved %s; want the first %+v held once", r2, m.Credit().Info().Reserved, r1)
	}
	m.Credit().Release("a")
	m.Credit().Release("a")
	if !m.Credit().Info().Reserved.IsZero() {
		t.Errorf("reserved %s after release, want 0", m.Credit().Info().Reserved)
	}
}

// Many goroutines authorizing, posting and releasing never reserve more
// than the balance, and the balance never goes below zero.
func TestAuthorizeIsSafeUnderConcurrency(t *testing.T) {
	m := newTestMeter(t, nil, testConfig("5.00"))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := fmt.Sprintf("g%d-%d", g, i)
				r, err := m.Credit().Authorize(context.Background(), LegRequest{LegID: id, Class: ClassPSTNOutbound, CallerID: orgNumber, To: auLocal})
				if errors.Is(err, ErrInsufficientCredit) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				info := m.Credit().Info()
				if info.Reserved.GreaterThan(info.Balance) {
					t.Errorf("reserved %s > balance %s", info.Reserved, info.Balance)
				}
				secs := int64(r.Granted/time.Second) / int64(1+i%3)
				if i%5 == 0 {
					m.Credit().Release(id)
					continue
				}
				postLegs(t, m, leg(id, ClassPSTNOutbound, "1001", auLocal, orgNumber, "", secs))
			}
		}()
	}
	wg.Wait()
	info := m.Credit().Info()
	if !info.Reserved.IsZero() || info.Balance.IsNegative() {
		t.Errorf("after all legs: %+v", info)
	}
	assertVerified(t, m)
}

func TestTopUp(t *testing.T) {
	ctx := context.Background()
	m := newTestMeter(t, nil, testConfig("0"))
	p, replay, err := m.Ledger().TopUp(ctx, "k1", dec("10.00"), "card")
	if err != nil || replay || !p.Amount.Equal(dec("10")) {
		t.Fatalf("first top-up: %+v %v %v", p, replay, err)
	}
	t.Run("the same key again returns the first top-up", func(t *testing.T) {
		p2, replay, err := m.Ledger().TopUp(ctx, "k1", dec("10"), "again")
		if err != nil || !replay || p2.Seq != p.Seq || p2.Note != "card" {
			t.Fatalf("replay: %+v %v %v", p2, replay, err)
		}
		assertBalance(t, m, "10")
	})
	t.Run("the same key with another amount is a conflict", func(t *testing.T) {
		_, _, err := m.Ledger().TopUp(ctx, "k1", dec("20"), "")
		if !errors.Is(err, ErrPostingConflict) {
			t.Fatalf("error = %v", err)
		}
		assertBalance(t, m, "10")
	})
	t.Run("a non-positive amount is refused", func(t *testing.T) {
		for _, a := range []string{"0", "-5"} {
			if _, _, err := m.Ledger().TopUp(ctx, "k-"+a, dec(a), ""); err == nil {
				t.Errorf("top-up of %s accepted", a)
			}
		}
	})
	t.Run("a correction is a new posting, never an edit", func(t *testing.T) {
		if _, _, err := m.Ledger().Adjust(ctx, PostCorrection, "c1", dec("-2.50"), "k1", "typo"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.Ledger().Adjust(ctx, PostRefund, "r1", dec("0.50"), "leg-9", "dropped call"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.Ledger().Adjust(ctx, PostRefund, "r2", dec("-0.50"), "", ""); err == nil {
			t.Error("a negative refund was accepted")
		}
		assertBalance(t, m, "8.00")
		assertVerified(t, m)
	})
}

func TestStartingBalanceIsPostedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dialtone.db")
	db := openDB(t, path)
	newTestMeter(t, db, testConfig("25.00"))
	m := newTestMeter(t, db, testConfig("25.00"))
	assertBalance(t, m, "25")
	// A changed starting balance is not posted again: it is a top-up's job.
	m = newTestMeter(t, db, testConfig("30.00"))
	assertBalance(t, m, "25")
	ps, _ := m.Ledger().Postings(time.Time{}, time.Time{}, 0)
	if len(ps) != 1 || ps[0].ID != "initial:acme" {
		t.Errorf("postings %+v, want one initial:acme", ps)
	}
}

func TestLowBalanceWarnsOnceAndSetsTheGauge(t *testing.T) {
	var logs bytes.Buffer
	cfg := testConfig("1.05")
	m := newTestMeter(t, nil, cfg, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	reg := prometheus.NewRegistry()
	for _, c := range m.Collectors() {
		if err := reg.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	gauge := func(name string) float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == name {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatalf("no metric %s", name)
		return 0
	}
	if gauge("dialtone_billing_low_balance") != 0 {
		t.Error("low before any charge")
	}
	postLegs(t, m, leg("l1", ClassPSTNOutbound, "1001", usLocal2, orgNumber, "", 240)) // 0.06 → 0.99
	postLegs(t, m, leg("l2", ClassPSTNOutbound, "1001", usLocal2, orgNumber, "", 60))  // 0.02 → 0.97
	if n := strings.Count(logs.String(), "below the low-balance threshold"); n != 1 {
		t.Errorf("%d low-balance warnings, want 1:\n%s", n, logs.String())
	}
	if gauge("dialtone_billing_low_balance") != 1 || gauge("dialtone_billing_balance") != 0.97 {
		t.Errorf("gauges low %v balance %v", gauge("dialtone_billing_low_balance"), gauge("dialtone_billing_balance"))
	}
	if _, _, err := m.Ledger().TopUp(context.Background(), "t", dec("5"), ""); err != nil {
		t.Fatal(err)
	}
	if gauge("dialtone_billing_low_balance") != 0 || !strings.Contains(logs.String(), "back above") {
		t.Error("topping up did not clear the low-balance flag")
	}
	mfs, _ := reg.Gather()
	found := false
	for _, mf := range mfs {
		if mf.GetName() == "dialtone_billing_postings_total" {
			for _, mt := range mf.GetMetric() {
				if mt.GetLabel()[0].GetValue() == "call" || mt.GetLabel()[1].GetValue() == "call" {
					found = found || mt.GetCounter().GetValue() == 2
				}
			}
		}
	}
	if !found {
		t.Error("postings counter does not show 2 calls")
	}
}

func TestVerifyFindsATamperedBalance(t *testing.T) {
	m := newTestMeter(t, nil, testConfig("10.00"))
	postLegs(t, m, leg("l1", ClassPSTNOutbound, "1001", usLocal2, orgNumber, "", 60))
	assertVerified(t, m)
	err := m.ledger.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketBalances).Put([]byte("acme"), []byte("99.00"))
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := m.Ledger().Verify()
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || len(rep.Differences) != 1 {
		t.Fatalf("report %+v, want one difference", rep)
	}
	d := rep.Differences[0]
	if !d.Stored.Equal(dec("99")) || !d.Computed.Equal(dec("9.98")) || !d.Memory.Equal(dec("9.98")) {
		t.Errorf("difference %+v", d)
	}
}

func TestUsage(t *testing.T) {
	ctx := context.Background()
	day1 := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	m := newTestMeter(t, nil, testConfig("10.00"), WithClock(func() time.Time { return day1 }))
	a := leg("a", ClassPSTNOutbound, "1001", usLocal2, orgNumber, "", 60)  // 0.02
	b := leg("b", ClassPSTNOutbound, "1002", usLocal2, orgNumber, "", 120) // 0.03
	b.User = "1002"
	b.EndedAt = day1.AddDate(0, 0, 1)
	a.EndedAt = day1
	postLegs(t, m, a, b)
	if _, err := m.Texts().Post(ctx, TextRecord{MessageID: "m1", Kind: KindSMSOut, From: orgNumber, To: usLocal2, Body: "hi", User: "1001", Time: day1}); err != nil {
		t.Fatal(err)
	}
	if err := m.Rentals().SyncNumbers(ctx, []config.Number{{Number: orgNumber, Type: "local", User: "1001"}}, day1); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		group string
		want  map[string][3]string // calls, numbers, texts
	}{
		{GroupByUser, map[string][3]string{UsageOrganization: {"0", "0", "0"}, "1001": {"0.02", "1.15", "0.01"}, "1002": {"0.03", "0", "0"}}},
		{GroupByKind, map[string][3]string{"call": {"0.05", "0", "0"}, "number": {"0", "1.15", "0"}, "text": {"0", "0", "0.01"}, "topup": {"0", "0", "0"}}},
		{GroupByDay, map[string][3]string{"2025-03-10": {"0.02", "1.15", "0.01"}, "2025-03-11": {"0.03", "0", "0"}}},
	}
	for _, tt := range tests {
		t.Run("usage grouped by "+tt.group, func(t *testing.T) {
			rows, err := m.Ledger().Usage(time.Time{}, time.Time{}, tt.group)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(tt.want) {
				t.Fatalf("rows %+v", rows)
			}
			for _, r := range rows {
				w := tt.want[r.Group]
				if !r.Calls.Equal(dec(w[0])) || !r.Numbers.Equal(dec(w[1])) || !r.Texts.Equal(dec(w[2])) {
					t.Errorf("group %q: calls %s numbers %s texts %s, want %v", r.Group, r.Calls, r.Numbers, r.Texts, w)
				}
			}
		})
	}
	t.Run("a time range selects postings", func(t *testing.T) {
		rows, err := m.Ledger().Usage(day1.AddDate(0, 0, 1), day1.AddDate(0, 0, 2), GroupByKind)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || !rows[0].Calls.Equal(dec("0.03")) {
			t.Errorf("rows %+v", rows)
		}
	})
	t.Run("an unknown grouping is an error", func(t *testing.T) {
		if _, err := m.Ledger().Usage(time.Time{}, time.Time{}, "colour"); err == nil {
			t.Error("no error")
		}
	})
}

func TestMeterRefusesADeckInAnotherCurrency(t *testing.T) {
	cfg := testConfig("1")
	cfg.Organization.Currency = "EUR"
	_, err := NewMeter(openDB(t, ""), cfg, SampleDeck(), WithLogger(quietLogger()))
	if err == nil || !strings.Contains(err.Error(), "the organization pays in EUR") {
		t.Fatalf("error = %v", err)
	}
}
