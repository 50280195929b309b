package billing

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"time"

	"github.com/shopspring/decimal"

	"github.com/dialtone/dialtone/config"
)

// ErrNoRate means the deck has no row for what was asked.
var ErrNoRate = errors.New("no rate")

// Unlimited is what MaxDuration returns for a rate that costs nothing.
const Unlimited time.Duration = math.MaxInt64

// MaxBilledSeconds caps rating inputs: no leg lasts a year, and the cap
// keeps all arithmetic far from overflow.
const MaxBilledSeconds = 366 * 24 * 3600

// RateRequest is a leg (or a hypothetical one) to price.
type RateRequest struct {
	Class       Class
	From        string
	To          string
	CallerID    string // the number presented; its country is the outbound origin
	PhoneNumber string // the org number an inbound leg called
	Seconds     int64  // billable seconds
}

// Quote is the price of one leg.
type Quote struct {
	Kind          Kind            `json:"kind,omitempty"`
	Seconds       int64           `json:"billed_seconds"`
	Units         int64           `json:"units"`   // increments billed
	Minutes       decimal.Decimal `json:"minutes"` // billed seconds / 60
	Rate          decimal.Decimal `json:"rate"`    // per minute
	ConnectFee    decimal.Decimal `json:"connect_fee"`
	Charge        decimal.Decimal `json:"charge"`
	Currency      string          `json:"currency"`
	OriginCountry string          `json:"origin_country"`
	MatchedPrefix string          `json:"matched_prefix"`
	NumberType    string          `json:"number_type"`
	// Free legs (access legs) are never charged or authorized against credit.
	Free bool `json:"free,omitempty"`
}

// compiledRate caches a row's price as fixed-point integers so that the
// common case rates without big-number arithmetic.
type compiledRate struct {
	Rate
	scale    int32 // price and fee are in units of 10^-scale
	priceInt int64
	feeInt   int64
}

func compile(r Rate) *compiledRate {
	c := &compiledRate{Rate: r}
	c.scale = max(-r.Price.Exponent(), -r.ConnectFee.Exponent(), 0)
	c.priceInt = r.Price.Shift(c.scale).IntPart()
	c.feeInt = r.ConnectFee.Shift(c.scale).IntPart()
	return c
}

// billedSeconds applies the row's increments: I seconds for the first,
// then whole increments of N.
func (c *compiledRate) billedSeconds(s int64) (billed, units int64) {
	if s <= 0 {
		return 0, 0
	}
	i, n := int64(c.Initial), int64(c.Increment)
	if s <= i {
		return i, 1
	}
	more := (s - i + n - 1) / n
	return i + more*n, 1 + more
}

var pow10 = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// voiceCharge is connect_fee + billed/60 × price rounded up to Decimals.
func (c *compiledRate) voiceCharge(billed int64) decimal.Decimal {
	if billed <= 0 {
		return decimal.Zero
	}
	// charge × 60 × 10^scale = billed × price_int + 60 × fee_int
	hi, num := bits.Mul64(uint64(billed), uint64(c.priceInt))
	fee := uint64(60 * c.feeInt)
	num2, carry := bits.Add64(num, fee, 0)
	d := c.Decimals
	if hi == 0 && carry == 0 && num2 <= math.MaxInt64/uint64(pow10[maxDecimals]) && c.scale <= 18 {
		n, den := int64(num2), int64(60)
		if d >= c.scale {
			n *= pow10[d-c.scale]
		} else {
			den *= pow10[c.scale-d]
		}
		return decimal.New((n+den-1)/den, -d)
	}
	exact := c.Price.Mul(decimal.NewFromInt(billed)).Add(c.ConnectFee.Mul(decimal.NewFromInt(60)))
	return ceilDiv(exact, decimal.NewFromInt(60), d)
}

// ceilDiv is x / y rounded up to d places, exactly.
func ceilDiv(x, y decimal.Decimal, d int32) decimal.Decimal {
	q, r := x.Shift(d).QuoRem(y, 0)
	if r.Sign() > 0 {
		q = q.Add(decimal.NewFromInt(1))
	}
	return q.Shift(-d)
}

