package console

import (
	"net/http"
	"net/url"
	"strings"
)

type liveCall struct {
	CallID string `json:"call_id"`
	From   string `json:"from"`
	To     string `json:"to"`
}

type charge struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
	Units    int64  `json:"units"`
	Rate     string `json:"rate"`
	Prefix   string `json:"matched_prefix"`
}

type leg struct {
	LegID        string  `json:"leg_id"`
	Direction    string  `json:"direction"`
	Endpoint     string  `json:"endpoint"`
	BillingClass string  `json:"billing_class"`
	Reason       string  `json:"reason"`
	From         string  `json:"from"`
	To           string  `json:"to"`
	CallerID     string  `json:"caller_id"`
	User         string  `json:"user"`
	Trunk        string  `json:"trunk"`
	CreatedAt    string  `json:"created_at"`
	AnsweredAt   string  `json:"answered_at"`
	EndedAt      string  `json:"ended_at"`
	BillableSecs int64   `json:"billable_seconds"`
	Disposition  string  `json:"disposition"`
	SIPCode      int     `json:"sip_code"`
	Charge       *charge `json:"charge"`
}

type loggedCall struct {
	CallID      string `json:"call_id"`
	Disposition string `json:"disposition"`
	From        string `json:"from"`
	To          string `json:"to"`
	User        string `json:"user"`
	EndedAt     string `json:"ended_at"`
	Seconds     int64  `json:"billable_seconds"`
	Charge      string `json:"charge"`
	Recording   string `json:"recording_leg_id"`
	Legs        []leg  `json:"legs"`
}

type callsData struct {
	Live         liveData
	Calls        []loggedCall
	Next         string
	Filter       url.Values
	Dispositions []string
}

// liveData is what the live block shows: the calls up now and the legs
// holding credit.
type liveData struct {
	Calls    []liveCall
	Reserved []reservedLeg
	Currency string
}

func (c *Console) liveCalls(r *http.Request, s *session) (liveData, error) {
	var d liveData
	if err := c.getJSON(r.Context(), s, "/v1/calls", &d.Calls); err != nil {
		return d, err
	}
	var b balance
	if err := c.getJSON(r.Context(), s, "/v1/balance", &b); err == nil {
		d.Reserved, d.Currency = b.ReservedBy, b.Currency
	}
	return d, nil
}

// handleCalls shows the calls up now (kept live by /calls/live) and a page
// of the call log, searched by number, user, date and disposition.
func (c *Console) handleCalls(w http.ResponseWriter, r *http.Request, s *session) {
	live, err := c.liveCalls(r, s)
	if err != nil {
		c.fail(w, r, s, "calls", err)
		return
	}
	q := r.URL.Query()
	api := url.Values{"limit": {"50"}}
	for _, k := range []string{"cursor", "number", "user", "from", "to", "disposition"} {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			api.Set(k, v)
		}
	}
	var pg struct {
		Calls []loggedCall `json:"calls"`
		Next  string       `json:"next"`
	}
	if err := c.getJSON(r.Context(), s, "/v1/call-log?"+api.Encode(), &pg); err != nil {
		c.fail(w, r, s, "calls", err)
		return
	}
	next := ""
	if pg.Next != "" {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("cursor", pg.Next)
		next = nq.Encode()
	}
	d := callsData{Live: live, Calls: pg.Calls, Next: next, Filter: q,
		Dispositions: []string{"answered", "busy", "no-answer", "canceled", "failed", "refused", "interrupted", "credit-exhausted", "media-timeout"}}
	c.render(w, r, s, http.StatusOK, "calls", page{Title: "Calls", Tab: "calls", Data: d})
}

// handleCallsLive pushes the live block as server-sent events.
func (c *Console) handleCallsLive(w http.ResponseWriter, r *http.Request, s *session) {
	c.serveLive(w, r, func() (string, error) {
		d, err := c.liveCalls(r, s)
		if err != nil {
			return "", err
		}
		return c.renderBlock("calls", "live", d)
	})
}

// handleRecording plays a recording: the API answers straight into the
// response (WAV, ranges), with the session's credential, so only a
// principal with recording.listen hears it.
func (c *Console) handleRecording(w http.ResponseWriter, r *http.Request, s *session) {
	req, err := apiRequest(r.Context(), s, http.MethodGet, "/v1/recordings/"+url.PathEscape(r.PathValue("leg_id")), nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for _, h := range []string{"Range", "If-Range", "If-Modified-Since"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	c.opts.API.ServeHTTP(w, req)
}
