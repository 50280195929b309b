package billing

import "fmt"

// AuthorizeText prices a text about to be sent (QuoteText) and refuses it
// with a *CreditError when the available balance (minus open call
// reservations) cannot pay it. Nothing is reserved: the charge is posted
// by PostText once the carrier has taken the text, keyed by its id.
func (m *Meter) AuthorizeText(msg TextRecord) (*Charge, error) {
	c, err := m.QuoteText(msg)
	if err != nil {
		return nil, err
	}
	if c.Amount.IsZero() {
		return c, nil
	}
	info := m.Info()
	if info.Available.LessThan(c.Amount) {
		what := fmt.Sprintf("a text of %d segment(s) to %s", c.Units, msg.To)
		if msg.Kind == KindMMSOut {
			what = "an MMS to " + msg.To
		}
		return nil, &CreditError{Available: info.Available, Needed: c.Amount, Currency: info.Currency, What: what}
	}
	return c, nil
}
