package priceimport

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	twclient "github.com/twilio/twilio-go/client"
	pricingv1 "github.com/twilio/twilio-go/rest/pricing/v1"
	pricingv2 "github.com/twilio/twilio-go/rest/pricing/v2"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/phone"
)

// pricingBase is where twilio-go sends Pricing API requests; the lenient
// fallback asks the same host through the same client.
const pricingBase = "https://pricing.twilio.com"

// TwilioOptions configures a Twilio import.
type TwilioOptions struct {
	// Countries to import (ISO codes); empty imports every country the
	// Pricing API lists.
	Countries []string
	// Client sends the requests; nil builds one from TWILIO_ACCOUNT_SID and
	// TWILIO_AUTH_TOKEN.
	Client twclient.BaseClient
	Logger *slog.Logger
}

// Twilio builds a deck from Twilio's Pricing API: outbound prefix prices
// and inbound prices by number type (Voice v2), SMS prices (Messaging v1)
// and monthly number prices (PhoneNumbers v1). Voice is per minute,
// rounded up to the minute and the cent (Twilio's own billing). The API
// has no MMS prices: add mms-out and mms-in rows by hand.
func Twilio(opts TwilioOptions) (*billing.Deck, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	c := opts.Client
	if c == nil {
		sid, token := os.Getenv("TWILIO_ACCOUNT_SID"), os.Getenv("TWILIO_AUTH_TOKEN")
		if sid == "" || token == "" {
			return nil, errors.New("twilio import: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set")
		}
		cl := &twclient.Client{Credentials: twclient.NewCredentials(sid, token)}
		cl.SetAccountSid(sid)
		cl.SetTimeout(30 * time.Second)
		c = cl
	}
	im := &importer{
		handler: twclient.NewRequestHandler(c),
		log:     log,
		rows:    map[rowKey]billing.Rate{},
	}
	im.v1 = pricingv1.NewApiService(im.handler)
	im.v2 = pricingv2.NewApiService(im.handler)

	countries := opts.Countries
	if len(countries) == 0 {
		var err error
		if countries, err = im.listCountries(); err != nil {
			return nil, fmt.Errorf("twilio import: %w", err)
		}
	}
	for _, iso := range countries {
		iso = strings.ToUpper(strings.TrimSpace(iso))
		if len(iso) != 2 {
			return nil, fmt.Errorf("twilio import: %q is not an ISO country code", iso)
		}
		if err := im.voice(iso); err != nil {
			return nil, fmt.Errorf("twilio import: voice prices for %s: %w", iso, err)
		}
		if err := im.messaging(iso); err != nil {
			return nil, fmt.Errorf("twilio import: messaging prices for %s: %w", iso, err)
		}
		if err := im.numbers(iso); err != nil {
			return nil, fmt.Errorf("twilio import: number prices for %s: %w", iso, err)
		}
	}
	return im.deck()
}

type rowKey struct {
	kind       billing.Kind
	origin     string
	prefix     string
	numberType billing.NumberType
}

type importer struct {
	handler  *twclient.RequestHandler
	v1       *pricingv1.ApiService
	v2       *pricingv2.ApiService
	log      *slog.Logger
	rows     map[rowKey]billing.Rate
	currency string
}

func (im *importer) listCountries() ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(iso *string) {
		if iso != nil && !seen[*iso] {
			seen[*iso] = true
			out = append(out, *iso)
		}
	}
	vc, err := im.v2.ListVoiceCountry(nil)
	if err != nil {
		return nil, fmt.Errorf("list voice countries: %w", err)
	}
	for _, c := range vc {
		add(c.IsoCountry)
	}
	mc, err := im.v1.ListMessagingCountry(nil)
	if err != nil {
		return nil, fmt.Errorf("list messaging countries: %w", err)
	}
	for _, c := range mc {
		add(c.IsoCountry)
	}
	pc, err := im.v1.ListPhoneNumberCountry(nil)
	if err != nil {
		return nil, fmt.Errorf("list phone number countries: %w", err)
	}
	for _, c := range pc {
		add(c.IsoCountry)
	}
	slices.Sort(out)
	return out, nil
}

