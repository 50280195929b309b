package billing

import (
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/dialtone/dialtone/config"
)

// Kind is what a rate deck row prices.
type Kind string

// Deck kinds.
const (
	KindOutbound Kind = "outbound" // per minute, by destination prefix
	KindInbound  Kind = "inbound"  // per minute, by called number's country and type
	KindClient   Kind = "client"   // per minute, legs between users
	KindSMSOut   Kind = "sms-out"  // per segment
	KindSMSIn    Kind = "sms-in"   // per segment
	KindMMSOut   Kind = "mms-out"  // per message
	KindMMSIn    Kind = "mms-in"   // per message
	KindNumber   Kind = "number"   // per month of rental
)

var kinds = []Kind{KindOutbound, KindInbound, KindClient, KindSMSOut, KindSMSIn, KindMMSOut, KindMMSIn, KindNumber}

// IsVoice reports whether the kind is priced per minute.
func (k Kind) IsVoice() bool {
	return k == KindOutbound || k == KindInbound || k == KindClient
}

func (k Kind) valid() bool { return slices.Contains(kinds, k) }

// NumberType is a phone number's type as decks price it.
type NumberType string

// Number types. The empty type on a deck row matches any number.
const (
	AnyType  NumberType = ""
	Local    NumberType = "local"
	Mobile   NumberType = "mobile"
	TollFree NumberType = "toll-free"
)

// ParseNumberType accepts the deck spellings and Twilio's ("toll free").
func ParseNumberType(s string) (NumberType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return AnyType, nil
	case "local":
		return Local, nil
	case "mobile":
		return Mobile, nil
	case "toll-free", "toll free", "tollfree":
		return TollFree, nil
	}
	return "", fmt.Errorf("%q is not one of local, mobile, toll-free", s)
}

// OriginAll is the origin of rows that apply whatever the origin country.
const OriginAll = "ALL"

// Row defaults: the seed article bills whole minutes rounded up to the cent.
const (
	DefaultInitial   = 60
	DefaultIncrement = 60
	DefaultDecimals  = 2
)

// maxDecimals bounds rounding so int64 fixed-point rating cannot overflow
// for any sane price.
const maxDecimals = 6

// Rate is one row of a rate deck. Price is per minute for voice kinds, per
// segment for SMS, per message for MMS, per month for numbers.
type Rate struct {
	Kind       Kind
	Origin     string // ISO country code or OriginAll
	Prefix     string // E.164 digits without '+'; longest match wins
	NumberType NumberType
	Price      decimal.Decimal
	Currency   string
	ConnectFee decimal.Decimal
	Initial    int   // seconds billed for the first increment
	Increment  int   // seconds per further increment
	Decimals   int32 // charges round up to this many places

	// source names where the row came from, for error messages.
	source string
}

type rateKey struct {
	kind       Kind
	origin     string
	prefix     string
	numberType NumberType
}

func (r *Rate) key() rateKey { return rateKey{r.Kind, r.Origin, r.Prefix, r.NumberType} }

// Deck is an ordered set of rate rows, unique by (kind, origin, prefix,
// number type). It is immutable once built; a Rater indexes it.
type Deck struct {
	name  string
	rows  []Rate
	index map[rateKey]int
}

// Name says where the deck came from.
func (d *Deck) Name() string { return d.name }

// Rows returns a copy of the deck's rows in file order.
func (d *Deck) Rows() []Rate { return slices.Clone(d.rows) }

// Currency is the currency of the deck's rows ("" for an empty deck).
func (d *Deck) Currency() string {
	if len(d.rows) == 0 {
		return ""
	}
	return d.rows[0].Currency
}

// Len is the number of rows.
func (d *Deck) Len() int { return len(d.rows) }

func newDeck(name string) *Deck {
	return &Deck{name: name, index: make(map[rateKey]int)}
}

