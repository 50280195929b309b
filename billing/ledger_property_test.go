package billing

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.etcd.io/bbolt"
)

// model is what the ledger must agree with: a balance and the postings
// made, by id.
type model struct {
	balance  decimal.Decimal
	postings map[string]decimal.Decimal
	open     map[string]*openLeg
	posted   map[string]*CDR
}

type openLeg struct {
	req LegRequest
	res *Reservation
}

func (md *model) reserved() decimal.Decimal {
	sum := decimal.Zero
	for _, o := range md.open {
		sum = sum.Add(o.res.Amount)
	}
	return sum
}

var propDestinations = []LegRequest{
	{Class: ClassPSTNOutbound, CallerID: orgNumber, To: auLocal},
	{Class: ClassPSTNOutbound, CallerID: orgNumber, To: usLocal2},
	{Class: ClassPSTNOutbound, CallerID: orgNumber, To: gbMobile},
	{Class: ClassPSTNOutbound, CallerID: orgNumber, To: cnMobile}, // unrated
	{Class: ClassPSTNInbound, From: gbLocal, PhoneNumber: orgNumber},
	{Class: ClassPSTNInbound, From: gbLocal, PhoneNumber: usTollFree},
	{Class: ClassClient, From: "1001", To: "1002"},
	{Class: ClassAccess, From: "1001", To: auLocal},
}

// Random sequences of top-ups, legs, renewals, replays, rollbacks,
// releases and corrections keep the ledger equal to a simple model: the
// balance is the sum of the postings, nothing is charged twice, every
// reservation pays for the time it grants, and reservations keep the
// balance from going below zero (a leg never lasts past its grant).
func TestLedgerMatchesModelUnderRandomOperations(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprintf("random sequence %d keeps the ledger equal to the model", seed), func(t *testing.T) {
			runModel(t, seed, 400, 300)
		})
	}
	// Small top-ups keep the balance tight, so renewals are cut short and
	// refused.
	for seed := range uint64(8) {
		t.Run(fmt.Sprintf("random sequence %d on a tight balance keeps the ledger equal to the model", seed), func(t *testing.T) {
			runModel(t, 100+seed, 400, 10)
		})
	}
}