// unitCharge is units × price rounded up to Decimals (texts, numbers).
func (c *compiledRate) unitCharge(units int64) decimal.Decimal {
	return c.Price.Mul(decimal.NewFromInt(units)).Add(c.ConnectFee).RoundUp(c.Decimals)
}

// trie indexes one (kind, origin) table by prefix digits.
type trie struct {
	nodes []trieNode
}

type trieNode struct {
	child [10]int32 // 0: none (the root is never a child)
	rates []*compiledRate
}

func (t *trie) insert(c *compiledRate) {
	if len(t.nodes) == 0 {
		t.nodes = append(t.nodes, trieNode{})
	}
	n := int32(0)
	for i := 0; i < len(c.Prefix); i++ {
		d := c.Prefix[i] - '0'
		next := t.nodes[n].child[d]
		if next == 0 {
			t.nodes = append(t.nodes, trieNode{})
			next = int32(len(t.nodes) - 1)
			t.nodes[n].child[d] = next
		}
		n = next
	}
	t.nodes[n].rates = append(t.nodes[n].rates, c)
}

// match walks digits and returns the rates of the longest prefix that has
// an acceptable row. With strict typing a node offers the row of the asked
// type, else its any-type row; otherwise (outbound, where prefixes already
// separate mobile from fixed) any row.
func (t *trie) match(digits string, typ NumberType, strict bool) (rates []*compiledRate, depth int) {
	if len(t.nodes) == 0 {
		return nil, 0
	}
	n := int32(0)
	best, bestDepth := []*compiledRate(nil), -1
	for i := 0; ; i++ {
		if rs := t.nodes[n].rates; len(rs) > 0 && (!strict || pickType(rs, typ) != nil) {
			best, bestDepth = rs, i
		}
		if i == len(digits) {
			break
		}
		d := digits[i] - '0'
		if d > 9 {
			break
		}
		n = t.nodes[n].child[d]
		if n == 0 {
			break
		}
	}
	return best, bestDepth
}

// pickType prefers the row of the number's own type, then the any-type
// row; an unknown type is taken as local, the commonest.
func pickType(rs []*compiledRate, typ NumberType) *compiledRate {
	var any, local *compiledRate
	for _, r := range rs {
		switch r.NumberType {
		case typ:
			if typ != AnyType {
				return r
			}
			any = r
		case AnyType:
			any = r
		case Local:
			local = r
		}
	}
	if any != nil {
		return any
	}
	if typ == AnyType {
		return local
	}
	return nil
}

type tableKey struct {
	kind   Kind
	origin string
}

// Rater prices legs, texts and number rentals from a deck. It is immutable
// and safe for concurrent use; rating does no I/O.
type Rater struct {
	deck     *Deck
	tables   map[tableKey]*trie
	currency string
	numbers  *Classifier
}

// NewRater indexes deck. numbers are the org's own numbers, whose country
// and type (when the config sets them) override libphonenumber's.
func NewRater(deck *Deck, numbers []config.Number) *Rater {
	r := &Rater{
		deck:     deck,
		tables:   make(map[tableKey]*trie),
		currency: deck.Currency(),
		numbers:  NewClassifier(numbers),
	}
	for _, row := range deck.rows {
		k := tableKey{row.Kind, row.Origin}
		t := r.tables[k]
		if t == nil {
			t = &trie{}
			r.tables[k] = t
		}
		t.insert(compile(row))
	}
	return r
}

// Deck is the deck the rater prices from.
func (r *Rater) Deck() *Deck { return r.deck }

// Currency is the deck's currency.
func (r *Rater) Currency() string { return r.currency }

// Classify returns a number's country and type as the rater sees it.
func (r *Rater) Classify(number string) (NumberInfo, error) { return r.numbers.Classify(number) }

