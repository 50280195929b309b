package console

import (
	"net/http"
)

type registration struct {
	User      string `json:"user"`
	Contact   string `json:"contact"`
	Source    string `json:"source"`
	Transport string `json:"transport"`
	UserAgent string `json:"user_agent"`
	Expires   string `json:"expires"`
}

type number struct {
	Number  string `json:"number"`
	Country string `json:"country"`
	Type    string `json:"type"`
	User    string `json:"user"`
	Group   string `json:"group"`
	Source  string `json:"source"`
	// From the number's rental:
	NextDue    string
	LastCharge string
	Status     string
}

type rental struct {
	Number     string `json:"number"`
	Status     string `json:"status"`
	NextDue    string `json:"next_due"`
	LastCharge string `json:"last_charge"`
}

type phonesData struct {
	Registrations []registration
	Numbers       []number
}

// handlePhones shows the phones registered now and the numbers with
// their owner, type, next renewal and monthly price (the rental's charge).
func (c *Console) handlePhones(w http.ResponseWriter, r *http.Request, s *session) {
	var d phonesData
	if err := c.getJSON(r.Context(), s, "/v1/registrations", &d.Registrations); err != nil {
		c.fail(w, r, s, "phones", err)
		return
	}
	if err := c.getJSON(r.Context(), s, "/v1/numbers", &d.Numbers); err != nil {
		c.fail(w, r, s, "phones", err)
		return
	}
	var rs struct {
		Rentals []rental `json:"rentals"`
	}
	if err := c.getJSON(r.Context(), s, "/v1/rentals", &rs); err == nil { // no meter, no rentals
		for i := range d.Numbers {
			for _, x := range rs.Rentals {
				if x.Number == d.Numbers[i].Number {
					d.Numbers[i].NextDue, d.Numbers[i].LastCharge, d.Numbers[i].Status = x.NextDue, x.LastCharge, x.Status
				}
			}
		}
	}
	c.render(w, r, s, http.StatusOK, "phones", page{Title: "Phones and numbers", Tab: "phones", Data: d})
}

// handleTexts lists the texts the API serves, newest first, when it
// serves them (the tab is hidden otherwise).
func (c *Console) handleTexts(w http.ResponseWriter, r *http.Request, s *session) {
	code, body, err := c.call(r.Context(), s, http.MethodGet, "/v1/messages", nil, nil)
	if err == nil && code != http.StatusOK {
		err = &apiError{Status: code, Message: "texts are not available"}
	}
	if err != nil {
		c.fail(w, r, s, "texts", err)
		return
	}
	c.render(w, r, s, http.StatusOK, "texts", page{Title: "Texts", Tab: "texts", Data: conversations(body)})
}