func (d *Deck) add(r Rate) error {
	if i, dup := d.index[r.key()]; dup {
		return fmt.Errorf("duplicates %s", d.rows[i].source)
	}
	d.index[r.key()] = len(d.rows)
	d.rows = append(d.rows, r)
	return nil
}

// Merge returns a deck with over's rows replacing d's rows of the same key
// and the rest appended. Rows of over without a currency take d's.
func (d *Deck) Merge(over *Deck) (*Deck, error) {
	out := newDeck(d.name + "+" + over.name)
	out.rows = slices.Clone(d.rows)
	for k, v := range d.index {
		out.index[k] = v
	}
	for _, r := range over.rows {
		if r.Currency == "" {
			r.Currency = d.Currency()
		}
		if i, ok := out.index[r.key()]; ok {
			out.rows[i] = r
			continue
		}
		out.index[r.key()] = len(out.rows)
		out.rows = append(out.rows, r)
	}
	if err := out.checkCurrency(); err != nil {
		return nil, err
	}
	return out, nil
}

// checkCurrency refuses mixed currencies: one prepaid balance has one.
func (d *Deck) checkCurrency() error {
	cur := d.Currency()
	for _, r := range d.rows {
		if r.Currency == "" {
			return fmt.Errorf("%s: currency: missing", r.source)
		}
		if r.Currency != cur {
			return fmt.Errorf("%s: currency: %s differs from the deck's %s", r.source, r.Currency, cur)
		}
	}
	return nil
}

//go:embed sample_rates.csv
var sampleRates string

// SampleName is the rate_deck value that selects the embedded sample deck.
const SampleName = "sample"

// SampleDeck returns the embedded deck of SAMPLE prices (Twilio-like, not
// anyone's tariff).
func SampleDeck() *Deck {
	d, err := ParseDeck(strings.NewReader(sampleRates), "sample_rates.csv")
	if err != nil {
		panic(fmt.Sprintf("embedded sample deck: %v", err))
	}
	return d
}

// LoadDeck reads a deck CSV file.
func LoadDeck(path string) (*Deck, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load rate deck: %w", err)
	}
	defer f.Close()
	return ParseDeck(f, filepath.Base(path))
}

// DeckForConfig is the deck a config prices with: its rate_deck file (or
// the sample deck when it is empty or "sample") overridden by its inline
// rates.
func DeckForConfig(cfg *config.Config) (*Deck, error) {
	var base *Deck
	switch p := cfg.Billing.RateDeck; p {
	case "", SampleName:
		base = SampleDeck()
	default:
		d, err := LoadDeck(cfg.ResolvePath(p))
		if err != nil {
			return nil, err
		}
		base = d
	}
	if len(cfg.Billing.Rates) == 0 {
		return base, nil
	}
	inline, err := DeckFromConfig(cfg.Billing.Rates)
	if err != nil {
		return nil, err
	}
	return base.Merge(inline)
}

// DeckFromConfig builds a deck from inline config rows. A row without a
// currency takes the currency of the deck it is merged into.
func DeckFromConfig(rows []config.Rate) (*Deck, error) {
	d := newDeck("billing.rates")
	for i, cr := range rows {
		src := fmt.Sprintf("billing.rates[%d]", i)
		decimals := DefaultDecimals
		if cr.Decimals != nil {
			decimals = *cr.Decimals
		}
		r := rowFields{
			kind: cr.Kind, origin: cr.Origin, prefix: cr.Prefix, numberType: cr.NumberType,
			currency: cr.Currency,
		}
		rate, err := r.build(src, cr.Price, cr.ConnectFee, cr.Initial, cr.Increment, decimals, true)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		if err := d.add(rate); err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
	}
	return d, nil
}

// Columns of the deck CSV, in the order WriteCSV writes them.
var deckColumns = []string{"kind", "origin", "prefix", "number_type", "price", "currency", "connect_fee", "initial", "increment", "decimals"}

