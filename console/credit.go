package console

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

type reservedLeg struct {
	CallID         string `json:"call_id"`
	LegID          string `json:"leg_id"`
	User           string `json:"user"`
	Destination    string `json:"destination"`
	Amount         string `json:"amount"`
	GrantedSeconds int64  `json:"granted_seconds"`
}

type balance struct {
	Balance    string        `json:"balance"`
	Reserved   string        `json:"reserved"`
	Available  string        `json:"available"`
	Currency   string        `json:"currency"`
	Threshold  string        `json:"low_balance_threshold"`
	Low        bool          `json:"low"`
	ReservedBy []reservedLeg `json:"reserved_by"`
}

type posting struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Amount  string `json:"amount"`
	Time    string `json:"time"`
	Ref     string `json:"ref"`
	User    string `json:"user"`
	Note    string `json:"note"`
	Balance string `json:"balance"`
}

type creditData struct {
	Balance  balance
	Postings []posting
	Filter   url.Values
	Kinds    []string
	TopUpKey string // a fresh Idempotency-Key: a double submit of the form credits once
}

// handleCredit shows the balance, what holds reservations, the top-up
// form and the postings (newest first) filtered by period, kind and user.
func (c *Console) handleCredit(w http.ResponseWriter, r *http.Request, s *session) {
	var d creditData
	if err := c.getJSON(r.Context(), s, "/v1/balance", &d.Balance); err != nil {
		c.fail(w, r, s, "credit", err)
		return
	}
	q := r.URL.Query()
	kind, user := q.Get("kind"), strings.TrimSpace(q.Get("user"))
	// The page shows the newest 200; filtered by kind or user, it looks
	// further back for them.
	api := url.Values{"limit": {"200"}}
	if kind != "" || user != "" {
		api.Set("limit", "100000")
	}
	for _, k := range []string{"from", "to"} {
		if v := q.Get(k); v != "" {
			api.Set(k, v)
		}
	}
	var ps struct {
		Postings []posting `json:"postings"`
	}
	if err := c.getJSON(r.Context(), s, "/v1/postings?"+api.Encode(), &ps); err != nil {
		c.fail(w, r, s, "credit", err)
		return
	}
	for i := len(ps.Postings) - 1; i >= 0 && len(d.Postings) < 200; i-- { // newest first
		p := ps.Postings[i]
		if (kind == "" || p.Kind == kind) && (user == "" || p.User == user) {
			d.Postings = append(d.Postings, p)
		}
	}
	d.Filter, d.Kinds, d.TopUpKey = q, []string{"call", "text", "number", "topup", "refund", "correction"}, rand.Text()
	flash := ""
	if id := q.Get("topped"); id != "" {
		flash = fmt.Sprintf("Top-up %s posted.", id)
		if q.Get("replayed") == "true" {
			flash = fmt.Sprintf("That top-up was already posted (%s): credited once.", id)
		}
	}
	c.render(w, r, s, http.StatusOK, "credit", page{Title: "Credit", Tab: "credit", Flash: flash, Data: d})
}

// handleTopUp posts the form's top-up through the API with the form's
// Idempotency-Key, then redirects (a reload does not post again).
func (c *Console) handleTopUp(w http.ResponseWriter, r *http.Request, s *session) {
	body := map[string]any{"amount": strings.TrimSpace(r.PostFormValue("amount")), "note": r.PostFormValue("note")}
	key := r.PostFormValue("idempotency_key")
	var res struct {
		ID       string `json:"id"`
		Replayed bool   `json:"replayed"`
	}
	if err := c.doJSON(r.Context(), s, http.MethodPost, "/v1/topups", body, map[string]string{"Idempotency-Key": key}, &res); err != nil {
		c.fail(w, r, s, "credit", err)
		return
	}
	http.Redirect(w, r, "/credit?"+url.Values{"topped": {res.ID}, "replayed": {fmt.Sprint(res.Replayed)}}.Encode(), http.StatusSeeOther)
}
