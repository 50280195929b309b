package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"
	"go.etcd.io/bbolt"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/money"
)

// The organization's side of the ledger: its cached balance, the
// low-balance watch, top-ups and adjustments, and its postings as the API
// lists them.

// Account is the organization's account id.
func (l *Ledger) Account() string { return l.account }

// Currency is the organization's currency.
func (l *Ledger) Currency() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.currency
}

// reload takes a new config's currency, threshold and top-up limit.
func (l *Ledger) reload(cfg *config.Config, currency string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.currency = currency
	l.lowBalance = cfg.Organization.LowBalance
	l.maxTopUp = cfg.Billing.MaxTopUp
	if !l.maxTopUp.IsPositive() { // a config built in code
		l.maxTopUp = config.DefaultMaxTopUp
	}
}

// Balance is an account's cached balance.
func (l *Ledger) Balance(account string) decimal.Decimal {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.balances[account]
}

// balanceChange is what applying a posting changed, for report.
type balanceChange struct {
	kind         PostingKind
	crossed, low bool
	balance      decimal.Decimal
	threshold    decimal.Decimal
	currency     string
}

// apply updates the cache after a posting committed. Credit calls it
// inside its own lock when the posting settles a leg, so that balance −
// reserved never overstates what may be spent; report runs after.
func (l *Ledger) apply(account string, kind PostingKind, amount decimal.Decimal) balanceChange {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.balances[account] = l.balances[account].Add(amount)
	crossed, low := l.checkLowLocked()
	return balanceChange{kind: kind, crossed: crossed, low: low, balance: l.balances[l.account], threshold: l.lowBalance, currency: l.currency}
}

// report counts an applied posting and logs a crossing of the threshold.
func (l *Ledger) report(c balanceChange) {
	l.postings.WithLabelValues(string(c.kind)).Inc()
	if !c.crossed {
		return
	}
	if c.low {
		l.log.Warn("balance below the low-balance threshold", "account", l.account, "balance", c.balance.String(), "threshold", c.threshold.String(), "currency", c.currency)
	} else {
		l.log.Info("balance back above the low-balance threshold", "account", l.account, "balance", c.balance.String())
	}
}

func (l *Ledger) isLowLocked() bool {
	return l.lowBalance.IsPositive() && l.balances[l.account].LessThan(l.lowBalance)
}

func (l *Ledger) checkLowLocked() (crossed, low bool) {
	low = l.isLowLocked()
	crossed = low != l.low
	l.low = low
	return crossed, low
}

// resetLow takes the low-balance state as it is, without a log line (at
// open).
func (l *Ledger) resetLow() {
	l.mu.Lock()
	l.low = l.isLowLocked()
	l.mu.Unlock()
}

// post writes one posting in its own transaction and updates the cache.
func (l *Ledger) post(ctx context.Context, p Posting) (Posting, bool, error) {
	if err := ctx.Err(); err != nil {
		return Posting{}, false, err
	}
	var stored Posting
	var replay bool
	err := l.db.Update(func(tx *bbolt.Tx) error {
		var err error
		stored, replay, err = l.postTx(tx, p)
		return err
	})
	if err != nil {
		return stored, false, err
	}
	if !replay {
		l.report(l.apply(stored.Account, stored.Kind, stored.Amount))
	}
	return stored, replay, nil
}

// TopUp credits amount to the organization's balance. key makes it
// idempotent: the same key again returns the first top-up (replay=true);
// with another amount it is ErrPostingConflict.
func (l *Ledger) TopUp(ctx context.Context, key string, amount decimal.Decimal, note string) (p Posting, replay bool, err error) {
	if key == "" {
		return Posting{}, false, errors.New("top-up: idempotency key missing")
	}
	l.mu.Lock()
	limit, currency := l.maxTopUp, l.currency
	l.mu.Unlock()
	if err := money.CheckAmount(amount, currency, limit); err != nil {
		return Posting{}, false, fmt.Errorf("top-up %s: %w: %w", key, ErrBadAmount, err)
	}
	p, replay, err = l.post(ctx, Posting{
		ID: "topup:" + key, Account: l.account, Kind: PostTopUp, Amount: amount, Time: l.now(), Note: note,
	})
	if err != nil {
		return p, false, fmt.Errorf("top-up %s: %w", key, err)
	}
	return p, replay, nil
}

// Adjust posts a refund (positive) or a correction (either sign), keyed
// by key. It is how a wrong charge is undone: postings are never edited.
func (l *Ledger) Adjust(ctx context.Context, kind PostingKind, key string, amount decimal.Decimal, ref, note string) (Posting, bool, error) {
	switch {
	case kind != PostRefund && kind != PostCorrection:
		return Posting{}, false, fmt.Errorf("adjust %s: kind %q is not refund or correction", key, kind)
	case key == "":
		return Posting{}, false, errors.New("adjust: idempotency key missing")
	case amount.IsZero(), kind == PostRefund && amount.IsNegative():
		return Posting{}, false, fmt.Errorf("adjust %s: amount %s is not a valid %s", key, amount, kind)
	}
	p, replay, err := l.post(ctx, Posting{
		ID: string(kind) + ":" + key, Account: l.account, Kind: kind, Amount: amount, Time: l.now(), Ref: ref, Note: note,
	})
	if err != nil {
		return p, false, fmt.Errorf("adjust %s: %w", key, err)
	}
	return p, replay, nil
}

// Postings lists the organization's postings in [from, to) (zero: open),
// the newest limit of them when limit > 0.
func (l *Ledger) Postings(from, to time.Time, limit int) ([]Posting, error) {
	ps, err := l.list(postingFilter{Account: l.account, From: from, To: to, Limit: limit})
	currency := l.Currency()
	for i := range ps {
		ps[i].currency = currency
	}
	return ps, err
}

// Verify recomputes every balance from its postings and compares it with
// the stored and the cached balance.
func (l *Ledger) Verify() (*VerifyReport, error) {
	rep, err := l.verifyStored()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	rep.currency = l.currency
	seen := map[string]bool{}
	for i := range rep.Differences {
		d := &rep.Differences[i]
		d.Memory = l.balances[d.Account]
		seen[d.Account] = true
	}
	for acct, stored := range rep.Balances {
		if mem := l.balances[acct]; !seen[acct] && !mem.Equal(stored) {
			rep.Differences = append(rep.Differences, Difference{Account: acct, Stored: stored, Computed: stored, Memory: mem})
		}
	}
	return rep, nil
}

func (l *Ledger) initMetrics() {
	l.postings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name:        "dialtone_billing_postings_total",
		Help:        "Ledger postings written, by kind.",
		ConstLabels: prometheus.Labels{"organization": l.account},
	}, []string{"kind"})
	for _, k := range postingKinds {
		l.postings.WithLabelValues(string(k))
	}
}