var requiredColumns = deckColumns[:6]

// ParseDeck reads a deck CSV: a header naming the columns (any order; the
// last four are optional), then one row per rate. Lines starting with '#'
// are comments. Errors name the file and line.
func ParseDeck(r io.Reader, name string) (*Deck, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true

	d := newDeck(name)
	var col map[string]int
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s: row %d: %w", name, pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if col == nil {
			col, err = parseHeader(rec)
			if err != nil {
				return nil, fmt.Errorf("%s: row %d: header: %w", name, line, err)
			}
			continue
		}
		src := fmt.Sprintf("%s: row %d", name, line)
		rate, err := parseRow(rec, col, src)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		if err := d.add(rate); err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
	}
	if col == nil {
		return nil, fmt.Errorf("%s: no header row", name)
	}
	if err := d.checkCurrency(); err != nil {
		return nil, err
	}
	return d, nil
}

func parseHeader(rec []string) (map[string]int, error) {
	col := make(map[string]int, len(rec))
	for i, h := range rec {
		h = strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(deckColumns, h) {
			return nil, fmt.Errorf("unknown column %q", h)
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("column %q appears twice", h)
		}
		col[h] = i
	}
	for _, h := range requiredColumns {
		if _, ok := col[h]; !ok {
			return nil, fmt.Errorf("missing column %q", h)
		}
	}
	return col, nil
}

type rowFields struct {
	kind, origin, prefix, numberType, currency string
}

func parseRow(rec []string, col map[string]int, src string) (Rate, error) {
	field := func(name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	price, err := parseMoney(field("price"))
	if err != nil {
		return Rate{}, fmt.Errorf("price: %w", err)
	}
	fee := decimal.Zero
	if s := field("connect_fee"); s != "" {
		if fee, err = parseMoney(s); err != nil {
			return Rate{}, fmt.Errorf("connect_fee: %w", err)
		}
	}
	ints := map[string]int{"initial": 0, "increment": 0, "decimals": DefaultDecimals}
	for _, name := range []string{"initial", "increment", "decimals"} {
		s := field(name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return Rate{}, fmt.Errorf("%s: %q is not a whole number", name, s)
		}
		ints[name] = n
	}
	f := rowFields{
		kind: field("kind"), origin: field("origin"), prefix: field("prefix"),
		numberType: field("number_type"), currency: field("currency"),
	}
	return f.build(src, price, fee, ints["initial"], ints["increment"], ints["decimals"], false)
}

func parseMoney(s string) (decimal.Decimal, error) {
	if s == "" {
		return decimal.Zero, errors.New("missing")
	}
	// decimal.NewFromString accepts exponents and huge scales; a price is a
	// plain decimal number, so check the spelling first.
	digits, dot := 0, false
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		case c == '-' && i == 0:
		default:
			return decimal.Zero, fmt.Errorf("%q is not a number", s)
		}
	}
	if digits == 0 || digits > 18 {
		return decimal.Zero, fmt.Errorf("%q is not a number", s)
	}
	v, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, fmt.Errorf("%q is not a number", s)
	}
	if v.IsNegative() {
		return decimal.Zero, fmt.Errorf("%q is negative", s)
	}
	return v, nil
}