// price is one price of a list, already exact.
type price struct {
	numberType string
	amount     decimal.Decimal
	orig, dest []string
	name       string
}

// prices is a country's resource reduced to what a deck needs.
type prices struct {
	unit     string
	outbound []price // voice outbound, or SMS outbound (one per carrier price)
	inbound  []price
}

// fromFloat32 converts an API price. twilio-go decodes prices into
// float32; widening to float64 first would turn 0.014 into
// 0.014000000432133675, NewFromFloat32 yields the shortest decimal that
// is the same float32: the price as the API wrote it.
func fromFloat32(f float32) decimal.Decimal { return decimal.NewFromFloat32(f) }

func (im *importer) voice(iso string) error {
	var p prices
	inst, err := im.v2.FetchVoiceCountry(iso)
	switch {
	case isNotFound(err):
		im.log.Info("no voice prices", "country", iso)
		return nil
	case isDecodeError(err):
		// A null price makes twilio-go's decoder fail the whole country;
		// read it again leniently and skip just the null prices.
		if p, err = im.lenient("/v2/Voice/Countries/"+iso, "outbound_prefix_prices", "inbound_call_prices"); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		p.unit = deref(inst.PriceUnit)
		if inst.OutboundPrefixPrices != nil {
			for _, o := range *inst.OutboundPrefixPrices {
				p.outbound = append(p.outbound, price{amount: fromFloat32(o.CurrentPrice), orig: o.OriginationPrefixes, dest: o.DestinationPrefixes, name: o.FriendlyName})
			}
		}
		if inst.InboundCallPrices != nil {
			for _, in := range *inst.InboundCallPrices {
				p.inbound = append(p.inbound, price{numberType: in.NumberType, amount: fromFloat32(in.CurrentPrice)})
			}
		}
	}
	if err := im.setCurrency(p.unit); err != nil {
		return err
	}
	for _, o := range p.outbound {
		nt := billing.AnyType
		if strings.Contains(strings.ToLower(o.name), "mobile") {
			nt = billing.Mobile
		}
		origins := o.orig
		if len(origins) == 0 {
			origins = []string{billing.OriginAll}
		}
		for _, op := range origins {
			origin := originCountry(op)
			if origin == "" {
				im.log.Warn("skipping an origination prefix of no known country", "country", iso, "prefix", op)
				continue
			}
			for _, d := range o.dest {
				im.add(billing.KindOutbound, origin, d, nt, o.amount)
			}
		}
	}
	cc := countryCode(iso)
	for _, in := range p.inbound {
		nt, ok := numberType(in.numberType)
		if !ok {
			im.log.Info("skipping an inbound price of a number type decks do not price", "country", iso, "number_type", in.numberType)
			continue
		}
		im.add(billing.KindInbound, iso, cc, nt, in.amount)
	}
	return nil
}

func (im *importer) messaging(iso string) error {
	var p prices
	inst, err := im.v1.FetchMessagingCountry(iso)
	switch {
	case isNotFound(err):
		im.log.Info("no messaging prices", "country", iso)
		return nil
	case isDecodeError(err):
		if p, err = im.lenient("/v1/Messaging/Countries/"+iso, "outbound_sms_prices", "inbound_sms_prices"); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		p.unit = deref(inst.PriceUnit)
		if inst.OutboundSmsPrices != nil {
			for _, c := range *inst.OutboundSmsPrices {
				for _, pr := range c.Prices {
					p.outbound = append(p.outbound, price{numberType: pr.NumberType, amount: fromFloat32(pr.CurrentPrice)})
				}
			}
		}
		if inst.InboundSmsPrices != nil {
			for _, in := range *inst.InboundSmsPrices {
				p.inbound = append(p.inbound, price{numberType: in.NumberType, amount: fromFloat32(in.CurrentPrice)})
			}
		}
	}
	if err := im.setCurrency(p.unit); err != nil {
		return err
	}
	// Outbound SMS is priced per destination carrier, which a text does not
	// know in advance: take the dearest per number type.
	for _, pr := range p.outbound {
		if nt, ok := numberType(pr.numberType); ok {
			im.add(billing.KindSMSOut, iso, "", nt, pr.amount)
		}
	}
	for _, pr := range p.inbound {
		if nt, ok := numberType(pr.numberType); ok {
			im.add(billing.KindSMSIn, iso, "", nt, pr.amount)
		}
	}
	return nil
}

