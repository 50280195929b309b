package billing

import (
	"encoding/json"
	"errors"

	"github.com/shopspring/decimal"

	"github.com/dialtone/dialtone/money"
)

// ErrBadAmount is returned (wrapped) for an amount of money nobody can
// have meant: not positive, finer than the currency's smallest unit, or
// above billing.max_topup. The API answers 400.
var ErrBadAmount = errors.New("bad amount")

// Amounts print with their currency's decimals ("23.80", not "23.8")
// through money.Format, in the API, the CLI and the CSV export alike. Each
// type below shadows its decimal fields with formatted strings of the same
// JSON name: the outer field wins over the embedded one.

// amount is a decimal written by money.Format.
type amount struct {
	d        decimal.Decimal
	currency string
}

func (a amount) MarshalJSON() ([]byte, error) { return json.Marshal(money.Format(a.d, a.currency)) }

// MarshalJSON prints the charge's amount and rate with its currency's decimals.
func (c Charge) MarshalJSON() ([]byte, error) {
	type plain Charge
	return json.Marshal(struct {
		plain
		Amount amount `json:"amount"`
		Rate   amount `json:"rate"`
	}{plain(c), amount{c.Amount, c.Currency}, amount{c.Rate, c.Currency}})
}

// MarshalJSON prints the quote's money with its currency's decimals.
func (q Quote) MarshalJSON() ([]byte, error) {
	type plain Quote
	return json.Marshal(struct {
		plain
		Rate       amount `json:"rate"`
		ConnectFee amount `json:"connect_fee"`
		Charge     amount `json:"charge"`
	}{plain(q), amount{q.Rate, q.Currency}, amount{q.ConnectFee, q.Currency}, amount{q.Charge, q.Currency}})
}

// MarshalJSON prints the balance with its currency's decimals.
func (b BalanceInfo) MarshalJSON() ([]byte, error) {
	type plain BalanceInfo
	return json.Marshal(struct {
		plain
		Balance    amount `json:"balance"`
		Reserved   amount `json:"reserved"`
		Available  amount `json:"available"`
		LowBalance amount `json:"low_balance_threshold"`
	}{plain(b), amount{b.Balance, b.Currency}, amount{b.Reserved, b.Currency}, amount{b.Available, b.Currency}, amount{b.LowBalance, b.Currency}})
}

// MarshalJSON prints the top-up with its currency's decimals.
func (t TopUpResult) MarshalJSON() ([]byte, error) {
	type plain TopUpResult
	return json.Marshal(struct {
		plain
		Amount  amount `json:"amount"`
		Balance amount `json:"balance"`
	}{plain(t), amount{t.Amount, t.Currency}, amount{t.Balance, t.Currency}})
}

// MarshalJSON prints the row's totals with the organization's decimals.
func (r UsageRow) MarshalJSON() ([]byte, error) {
	type plain UsageRow
	c := r.currency
	return json.Marshal(struct {
		plain
		Calls       amount `json:"calls"`
		Numbers     amount `json:"numbers"`
		Texts       amount `json:"texts"`
		Total       amount `json:"total"`
		Adjustments amount `json:"adjustments"`
		TopUps      amount `json:"topups"`
	}{plain(r), amount{r.Calls, c}, amount{r.Numbers, c}, amount{r.Texts, c}, amount{r.Total, c}, amount{r.Adjustments, c}, amount{r.TopUps, c}})
}

// MarshalJSON prints a listed posting's money with the organization's
// decimals; a posting as stored (no currency) keeps its exact form.
func (p Posting) MarshalJSON() ([]byte, error) {
	type plain Posting
	if p.currency == "" {
		return json.Marshal(plain(p))
	}
	return json.Marshal(struct {
		plain
		Amount  amount `json:"amount"`
		Balance amount `json:"balance"`
	}{plain(p), amount{p.Amount, p.currency}, amount{p.Balance, p.currency}})
}

// MarshalJSON prints a listed rental's charge with the organization's
// decimals; a rental as stored (no currency) keeps its exact form.
func (r Rental) MarshalJSON() ([]byte, error) {
	type plain Rental
	if r.currency == "" {
		return json.Marshal(plain(r))
	}
	return json.Marshal(struct {
		plain
		LastCharge amount `json:"last_charge"`
	}{plain(r), amount{r.LastCharge, r.currency}})
}

// MarshalJSON prints the report's balances with the organization's decimals.
func (r VerifyReport) MarshalJSON() ([]byte, error) {
	type plain VerifyReport
	if r.currency == "" {
		return json.Marshal(plain(r))
	}
	balances := make(map[string]amount, len(r.Balances))
	for acct, b := range r.Balances {
		balances[acct] = amount{b, r.currency}
	}
	diffs := make([]any, len(r.Differences))
	for i, d := range r.Differences {
		type plainDiff Difference
		diffs[i] = struct {
			plainDiff
			Stored   amount `json:"stored"`
			Computed amount `json:"computed"`
			Memory   amount `json:"memory"`
		}{plainDiff(d), amount{d.Stored, r.currency}, amount{d.Computed, r.currency}, amount{d.Memory, r.currency}}
	}
	return json.Marshal(struct {
		plain
		Balances    map[string]amount `json:"balances"`
		Differences []any             `json:"differences"`
	}{plain(r), balances, diffs})
}