// build validates the fields and applies defaults. Config rows may leave
// the currency empty (it is filled in by Merge).
func (f rowFields) build(src string, price, fee decimal.Decimal, initial, increment, decimals int, currencyOptional bool) (Rate, error) {
	r := Rate{
		Kind:       Kind(strings.ToLower(strings.TrimSpace(f.kind))),
		Origin:     strings.ToUpper(strings.TrimSpace(f.origin)),
		Prefix:     strings.TrimPrefix(strings.TrimSpace(f.prefix), "+"),
		Price:      price,
		Currency:   strings.ToUpper(strings.TrimSpace(f.currency)),
		ConnectFee: fee,
		Initial:    initial,
		Increment:  increment,
		source:     src,
	}
	if !r.Kind.valid() {
		return Rate{}, fmt.Errorf("kind: %q is not one of %s", f.kind, joinKinds())
	}
	if r.Origin != OriginAll && !isCountryCode(r.Origin) {
		return Rate{}, fmt.Errorf("origin: %q is not an ISO country code or ALL", f.origin)
	}
	if len(r.Prefix) > 15 || strings.Trim(r.Prefix, "0123456789") != "" {
		return Rate{}, fmt.Errorf("prefix: %q is not up to 15 digits", f.prefix)
	}
	nt, err := ParseNumberType(f.numberType)
	if err != nil {
		return Rate{}, fmt.Errorf("number_type: %w", err)
	}
	r.NumberType = nt
	if price.IsNegative() {
		return Rate{}, fmt.Errorf("price: %s is negative", price)
	}
	if fee.IsNegative() {
		return Rate{}, fmt.Errorf("connect_fee: %s is negative", fee)
	}
	if r.Currency == "" && !currencyOptional || r.Currency != "" && !isCurrency(r.Currency) {
		return Rate{}, fmt.Errorf("currency: %q is not an ISO 4217 code", f.currency)
	}
	if r.Initial == 0 {
		r.Initial = DefaultInitial
	}
	if r.Increment == 0 {
		r.Increment = DefaultIncrement
	}
	if r.Initial < 1 || r.Initial > 3600 {
		return Rate{}, fmt.Errorf("initial: %d is not between 1 and 3600 seconds", initial)
	}
	if r.Increment < 1 || r.Increment > 3600 {
		return Rate{}, fmt.Errorf("increment: %d is not between 1 and 3600 seconds", increment)
	}
	if decimals < 0 || decimals > maxDecimals {
		return Rate{}, fmt.Errorf("decimals: %d is not between 0 and %d", decimals, maxDecimals)
	}
	r.Decimals = int32(decimals)
	// Prices beyond 10^6 per unit would overflow the int64 rating fast
	// path and are certainly a typo.
	if price.GreaterThan(maxPrice) || fee.GreaterThan(maxPrice) {
		return Rate{}, fmt.Errorf("price: %s is above %s", price, maxPrice)
	}
	if -price.Exponent() > 10 || -fee.Exponent() > 10 {
		return Rate{}, fmt.Errorf("price: %s has more than 10 decimal places", price)
	}
	return r, nil
}

var maxPrice = decimal.NewFromInt(1_000_000)

func isCountryCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := range 3 {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func joinKinds() string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// WriteCSV writes the deck in the format ParseDeck reads, with header.
func (d *Deck) WriteCSV(w io.Writer, comments ...string) error {
	for _, c := range comments {
		if _, err := fmt.Fprintf(w, "# %s\n", c); err != nil {
			return err
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(deckColumns); err != nil {
		return err
	}
	for _, r := range d.rows {
		rec := []string{
			string(r.Kind), r.Origin, r.Prefix, string(r.NumberType), r.Price.String(), r.Currency,
			r.ConnectFee.String(), strconv.Itoa(r.Initial), strconv.Itoa(r.Increment), strconv.Itoa(int(r.Decimals)),
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// NewDeck builds a deck from rows (as an importer produces them), checking
// each as ParseDeck would.
func NewDeck(name string, rows []Rate) (*Deck, error) {
	d := newDeck(name)
	for i, r := range rows {
		src := fmt.Sprintf("%s: row %d", name, i+1)
		f := rowFields{kind: string(r.Kind), origin: r.Origin, prefix: r.Prefix, numberType: string(r.NumberType), currency: r.Currency}
		rate, err := f.build(src, r.Price, r.ConnectFee, r.Initial, r.Increment, int(r.Decimals), false)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		if err := d.add(rate); err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
	}
	if err := d.checkCurrency(); err != nil {
		return nil, err
	}
	return d, nil
}