func (im *importer) numbers(iso string) error {
	var p prices
	inst, err := im.v1.FetchPhoneNumberCountry(iso)
	switch {
	case isNotFound(err):
		im.log.Info("no phone number prices", "country", iso)
		return nil
	case isDecodeError(err):
		if p, err = im.lenient("/v1/PhoneNumbers/Countries/"+iso, "", "phone_number_prices"); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		p.unit = deref(inst.PriceUnit)
		if inst.PhoneNumberPrices != nil {
			for _, pr := range *inst.PhoneNumberPrices {
				p.inbound = append(p.inbound, price{numberType: pr.NumberType, amount: fromFloat32(pr.CurrentPrice)})
			}
		}
	}
	if err := im.setCurrency(p.unit); err != nil {
		return err
	}
	for _, pr := range p.inbound {
		if nt, ok := numberType(pr.numberType); ok {
			im.add(billing.KindNumber, iso, "", nt, pr.amount)
		}
	}
	return nil
}

// add keeps the dearest price when several entries map to one row (two
// origination prefixes of one country, several carriers).
func (im *importer) add(kind billing.Kind, origin, prefix string, nt billing.NumberType, amount decimal.Decimal) {
	k := rowKey{kind, origin, prefix, nt}
	if old, ok := im.rows[k]; ok && !amount.GreaterThan(old.Price) {
		return
	}
	im.rows[k] = billing.Rate{
		Kind: kind, Origin: origin, Prefix: prefix, NumberType: nt, Price: amount,
		ConnectFee: decimal.Zero, Initial: billing.DefaultInitial, Increment: billing.DefaultIncrement, Decimals: billing.DefaultDecimals,
	}
}

func (im *importer) setCurrency(unit string) error {
	unit = strings.ToUpper(unit)
	switch {
	case unit == "":
		return nil
	case im.currency == "":
		im.currency = unit
	case unit != im.currency:
		return fmt.Errorf("prices in %s, others in %s", unit, im.currency)
	}
	return nil
}