// find looks in the origin's table, then in ALL's.
func (r *Rater) find(kind Kind, origin, digits string, typ NumberType, strict bool) (*compiledRate, string, error) {
	origins := [2]string{origin, OriginAll}
	tries := origins[:]
	if origin == "" || origin == OriginAll {
		tries = origins[1:]
	}
	for _, o := range tries {
		t := r.tables[tableKey{kind, o}]
		if t == nil {
			continue
		}
		rates, depth := t.match(digits, typ, strict)
		if rates == nil {
			continue
		}
		var c *compiledRate
		if strict {
			c = pickType(rates, typ)
		} else {
			c = r.resolveOutbound(rates, digits)
		}
		return c, digits[:depth], nil
	}
	return nil, "", ErrNoRate
}

// resolveOutbound picks among rows that share a prefix but differ by type:
// by the destination's type when the deck says, else the dearest (never
// undercharge on a guess).
func (r *Rater) resolveOutbound(rates []*compiledRate, digits string) *compiledRate {
	if len(rates) == 1 {
		return rates[0]
	}
	if c := pickType(rates, r.numbers.classifyDigits(digits).Type); c != nil {
		return c
	}
	best := rates[0]
	for _, c := range rates[1:] {
		if c.Price.GreaterThan(best.Price) {
			best = c
		}
	}
	return best
}

// legRate finds the row that prices a leg and what it was matched on.
type legRate struct {
	rate    *compiledRate
	kind    Kind
	origin  string
	prefix  string
	numType NumberType
	free    bool
}

func (r *Rater) resolveLeg(class Class, from, to, callerID, phoneNumber string) (legRate, error) {
	switch class {
	case ClassAccess:
		return legRate{free: true}, nil
	case ClassPSTNOutbound:
		dest, ok := Digits(to)
		if !ok {
			return legRate{}, fmt.Errorf("outbound destination %q is not an E.164 number", to)
		}
		origin := OriginAll
		cid := callerID
		if cid == "" {
			cid = from
		}
		if d, ok := Digits(cid); ok {
			if info := r.numbers.classifyDigits(d); info.Country != "" {
				origin = info.Country
			}
		}
		c, prefix, err := r.find(KindOutbound, origin, dest, AnyType, false)
		if err != nil {
			return legRate{}, fmt.Errorf("outbound from %s to +%s: %w", origin, dest, err)
		}
		return legRate{rate: c, kind: KindOutbound, origin: origin, prefix: prefix, numType: c.NumberType}, nil
	case ClassPSTNInbound:
		called := phoneNumber
		if called == "" {
			called = to
		}
		d, ok := Digits(called)
		if !ok {
			return legRate{}, fmt.Errorf("inbound called number %q is not an E.164 number", called)
		}
		info := r.numbers.classifyDigits(d)
		origin := info.Country
		if origin == "" {
			origin = OriginAll
		}
		c, prefix, err := r.find(KindInbound, origin, d, info.Type, true)
		if err != nil {
			return legRate{}, fmt.Errorf("inbound to %s %s number +%s: %w", origin, typeName(info.Type), d, err)
		}
		return legRate{rate: c, kind: KindInbound, origin: origin, prefix: prefix, numType: info.Type}, nil
	case ClassClient:
		origin := OriginAll
		if d, ok := Digits(callerID); ok {
			if info := r.numbers.classifyDigits(d); info.Country != "" {
				origin = info.Country
			}
		}
		c, prefix, err := r.find(KindClient, origin, "", AnyType, true)
		if err != nil {
			return legRate{}, fmt.Errorf("client leg: %w", err)
		}
		return legRate{rate: c, kind: KindClient, origin: c.Origin, prefix: prefix, numType: c.NumberType}, nil
	}
	return legRate{}, fmt.Errorf("billing class %q: %w", class, ErrNoRate)
}

func typeName(t NumberType) string {
	if t == AnyType {
		return "unknown-type"
	}
	return string(t)
}

// Rate prices a leg of req.Seconds billable seconds.
func (r *Rater) Rate(req RateRequest) (Quote, error) {
	lr, err := r.resolveLeg(req.Class, req.From, req.To, req.CallerID, req.PhoneNumber)
	if err != nil {
		return Quote{}, err
	}
	return r.quote(lr, req.Seconds), nil
}

