package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/shopspring/decimal"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/jsonbody"
)

// meterAPI serves the prepaid meter:
//
//	GET  /v1/balance                                 the balance, reservations (and the legs holding them), threshold
//	POST /v1/topups  {"amount":"10.00","note":"..."}  needs an Idempotency-Key header;
//	                                                 a replay returns the first result
//	GET  /v1/usage?from=&to=&group_by=user|kind|day  totals of calls, numbers, texts
//	GET  /v1/postings?from=&to=&limit=               the ledger's postings
//	GET  /v1/rentals                                 numbers and their rental status
//	GET  /v1/ledger/verify                           every balance recomputed from its postings
type meterAPI struct{ *Meter }

// Meter is what the billing routes use of the meter's parts.
type Meter struct {
	Credit  Credit
	Ledger  Ledger
	Rentals Rentals
}

// Credit is the organization's balance and the legs holding part of it
// (*billing.Credit).
type Credit interface {
	InfoWithLegs() (billing.BalanceInfo, []billing.ReservedLeg)
}

// Ledger is the organization's postings (*billing.Ledger).
type Ledger interface {
	TopUp(ctx context.Context, key string, amount decimal.Decimal, note string) (billing.Posting, bool, error)
	Currency() string
	Usage(from, to time.Time, groupBy string) ([]billing.UsageRow, error)
	Postings(from, to time.Time, limit int) ([]billing.Posting, error)
	Verify() (*billing.VerifyReport, error)
}

// Rentals lists the numbers' rentals (*billing.Rentals).
type Rentals interface {
	List() ([]billing.Rental, error)
}

func meterRoutes(mux *http.ServeMux, meter *Meter) {
	m := meterAPI{meter}
	mux.HandleFunc("GET /v1/balance", m.handleBalance)
	mux.HandleFunc("POST /v1/topups", m.handleTopUp)
	mux.HandleFunc("GET /v1/usage", m.handleUsage)
	mux.HandleFunc("GET /v1/postings", m.handlePostings)
	mux.HandleFunc("GET /v1/rentals", m.handleRentals)
	mux.HandleFunc("GET /v1/ledger/verify", m.handleVerify)
}

var writeJSON = jsonbody.Write

func writeError(w http.ResponseWriter, code int, err error) { jsonbody.Error(w, code, err.Error()) }

// handleVerify answers 200 with the report whether or not the ledger
// balances: the report is the answer, and its differences say what is wrong.
func (m meterAPI) handleVerify(w http.ResponseWriter, r *http.Request) {
	rep, err := m.Ledger.Verify()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if rep.Differences == nil {
		rep.Differences = []billing.Difference{}
	}
	writeJSON(w, http.StatusOK, rep)
}

func (m meterAPI) handleBalance(w http.ResponseWriter, r *http.Request) {
	// reserved_by explains reserved: the legs holding it.
	info, legs := m.Credit.InfoWithLegs()
	if legs == nil {
		legs = []billing.ReservedLeg{}
	}
	writeJSON(w, http.StatusOK, billing.BalanceReport{BalanceInfo: info, ReservedBy: legs})
}

func (m meterAPI) handleTopUp(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		writeError(w, http.StatusBadRequest, errors.New("the Idempotency-Key header is required"))
		return
	}
	if len(key) > 200 {
		writeError(w, http.StatusBadRequest, errors.New("the Idempotency-Key header is longer than 200 characters"))
		return
	}
	var body struct {
		Amount *decimal.Decimal `json:"amount"`
		Note   string           `json:"note"`
	}
	if err := jsonbody.Read(w, r, &body); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("decode top-up: %w", err))
		return
	}
	if body.Amount == nil {
		writeError(w, http.StatusBadRequest, errors.New("amount is required"))
		return
	}
	p, replay, err := m.Ledger.TopUp(r.Context(), key, *body.Amount, body.Note)
	switch {
	case errors.Is(err, billing.ErrBadAmount):
		writeError(w, http.StatusBadRequest, err)
		return
	case errors.Is(err, billing.ErrPostingConflict):
		writeError(w, http.StatusConflict, fmt.Errorf("Idempotency-Key %q was used for another top-up", key))
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	res := billing.TopUpResult{ID: p.ID, Amount: p.Amount, Currency: m.Ledger.Currency(), Note: p.Note, Time: p.Time, Balance: p.Balance, Replayed: replay}
	code := http.StatusCreated
	if replay {
		code = http.StatusOK
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, code, res)
}

// parseTime reads an API time: RFC 3339, or a date (midnight UTC; as an
// upper bound, a date includes its whole day).
func parseTime(s string, upper bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor YYYY-MM-DD", s)
	}
	if upper {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

func parseRange(r *http.Request) (from, to time.Time, err error) {
	q := r.URL.Query()
	if from, err = parseTime(q.Get("from"), false); err != nil {
		return from, to, fmt.Errorf("from: %w", err)
	}
	if to, err = parseTime(q.Get("to"), true); err != nil {
		return from, to, fmt.Errorf("to: %w", err)
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return from, to, errors.New("to is not after from")
	}
	return from, to, nil
}

func (m meterAPI) handleUsage(w http.ResponseWriter, r *http.Request) {
	from, to, group, ok := usageQuery(w, r, "user, kind or day")
	if !ok {
		return
	}
	rows, err := m.Ledger.Usage(from, to, group)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"from": optTime(from), "to": optTime(to), "group_by": group, "currency": m.Ledger.Currency(), "rows": rows,
	})
}

// usageQuery reads a usage request's range and grouping (user, kind or
// day; said in the order of groups), answering 400 when they do not read.
func usageQuery(w http.ResponseWriter, r *http.Request, groups string) (from, to time.Time, group string, ok bool) {
	from, to, err := parseRange(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return from, to, "", false
	}
	group = r.URL.Query().Get("group_by")
	switch group {
	case "", billing.GroupByUser, billing.GroupByKind, billing.GroupByDay:
	default:
		writeError(w, http.StatusBadRequest, fmt.Errorf("group_by %q is not %s", group, groups))
		return from, to, group, false
	}
	return from, to, group, true
}

func optTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func (m meterAPI) handlePostings(w http.ResponseWriter, r *http.Request) {
	from, to, err := parseRange(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	limit := 1000
	if s := r.URL.Query().Get("limit"); s != "" {
		if _, err := fmt.Sscanf(s, "%d", &limit); err != nil || limit < 1 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("limit %q is not a positive number", s))
			return
		}
	}
	ps, err := m.Ledger.Postings(from, to, limit)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if ps == nil {
		ps = []billing.Posting{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"postings": ps})
}

func (m meterAPI) handleRentals(w http.ResponseWriter, r *http.Request) {
	rs, err := m.Rentals.List()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if rs == nil {
		rs = []billing.Rental{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rentals": rs})
}
