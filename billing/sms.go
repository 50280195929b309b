package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
)

// ErrTextNotAllowed means a text may not be sent or received between
// these numbers.
var ErrTextNotAllowed = errors.New("text not allowed")

// Countries whose numbers can send and receive texts.
var (
	smsCountries = []string{"US", "CA", "GB", "AU", "BE", "DK", "FR", "IL", "PR", "ZA"}
	mmsCountries = []string{"US", "CA"}
	// Texts cross borders only within this group.
	northAmerica = []string{"US", "CA", "PR"}
)

// CheckText says whether a text of kind (sms-out, sms-in, mms-out, mms-in)
// may go from one number to another: SMS only with numbers of the
// supported countries, MMS only in the US and Canada, and never between
// numbers of different countries except among the US, Canada and Puerto
// Rico.
func CheckText(kind, from, to string) error {
	return checkText(defaultClassifier, Kind(kind), from, to)
}

func checkText(c *Classifier, kind Kind, from, to string) error {
	allowed, what := smsCountries, "SMS"
	switch kind {
	case KindSMSOut, KindSMSIn:
	case KindMMSOut, KindMMSIn:
		allowed, what = mmsCountries, "MMS"
	default:
		return fmt.Errorf("text kind %q is not sms-out, sms-in, mms-out or mms-in", kind)
	}
	var countries [2]string
	for i, n := range [2]string{from, to} {
		info, err := c.Classify(n)
		if err != nil {
			return fmt.Errorf("%s: %w: %w", kind, err, ErrTextNotAllowed)
		}
		if !slices.Contains(allowed, info.Country) {
			return fmt.Errorf("%s with %s numbers (%s) is not supported: %w", what, countryName(info.Country), n, ErrTextNotAllowed)
		}
		countries[i] = info.Country
	}
	if countries[0] != countries[1] && !(slices.Contains(northAmerica, countries[0]) && slices.Contains(northAmerica, countries[1])) {
		return fmt.Errorf("texts between %s and %s numbers are not supported: %w", countryName(countries[0]), countryName(countries[1]), ErrTextNotAllowed)
	}
	return nil
}

func countryName(c string) string {
	if c == "" {
		return "unknown-country"
	}
	return c
}

// TextRecord is a text the org sent or received.
type TextRecord struct {
	MessageID string    `json:"message_id"`
	Kind      Kind      `json:"kind"` // sms-out, sms-in, mms-out, mms-in
	From      string    `json:"from"`
	To        string    `json:"to"`
	Body      string    `json:"body,omitempty"`
	Segments  int       `json:"segments,omitempty"` // as the carrier reported; 0: count the body
	User      string    `json:"user,omitempty"`
	Time      time.Time `json:"time"`
}

// orgNumber is the org's side of a text: the sender of an outgoing one.
func (t *TextRecord) orgNumber() (org, remote string) {
	if t.Kind == KindSMSOut || t.Kind == KindMMSOut {
		return t.From, t.To
	}
	return t.To, t.From
}

// Texts prices texts, checks them against the credit and charges them to
// the ledger, each once by its message id.
type Texts struct {
	ledger *Ledger
	credit *Credit
	rater  *atomic.Pointer[Rater]
	now    func() time.Time
}

// Quote prices a text without posting it: SMS per segment (the
// carrier's count when it gave one), MMS per message, at the rate of the
// org number's country, rounded up per message.
func (t *Texts) Quote(msg TextRecord) (*Charge, error) {
	rt := t.rater.Load()
	if err := checkText(rt.numbers, msg.Kind, msg.From, msg.To); err != nil {
		return nil, fmt.Errorf("text %s: %w", msg.MessageID, err)
	}
	org, remote := msg.orgNumber()
	info, err := rt.Classify(org)
	if err != nil {
		return nil, fmt.Errorf("text %s: %w", msg.MessageID, err)
	}
	rate, err := rt.Lookup(msg.Kind, info.Country, remote, info.Type)
	if err != nil {
		return nil, fmt.Errorf("text %s: %w", msg.MessageID, err)
	}
	units := int64(1)
	if msg.Kind == KindSMSOut || msg.Kind == KindSMSIn {
		units = int64(msg.Segments)
		if units <= 0 {
			units = int64(max(Segments(msg.Body).Segments, 1))
		}
	}
	return &Charge{
		Amount:        compile(*rate).unitCharge(units),
		Currency:      rate.Currency,
		Units:         units,
		Rate:          rate.Price,
		MatchedPrefix: rate.Prefix,
		OriginCountry: info.Country,
		NumberType:    string(info.Type),
	}, nil
}

// Post charges a text, idempotently by its message id. Texts are
// posted after the fact (the carrier has carried them), so the balance may
// dip below zero by one text's price; sending checks credit beforehand
// (Authorize).
func (t *Texts) Post(ctx context.Context, msg TextRecord) (*Charge, error) {
	if msg.MessageID == "" {
		return nil, errors.New("post text: message id missing")
	}
	c, err := t.Quote(msg)
	if err != nil {
		return nil, err
	}
	if c.Amount.IsZero() {
		return c, nil
	}
	at := msg.Time
	if at.IsZero() {
		at = t.now()
	}
	p := Posting{
		ID: "text:" + msg.MessageID, Account: t.ledger.account, Kind: PostText, Amount: c.Amount.Neg(),
		Time: at, Ref: msg.MessageID, User: msg.User,
		Meta: map[string]string{"kind": string(msg.Kind), "units": strconv.FormatInt(c.Units, 10)},
	}
	stored, _, err := t.ledger.post(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("post text %s: %w", msg.MessageID, err)
	}
	c.Amount = stored.Amount.Neg()
	return c, nil
}