func (r *Rater) quote(lr legRate, seconds int64) Quote {
	if lr.free {
		return Quote{Free: true, Currency: r.currency, Minutes: decimal.Zero, Rate: decimal.Zero, Charge: decimal.Zero, ConnectFee: decimal.Zero}
	}
	seconds = min(seconds, MaxBilledSeconds)
	c := lr.rate
	billed, units := c.billedSeconds(seconds)
	q := Quote{
		Kind:          lr.kind,
		Seconds:       billed,
		Units:         units,
		Rate:          c.Price,
		ConnectFee:    c.ConnectFee,
		Charge:        c.voiceCharge(billed),
		Currency:      c.Currency,
		OriginCountry: lr.origin,
		MatchedPrefix: lr.prefix,
		NumberType:    string(lr.numType),
	}
	if billed%60 == 0 {
		q.Minutes = decimal.New(billed/60, 0)
	} else {
		q.Minutes = decimal.New(billed, 0).DivRound(decimal.New(60, 0), 4)
	}
	return q
}

// RateCDR prices a finished leg. Legs without billable seconds cost
// nothing, even to a destination the deck does not price (the switch
// refuses those before they ring).
func (r *Rater) RateCDR(cdr *CDR) (*Charge, error) {
	lr, err := r.resolveLeg(cdr.BillingClass, cdr.From, cdr.To, cdr.CallerID, cdr.PhoneNumber)
	if err != nil {
		if cdr.BillableSecs <= 0 {
			return &Charge{Amount: decimal.Zero, Currency: r.currency, Rate: decimal.Zero}, nil
		}
		return nil, fmt.Errorf("rate leg %s: %w", cdr.LegID, err)
	}
	q := r.quote(lr, cdr.BillableSecs)
	return &Charge{
		Amount:        q.Charge,
		Currency:      q.Currency,
		Units:         q.Units,
		Rate:          q.Rate,
		MatchedPrefix: q.MatchedPrefix,
		OriginCountry: q.OriginCountry,
		NumberType:    q.NumberType,
	}, nil
}

// Lookup finds the row for a text or number rental: kind, the org number's
// country (origin), the number to match prefixes on and its type.
func (r *Rater) Lookup(kind Kind, origin, number string, typ NumberType) (*Rate, error) {
	d := ""
	if number != "" {
		var ok bool
		if d, ok = Digits(number); !ok {
			return nil, fmt.Errorf("%q is not an E.164 number", number)
		}
	}
	if origin == "" {
		origin = OriginAll
	}
	c, _, err := r.find(kind, origin, d, typ, true)
	if err != nil {
		return nil, fmt.Errorf("%s rate for %s %s: %w", kind, origin, typeName(typ), err)
	}
	return &c.Rate, nil
}

// firstIncrementCharge is what the shortest answered leg costs.
func firstIncrementCharge(c *compiledRate) decimal.Decimal {
	return c.voiceCharge(int64(c.Initial))
}

// MaxDuration is the longest a leg at rate r may last for amount to pay
// for it: zero when amount cannot pay the first increment, Unlimited when
// the rate costs nothing.
func MaxDuration(r *Rate, amount decimal.Decimal) time.Duration {
	s := maxSeconds(compile(*r), amount)
	if s < 0 {
		return Unlimited
	}
	return time.Duration(s) * time.Second
}

// maxSeconds is MaxDuration in seconds, -1 for unlimited.
func maxSeconds(c *compiledRate, amount decimal.Decimal) int64 {
	if c.Price.IsZero() {
		if c.ConnectFee.GreaterThan(amount) {
			return 0
		}
		return -1 // unlimited
	}
	// A charge is rounded up to Decimals, so it fits amount exactly when
	// its exact value fits amount rounded down to Decimals.
	a := amount.RoundFloor(c.Decimals).Sub(c.ConnectFee)
	if a.Sign() < 0 {
		return 0
	}
	maxBilled, _ := a.Mul(decimal.NewFromInt(60)).QuoRem(c.Price, 0)
	if !maxBilled.LessThan(decimal.NewFromInt(MaxBilledSeconds)) {
		return MaxBilledSeconds
	}
	b := maxBilled.IntPart()
	i, n := int64(c.Initial), int64(c.Increment)
	if b < i {
		return 0
	}
	return i + (b-i)/n*n
}
