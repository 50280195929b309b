package billing

import (
	"cmp"
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

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
func (l *Ledger) Usage(from, to time.Time, groupBy string) ([]UsageRow, error) {
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
	ps, err := l.Postings(from, to, 0)
	if err != nil {
		return nil, fmt.Errorf("usage: %w", err)
	}
	currency := l.Currency()
	rows := map[string]*UsageRow{}
	for i := range ps {
		p := &ps[i]
		k := key(p)
		r := rows[k]
		if r == nil {
			r = &UsageRow{Group: k, currency: currency}
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