// runModel plays steps random operations; top-ups are up to topUpCents.
func runModel(t *testing.T, seed uint64, steps int, topUpCents int64) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 99))
	cfg := testConfig("0.50")
	cfg.Organization.LowBalance = decimal.Zero
	m := newTestMeter(t, nil, cfg)
	md := &model{
		balance:  dec("0.50"),
		postings: map[string]decimal.Decimal{"initial:acme": dec("0.50")},
		open:     map[string]*openLeg{},
		posted:   map[string]*CDR{},
	}
	legN, topN := 0, 0
	money := func(maxCents int64) decimal.Decimal { return decimal.New(1+rng.Int64N(maxCents), -2) }
	anyKey := func(mp map[string]decimal.Decimal, prefix string) (string, bool) {
		var keys []string
		for k := range mp {
			if strings.HasPrefix(k, prefix) {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			return "", false
		}
		// Map order is random: sort for a reproducible choice.
		sortStrings(keys)
		return keys[rng.IntN(len(keys))], true
	}

	for step := range steps {
		switch op := rng.IntN(12); op {
		case 0: // a new top-up
			topN++
			key := fmt.Sprintf("t%d", topN)
			amt := money(topUpCents)
			if _, replay, err := m.Ledger().TopUp(ctx, key, amt, ""); err != nil || replay {
				t.Fatalf("step %d: top-up: %v %v", step, replay, err)
			}
			md.balance = md.balance.Add(amt)
			md.postings["topup:"+key] = amt
		case 1: // a replayed top-up, sometimes with another amount
			id, ok := anyKey(md.postings, "topup:")
			if !ok {
				continue
			}
			amt := md.postings[id]
			if rng.IntN(2) == 0 {
				if _, replay, err := m.Ledger().TopUp(ctx, strings.TrimPrefix(id, "topup:"), amt, ""); err != nil || !replay {
					t.Fatalf("step %d: replay: %v %v", step, replay, err)
				}
			} else if _, _, err := m.Ledger().TopUp(ctx, strings.TrimPrefix(id, "topup:"), amt.Add(dec("0.01")), ""); !errors.Is(err, ErrPostingConflict) {
				t.Fatalf("step %d: conflicting replay: %v", step, err)
			}
		case 2, 3, 4: // a leg starts
			legN++
			req := propDestinations[rng.IntN(len(propDestinations))]
			req.LegID = fmt.Sprintf("leg%d", legN)
			res, err := m.Credit().Authorize(ctx, req)
			switch {
			case errors.Is(err, ErrNoRate):
			case errors.Is(err, ErrInsufficientCredit):
				lr, _ := m.Rater().resolveLeg(req.Class, req.From, req.To, req.CallerID, req.PhoneNumber)
				if avail := md.balance.Sub(md.reserved()); !avail.LessThan(firstIncrementCharge(lr.rate)) {
					t.Fatalf("step %d: refused with %s available for a first increment of %s", step, avail, firstIncrementCharge(lr.rate))
				}
			case err != nil:
				t.Fatalf("step %d: authorize: %v", step, err)
			default:
				if res.Amount.GreaterThan(md.balance.Sub(md.reserved())) {
					t.Fatalf("step %d: reserved %s of %s available", step, res.Amount, md.balance.Sub(md.reserved()))
				}
				md.open[req.LegID] = &openLeg{req: req, res: res}
			}
		case 5, 6, 7: // legs end: post a batch, sometimes rolled back
			var ids []string
			for id := range md.open {
				ids = append(ids, id)
			}
			sortStrings(ids)
			rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
			ids = ids[:min(len(ids), 1+rng.IntN(4))]
			var cdrs []*CDR
			for _, id := range ids {
				o := md.open[id]
				secs := int64(0)
				if o.res.Free {
					secs = rng.Int64N(7200)
				} else if max := int64(o.res.Granted / time.Second); max > 0 {
					secs = rng.Int64N(max + 1)
				}
				c := &CDR{LegID: id, BillingClass: o.req.Class, From: o.req.From, To: o.req.To, CallerID: o.req.CallerID,
					PhoneNumber: o.req.PhoneNumber, BillableSecs: secs, EndedAt: t0}
				cdrs = append(cdrs, c)
			}
			// A replay of an already posted leg rides along.
			if len(md.posted) > 0 && rng.IntN(3) == 0 {
				var done []string
				for id := range md.posted {
					done = append(done, id)
				}
				sortStrings(done)
				old := *md.posted[done[rng.IntN(len(done))]]
				cdrs = append(cdrs, &old)
			}
			rollback := rng.IntN(5) == 0
			var after []func()
			err := m.ledger.db.Update(func(tx *bbolt.Tx) error {
				for _, c := range cdrs {
					f, err := m.postLeg(tx, c)
					if err != nil {
						return err
					}
					after = append(after, f)
				}
				if rollback {
					return errRollback
				}
				return nil
			})
			if rollback {
				if !errors.Is(err, errRollback) {
					t.Fatalf("step %d: %v", step, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("step %d: post legs: %v", step, err)
			}
			for _, f := range after {
				f()
			}
			for _, c := range cdrs {
				if _, again := md.posted[c.LegID]; again {
					continue
				}
				if c.Charge.Amount.GreaterThan(md.open[c.LegID].res.Amount) {
					t.Fatalf("step %d: leg %s charged %s over its reservation %s", step, c.LegID, c.Charge.Amount, md.open[c.LegID].res.Amount)
				}
				delete(md.open, c.LegID)
				md.posted[c.LegID] = c
				if c.Charge.Amount.IsPositive() {
					md.balance = md.balance.Sub(c.Charge.Amount)
					md.postings["call:"+c.LegID] = c.Charge.Amount.Neg()
				}
			}
		case 8: // a leg fails before it is answered and is released
			for id := range md.open {
				m.Credit().Release(id)
				delete(md.open, id)
				break
			}
		case 10, 11: // a leg up renews its reservation by a slice
			var ids []string
			for id := range md.open {
				ids = append(ids, id)
			}
			if len(ids) == 0 {
				continue
			}
			sortStrings(ids)
			id := ids[rng.IntN(len(ids))]
			o := md.open[id]
			avail := md.balance.Sub(md.reserved())
			granted, err := m.Credit().Renew(ctx, id)
			switch {
			case o.res.Free:
				if !errors.Is(err, ErrNoReservation) && (err != nil || granted != 0) {
					t.Fatalf("step %d: renewing a free leg: %v, %v", step, granted, err)
				}
				continue
			case errors.Is(err, ErrInsufficientCredit):
				if granted != o.res.Granted {
					t.Fatalf("step %d: a refused renewal changed the grant from %v to %v", step, o.res.Granted, granted)
				}
				if more := o.res.rate.voiceCharge(int64(granted/time.Second) + int64(o.res.rate.Increment)).Sub(o.res.Amount); !avail.LessThan(more) {
					t.Fatalf("step %d: renewal refused with %s available for an increment of %s", step, avail, more)
				}
			case err != nil:
				t.Fatalf("step %d: renew: %v", step, err)
			default:
				r := reservationOf(t, m, id)
				if granted <= o.res.Granted || r.Granted != granted {
					t.Fatalf("step %d: renewal granted %v after %v (held %v)", step, granted, o.res.Granted, r.Granted)
				}
				if more := r.Amount.Sub(o.res.Amount); more.GreaterThan(avail) {
					t.Fatalf("step %d: renewal reserved %s more of %s available", step, more, avail)
				}
				o.res = r
			}
			// The reservation always pays for the time it grants.
			if need := o.res.rate.voiceCharge(int64(o.res.Granted / time.Second)); o.res.Amount.LessThan(need) {
				t.Fatalf("step %d: leg %s holds %s for %v that cost %s", step, id, o.res.Amount, o.res.Granted, need)
			}
		case 9: // a correction or refund
			key := fmt.Sprintf("c%d", step)
			amt := money(100)
			kind := PostRefund
			if rng.IntN(2) == 0 {
				kind = PostCorrection
				if avail := md.balance.Sub(md.reserved()); amt.LessThanOrEqual(avail) {
					amt = amt.Neg()
				}
			}
			if _, _, err := m.Ledger().Adjust(ctx, kind, key, amt, "", ""); err != nil {
				t.Fatalf("step %d: adjust: %v", step, err)
			}
			md.balance = md.balance.Add(amt)
			md.postings[string(kind)+":"+key] = amt
		}

		info := m.Credit().Info()
		if !info.Balance.Equal(md.balance) {
			t.Fatalf("step %d: balance %s, model %s", step, info.Balance, md.balance)
		}
		if !info.Reserved.Equal(md.reserved()) {
			t.Fatalf("step %d: reserved %s, model %s", step, info.Reserved, md.reserved())
		}
		if info.Balance.IsNegative() {
			t.Fatalf("step %d: balance %s below zero", step, info.Balance)
		}
	}

	ps, err := m.Ledger().Postings(time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != len(md.postings) {
		t.Errorf("%d postings, model has %d", len(ps), len(md.postings))
	}
	sum := decimal.Zero
	for _, p := range ps {
		want, ok := md.postings[p.ID]
		if !ok || !want.Equal(p.Amount) {
			t.Errorf("posting %s %s, model %s (%v)", p.ID, p.Amount, want, ok)
		}
		sum = sum.Add(p.Amount)
	}
	if !sum.Equal(md.balance) {
		t.Errorf("sum of postings %s, balance %s", sum, md.balance)
	}
	assertVerified(t, m)
}

var errRollback = errors.New("rolled back on purpose")

func reservationOf(t *testing.T, m *Meter, legID string) *Reservation {
	t.Helper()
	for _, r := range m.Credit().Reservations() {
		if r.LegID == legID {
			return &r
		}
	}
	t.Fatalf("no reservation for leg %s", legID)
	return nil
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

const (
	crashEnv   = "DIALTONE_BILLING_CRASH_DB"
	crashBatch = 250
)

func crashCDR(i int) *CDR {
	return &CDR{
		LegID: fmt.Sprintf("crash-%07d", i), BillingClass: ClassPSTNOutbound, From: "1001", To: auLocal,
		CallerID: orgNumber, BillableSecs: int64(1 + i%300), EndedAt: t0,
	}
}

// TestCrashChild is the child process of TestCrashKeepsTheLedgerConsistent:
// it posts batches of legs (and a top-up now and then) until it is killed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("only runs as the child of the crash test")
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMeter(db, testConfig("1000000"), SampleDeck(), WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	for b := 0; ; b++ {
		var after []func()
		err := db.Update(func(tx *bbolt.Tx) error {
			for i := b * crashBatch; i < (b+1)*crashBatch; i++ {
				f, err := m.postLeg(tx, crashCDR(i))
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
		if b%10 == 9 {
			if _, _, err := m.Ledger().TopUp(context.Background(), fmt.Sprintf("crash-%d", b), dec("1.00"), ""); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Printf("committed %d\n", (b+1)*crashBatch)
	}
}

// A process killed with SIGKILL in the middle of posting leaves a ledger
// whose balances match its postings, whose batches are whole, and on
// which replaying every leg charges nothing twice.
func TestCrashKeepsTheLedgerConsistent(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), "dialtone.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill once enough batches are through: the child is then somewhere in
	// the middle of the next one.
	reported := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "committed "); ok {
			reported, _ = strconv.Atoi(n)
			if reported >= 40*crashBatch {
				break
			}
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if reported < 40*crashBatch {
		t.Fatalf("child stopped after %d legs", reported)
	}

	db := openDB(t, path)
	m := newTestMeter(t, db, testConfig("1000000"))
	rep, err := m.Ledger().Verify()
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("differences after the crash: %+v", rep.Differences)
	}
	ps, err := m.Ledger().Postings(time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	posted := map[string]bool{}
	for _, p := range ps {
		if p.Kind == PostCall {
			posted[p.Ref] = true
		}
	}
	n := len(posted)
	if n < reported || n%crashBatch != 0 {
		t.Fatalf("%d legs posted, %d reported committed: batches must be whole and durable", n, reported)
	}
	for i := range n {
		if !posted[crashCDR(i).LegID] {
			t.Fatalf("leg %d of the committed prefix is missing", i)
		}
	}

	before := m.Ledger().Balance("acme")
	var replays []*CDR
	for i := range n {
		replays = append(replays, crashCDR(i))
	}
	postLegs(t, m, replays...)
	if got := m.Ledger().Balance("acme"); !got.Equal(before) {
		t.Fatalf("replaying %d committed legs changed the balance from %s to %s", n, before, got)
	}
	// The legs the crash cut off are charged once when the switch replays them.
	next := crashCDR(n)
	postLegs(t, m, next)
	if got := m.Ledger().Balance("acme"); !got.Equal(before.Sub(next.Charge.Amount)) {
		t.Fatalf("balance %s after the next leg, want %s", got, before.Sub(next.Charge.Amount))
	}
	assertVerified(t, m)
}
