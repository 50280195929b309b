package billing

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"
	"go.etcd.io/bbolt"
)

// CallUsageRow is the minutes and charges of the billed legs of a group:
// the trunk legs (outbound, inbound) and the legs between users (client).
// A user's own side of a trunk call (access) is free and not counted, so
// a call out is one leg's minutes, not two.
type CallUsageRow struct {
	Group   string          `json:"group"`
	Legs    int             `json:"legs"`
	Seconds int64           `json:"billable_seconds"`
	Minutes decimal.Decimal `json:"minutes"`
	Charge  decimal.Decimal `json:"charge"`
}

// Call usage kinds: the billing classes that carry minutes, by the names
// the usage reports give them.
var callUsageKinds = map[Class]string{ClassPSTNOutbound: "outbound", ClassPSTNInbound: "inbound", ClassClient: "client"}

var errStopWalk = errors.New("stop")

// CallUsage sums the billed legs that ended in [from, to) (zero: open),
// optionally of one user, per day, kind or user, in group order. It
// walks the end-time index from from, one CDR at a time.
func CallUsage(db *bbolt.DB, from, to time.Time, user, groupBy string) ([]CallUsageRow, error) {
	var key func(*CDR) string
	switch groupBy {
	case GroupByDay:
		key = func(c *CDR) string { return c.EndedAt.UTC().Format(time.DateOnly) }
	case GroupByKind:
		key = func(c *CDR) string { return callUsageKinds[c.BillingClass] }
	case GroupByUser:
		key = func(c *CDR) string { return cmp.Or(c.User, UsageOrganization) }
	case "":
		key = func(*CDR) string { return "" }
	default:
		return nil, fmt.Errorf("call usage: group_by %q is not day, kind or user", groupBy)
	}
	rows := map[string]*CallUsageRow{}
	err := ListCDRs(db, from, func(c *CDR) error {
		if !to.IsZero() && !c.EndedAt.Before(to) {
			return errStopWalk
		}
		if callUsageKinds[c.BillingClass] == "" || user != "" && c.User != user {
			return nil
		}
		k := key(c)
		r := rows[k]
		if r == nil {
			r = &CallUsageRow{Group: k}
			rows[k] = r
		}
		r.Legs++
		r.Seconds += c.BillableSecs
		if c.Charge != nil {
			r.Charge = r.Charge.Add(c.Charge.Amount)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopWalk) {
		return nil, fmt.Errorf("call usage: %w", err)
	}
	out := make([]CallUsageRow, 0, len(rows))
	for _, r := range rows {
		r.Minutes = decimal.New(r.Seconds, 0).Div(decimal.New(60, 0)).Round(1)
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b CallUsageRow) int { return cmp.Compare(a.Group, b.Group) })
	return out, nil
}
