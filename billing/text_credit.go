package billing

import "fmt"

// Authorize prices a text about to be sent (Quote) and refuses it
// with a *CreditError when the available balance (minus open call
// reservations) cannot pay it. Nothing is reserved: the charge is posted
// by Post once the carrier has taken the text, keyed by its id.
func (t *Texts) Authorize(msg TextRecord) (*Charge, error) {
	c, err := t.Quote(msg)
	if err != nil {
		return nil, err
	}
	if c.Amount.IsZero() {
		return c, nil
	}
	info := t.credit.Info()
	if info.Available.LessThan(c.Amount) {
		what := fmt.Sprintf("a text of %d segment(s) to %s", c.Units, msg.To)
		if msg.Kind == KindMMSOut {
			what = "an MMS to " + msg.To
		}
		return nil, &CreditError{Available: info.Available, Needed: c.Amount, Currency: info.Currency, What: what}
	}
	return c, nil
}
