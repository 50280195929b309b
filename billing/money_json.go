package billing

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/dialtone/dialtone/money"
)

// ErrBadAmount is returned (wrapped) for an amount of money nobody can
// have meant: not positive, finer than the currency's smallest unit, or
// above billing.max_topup. The API answers 400.
var ErrBadAmount = errors.New("bad amount")

// Amounts print with their currency's decimals ("23.80", not "23.8")
// through money.Format, in the API, the CLI and the CSV export alike. Each
// type below marshals as it always did, then has its money fields written
// again by withAmounts, keeping the keys in their order.

// withAmounts marshals v (a struct without this MarshalJSON) and writes
// the top-level keys named in keys with money.Format.
func withAmounts(v any, currency string, keys ...string) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	type field struct {
		key   string
		value json.RawMessage
	}
	var fields []field
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := t.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, err
		}
		var s string
		if slices.Contains(keys, key) && json.Unmarshal(value, &s) == nil {
			if d, err := decimal.NewFromString(s); err == nil {
				value, _ = json.Marshal(money.Format(d, currency))
			}
		}
		fields = append(fields, field{key, value})
	}
	var out bytes.Buffer
	out.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			out.WriteByte(',')
		}
		k, _ := json.Marshal(f.key)
		out.Write(k)
		out.WriteByte(':')
		out.Write(f.value)
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

// amount is a decimal written by money.Format.
type amount struct {
	d        decimal.Decimal
	currency string
}

// MarshalJSON quotes the formatted amount: digits, a sign and a point
// need no escaping.
func (a amount) MarshalJSON() ([]byte, error) {
	s := money.Format(a.d, a.currency)
	b := make([]byte, 0, len(s)+2)
	return append(append(append(b, '"'), s...), '"'), nil
}

// MarshalJSON prints the charge's amount and rate with its currency's
// decimals. Every CDR written goes through it, so it spells the fields out
// rather than re-reading its own JSON (withAmounts); a field added to
// Charge and not here fails TestEveryJSONFieldIsACSVColumn.
func (c Charge) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Amount        amount `json:"amount"`
		Currency      string `json:"currency"`
		Units         int64  `json:"units"`
		Rate          amount `json:"rate"`
		MatchedPrefix string `json:"matched_prefix,omitempty"`
		OriginCountry string `json:"origin_country,omitempty"`
		NumberType    string `json:"number_type,omitempty"`
	}{amount{c.Amount, c.Currency}, c.Currency, c.Units, amount{c.Rate, c.Currency}, c.MatchedPrefix, c.OriginCountry, c.NumberType})
}

// MarshalJSON prints the quote's money with its currency's decimals.
func (q Quote) MarshalJSON() ([]byte, error) {
	type plain Quote
	return withAmounts(plain(q), q.Currency, "rate", "connect_fee", "charge")
}

// MarshalJSON prints the balance with its currency's decimals.
func (b BalanceInfo) MarshalJSON() ([]byte, error) {
	type plain BalanceInfo
	return withAmounts(plain(b), b.Currency, "balance", "reserved", "available", "low_balance_threshold")
}

// BalanceReport is what /v1/balance answers: the balance, and the legs
// whose reservations make up its reserved part.
type BalanceReport struct {
	BalanceInfo
	ReservedBy []ReservedLeg `json:"reserved_by"`
}

// MarshalJSON prints the balance and every leg's reservation with the
// currency's decimals. (Embedding BalanceInfo alone would promote its
// MarshalJSON and lose reserved_by.)
func (r BalanceReport) MarshalJSON() ([]byte, error) {
	type plainInfo BalanceInfo
	type plainLeg ReservedLeg
	legs := make([]json.RawMessage, len(r.ReservedBy))
	for i, l := range r.ReservedBy {
		b, err := withAmounts(plainLeg(l), r.Currency, "amount")
		if err != nil {
			return nil, err
		}
		legs[i] = b
	}
	return withAmounts(struct {
		plainInfo
		ReservedBy []json.RawMessage `json:"reserved_by"`
	}{plainInfo(r.BalanceInfo), legs}, r.Currency, "balance", "reserved", "available", "low_balance_threshold")
}

// MarshalJSON prints the top-up with its currency's decimals.
func (t TopUpResult) MarshalJSON() ([]byte, error) {
	type plain TopUpResult
	return withAmounts(plain(t), t.Currency, "amount", "balance")
}

// MarshalJSON prints the row's totals with the organization's decimals.
func (r UsageRow) MarshalJSON() ([]byte, error) {
	type plain UsageRow
	return withAmounts(plain(r), r.currency, "calls", "numbers", "texts", "total", "adjustments", "topups")
}

// MarshalJSON prints a listed posting's money with the organization's
// decimals; a posting as stored (no currency) keeps its exact form.
func (p Posting) MarshalJSON() ([]byte, error) {
	type plain Posting
	if p.currency == "" {
		return json.Marshal(plain(p))
	}
	return withAmounts(plain(p), p.currency, "amount", "balance")
}

// MarshalJSON prints a listed rental's charge with the organization's
// decimals; a rental as stored (no currency) keeps its exact form.
func (r Rental) MarshalJSON() ([]byte, error) {
	type plain Rental
	if r.currency == "" {
		return json.Marshal(plain(r))
	}
	return withAmounts(plain(r), r.currency, "last_charge")
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
	type plainDiff Difference
	diffs := make([]json.RawMessage, len(r.Differences))
	for i, d := range r.Differences {
		var err error
		if diffs[i], err = withAmounts(plainDiff(d), r.currency, "stored", "computed", "memory"); err != nil {
			return nil, err
		}
	}
	return json.Marshal(struct {
		plain
		Balances    map[string]amount `json:"balances"`
		Differences []json.RawMessage `json:"differences"`
	}{plain(r), balances, diffs})
}