func (im *importer) deck() (*billing.Deck, error) {
	cur := im.currency
	if cur == "" {
		cur = "USD"
	}
	rows := make([]billing.Rate, 0, len(im.rows))
	for _, r := range im.rows {
		r.Currency = cur
		rows = append(rows, r)
	}
	kindOrder := func(k billing.Kind) int {
		return slices.Index([]billing.Kind{billing.KindOutbound, billing.KindInbound, billing.KindClient,
			billing.KindSMSOut, billing.KindSMSIn, billing.KindMMSOut, billing.KindMMSIn, billing.KindNumber}, k)
	}
	slices.SortFunc(rows, func(a, b billing.Rate) int {
		if c := kindOrder(a.Kind) - kindOrder(b.Kind); c != 0 {
			return c
		}
		if c := strings.Compare(a.Origin, b.Origin); c != 0 {
			return c
		}
		if c := strings.Compare(a.Prefix, b.Prefix); c != 0 {
			return c
		}
		return strings.Compare(string(a.NumberType), string(b.NumberType))
	})
	return billing.NewDeck("twilio", rows)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func isNotFound(err error) bool {
	var re *twclient.TwilioRestError
	return errors.As(err, &re) && re.Status == http.StatusNotFound
}

// isDecodeError is an error that is neither the API's nor the network's:
// twilio-go failing to decode a body it received.
func isDecodeError(err error) bool {
	if err == nil {
		return false
	}
	var re *twclient.TwilioRestError
	var ue *url.Error
	return !errors.As(err, &re) && !errors.As(err, &ue)
}

// lenient fetches a pricing resource through the same client and decodes
// it without twilio-go's float32 decoder, reading prices exactly from
// their JSON text and skipping null ones.
func (im *importer) lenient(path, outboundKey, inboundKey string) (prices, error) {
	resp, err := im.handler.Get(pricingBase+path, nil, map[string]any{"Content-Type": "application/x-www-form-urlencoded"}, "")
	if err != nil {
		return prices{}, err
	}
	defer resp.Body.Close()
	var raw map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		return prices{}, fmt.Errorf("decode %s: %w", path, err)
	}
	var p prices
	_ = json.Unmarshal(raw["price_unit"], &p.unit)
	type entry struct {
		NumberType   string            `json:"number_type"`
		Current      json.RawMessage   `json:"current_price"`
		Orig         []string          `json:"origination_prefixes"`
		Dest         []string          `json:"destination_prefixes"`
		FriendlyName string            `json:"friendly_name"`
		Prices       []json.RawMessage `json:"prices"` // SMS: per carrier
	}
	read := func(key string) ([]price, error) {
		if key == "" || len(raw[key]) == 0 || string(raw[key]) == "null" {
			return nil, nil
		}
		var es []entry
		if err := json.Unmarshal(raw[key], &es); err != nil {
			return nil, fmt.Errorf("decode %s %s: %w", path, key, err)
		}
		var out []price
		for _, e := range es {
			if e.Prices != nil {
				for _, pr := range e.Prices {
					var inner entry
					if err := json.Unmarshal(pr, &inner); err != nil {
						return nil, fmt.Errorf("decode %s %s: %w", path, key, err)
					}
					if d, ok := rawPrice(inner.Current); ok {
						out = append(out, price{numberType: inner.NumberType, amount: d})
					} else {
						im.log.Warn("skipping a price the API left empty", "resource", path, "number_type", inner.NumberType)
					}
				}
				continue
			}
			d, ok := rawPrice(e.Current)
			if !ok {
				im.log.Warn("skipping a price the API left empty", "resource", path, "entry", e.FriendlyName+e.NumberType)
				continue
			}
			out = append(out, price{numberType: e.NumberType, amount: d, orig: e.Orig, dest: e.Dest, name: e.FriendlyName})
		}
		return out, nil
	}
	if p.outbound, err = read(outboundKey); err != nil {
		return prices{}, err
	}
	if p.inbound, err = read(inboundKey); err != nil {
		return prices{}, err
	}
	return p, nil
}

// rawPrice reads a JSON price, a string ("0.0140") or a number; null or
// malformed is no price.
func rawPrice(raw json.RawMessage) (decimal.Decimal, bool) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return decimal.Zero, false
	}
	if unq, err := strconv.Unquote(s); err == nil {
		s = unq
	}
	d, err := decimal.NewFromString(s)
	if err != nil || d.IsNegative() {
		return decimal.Zero, false
	}
	return d, true
}

// numberType maps the API's number types to the deck's; shortcodes,
// national and shared-cost numbers are not priced by decks.
func numberType(s string) (billing.NumberType, bool) {
	t, err := billing.ParseNumberType(s)
	if err != nil || t == billing.AnyType {
		return "", false
	}
	return t, true
}

// countryCode is iso's calling code as a prefix.
func countryCode(iso string) string {
	return phone.CallingCode(iso)
}

// originCountry maps an origination prefix to the deck's origin: "ALL",
// or the main country of the calling code the prefix starts with (a NANP
// prefix such as "1204" counts as the US; refine such rows by hand).
func originCountry(prefix string) string {
	if strings.EqualFold(prefix, billing.OriginAll) {
		return billing.OriginAll
	}
	for n := 1; n <= 3 && n <= len(prefix); n++ {
		cc, err := strconv.Atoi(prefix[:n])
		if err != nil {
			return ""
		}
		if r := phone.MainCountry(cc); r != "" {
			return r
		}
	}
	return ""
}
