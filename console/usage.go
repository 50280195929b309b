package console

import (
	"encoding/csv"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

type usageRow struct {
	Group       string `json:"group"`
	Calls       string `json:"calls"`
	Numbers     string `json:"numbers"`
	Texts       string `json:"texts"`
	Total       string `json:"total"`
	Adjustments string `json:"adjustments"`
	TopUps      string `json:"topups"`
	Postings    int    `json:"postings"`
}

type usageReport struct {
	Currency string     `json:"currency"`
	Rows     []usageRow `json:"rows"`
}

type usageData struct {
	Filter   url.Values
	Currency string
	ByDay    template.HTML
	ByKind   template.HTML
	ByUser   template.HTML
	// Minutes of the billed legs.
	MinutesByDay  template.HTML
	MinutesByKind template.HTML
	Rows          []usageRow // by user
	Users         []string
}

// usagePath is the /v1/usage request for a grouping and the page's period.
func usagePath(group string, q url.Values) string {
	v := url.Values{"group_by": {group}}
	for _, k := range []string{"from", "to"} {
		if s := q.Get(k); s != "" {
			v.Set(k, s)
		}
	}
	return "/v1/usage?" + v.Encode()
}

func dec(s string) decimal.Decimal {
	d, _ := decimal.NewFromString(s)
	return d
}

type callUsageRow struct {
	Group   string `json:"group"`
	Legs    int    `json:"legs"`
	Minutes string `json:"minutes"`
	Charge  string `json:"charge"`
}

type callUsageReport struct {
	Rows []callUsageRow `json:"rows"`
}

// callUsagePath is the /v1/usage/calls request for a grouping, the
// page's period and user.
func callUsagePath(group string, q url.Values) string {
	v := url.Values{"group_by": {group}}
	for _, k := range []string{"from", "to", "user"} {
		if s := strings.TrimSpace(q.Get(k)); s != "" {
			v.Set(k, s)
		}
	}
	return "/v1/usage/calls?" + v.Encode()
}

// handleUsage charts spend per day, kind and user, and minutes per day
// and kind, for the chosen period (the last 30 days unless chosen), from
// /v1/usage and /v1/usage/calls. Calls are split by kind (outbound,
// inbound, client) beside texts and numbers. With a user chosen, the
// charts are that user's.
func (c *Console) handleUsage(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	if q.Get("from") == "" && q.Get("to") == "" {
		q.Set("from", time.Now().UTC().AddDate(0, 0, -29).Format(time.DateOnly))
	}
	var byDay, byKind, byUser usageReport
	var minDay, minKind callUsageReport
	for _, x := range []struct {
		path string
		out  any
	}{{usagePath("day", q), &byDay}, {usagePath("kind", q), &byKind}, {usagePath("user", q), &byUser},
		{callUsagePath("day", q), &minDay}, {callUsagePath("kind", q), &minKind}} {
		if err := c.getJSON(r.Context(), s, x.path, x.out); err != nil {
			c.fail(w, r, s, "usage", err)
			return
		}
	}
	d := usageData{Filter: q, Currency: byUser.Currency}
	for _, row := range byUser.Rows {
		d.Users = append(d.Users, row.Group)
	}
	user := strings.TrimSpace(q.Get("user"))
	var dayBars, kindBars []bar
	if user == "" {
		for _, row := range byDay.Rows {
			dayBars = append(dayBars, bar{row.Group, dec(row.Total)})
		}
		for _, row := range byKind.Rows {
			if row.Group != "topup" && row.Group != "call" {
				kindBars = append(kindBars, bar{row.Group, dec(row.Total)})
			}
		}
		d.Rows = byUser.Rows
	} else {
		var err error
		if dayBars, kindBars, err = c.userSpend(r, s, q, user); err != nil {
			c.fail(w, r, s, "usage", err)
			return
		}
		for _, row := range byUser.Rows {
			if row.Group == user {
				d.Rows = append(d.Rows, row)
			}
		}
	}
	var callKinds, userBars, minDayBars, minKindBars []bar
	for _, row := range minKind.Rows {
		callKinds = append(callKinds, bar{row.Group, dec(row.Charge)})
		minKindBars = append(minKindBars, bar{row.Group, dec(row.Minutes)})
	}
	for _, row := range minDay.Rows {
		minDayBars = append(minDayBars, bar{row.Group, dec(row.Minutes)})
	}
	for _, row := range d.Rows {
		userBars = append(userBars, bar{row.Group, dec(row.Total)})
	}
	cur := " " + d.Currency
	d.ByDay = barChart("Spend per day", cur, 2, dayBars)
	d.ByKind = barChart("Spend per kind", cur, 2, append(callKinds, kindBars...))
	d.ByUser = barChart("Spend per user", cur, 2, userBars)
	d.MinutesByDay = barChart("Minutes per day", " min", 1, minDayBars)
	d.MinutesByKind = barChart("Minutes per kind", " min", 1, minKindBars)
	c.render(w, r, s, http.StatusOK, "usage", page{Title: "Usage", Tab: "usage", Data: d})
}

// userSpend sums one user's charges per day and kind from the postings
// the API lists for the period (charges are negative postings).
func (c *Console) userSpend(r *http.Request, s *session, q url.Values, user string) (days, kinds []bar, err error) {
	v := url.Values{"limit": {"1000000"}}
	for _, k := range []string{"from", "to"} {
		if x := q.Get(k); x != "" {
			v.Set(k, x)
		}
	}
	var ps struct {
		Postings []posting `json:"postings"`
	}
	if err := c.getJSON(r.Context(), s, "/v1/postings?"+v.Encode(), &ps); err != nil {
		return nil, nil, err
	}
	add := func(bars []bar, label string, amount decimal.Decimal) []bar {
		for i := range bars {
			if bars[i].Label == label {
				bars[i].Value = bars[i].Value.Add(amount)
				return bars
			}
		}
		return append(bars, bar{label, amount})
	}
	for _, p := range ps.Postings {
		if p.User != user || p.Kind == "topup" {
			continue
		}
		amount := dec(p.Amount).Neg()
		if len(p.Time) >= 10 {
			days = add(days, p.Time[:10], amount)
		}
		if p.Kind != "call" { // calls are split by kind from /v1/usage/calls
			kinds = add(kinds, p.Kind, amount)
		}
	}
	return days, kinds, nil
}

// handleUsageCSV downloads /v1/usage's rows for a grouping as CSV.
func (c *Console) handleUsageCSV(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	group := q.Get("group_by")
	var rep usageReport
	if err := c.getJSON(r.Context(), s, usagePath(group, q), &rep); err != nil {
		c.fail(w, r, s, "usage", err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="usage-`+url.PathEscape(group)+`.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"group", "calls", "numbers", "texts", "total", "adjustments", "topups", "postings", "currency"})
	for _, row := range rep.Rows {
		_ = cw.Write([]string{row.Group, row.Calls, row.Numbers, row.Texts, row.Total, row.Adjustments, row.TopUps,
			strconv.Itoa(row.Postings), rep.Currency})
	}
	cw.Flush()
}
