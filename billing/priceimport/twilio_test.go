package priceimport

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
	twclient "github.com/twilio/twilio-go/client"

	"github.com/dialtone/dialtone/billing"
)

// Bodies as Twilio documents them (prices are strings in the JSON).
var pricingAPI = map[string]string{
	"/v2/Voice/Countries": `{"countries":[{"country":"United States","iso_country":"US","url":"https://pricing.twilio.com/v2/Voice/Countries/US"}],
		"meta":{"first_page_url":"https://pricing.twilio.com/v2/Voice/Countries?PageSize=50&Page=0","key":"countries",
		"next_page_url":"https://pricing.twilio.com/v2/Voice/Countries?PageSize=50&Page=1&PageToken=PAGE1","page":0,"page_size":50,
		"previous_page_url":null,"url":"https://pricing.twilio.com/v2/Voice/Countries?PageSize=50&Page=0"}}`,
	"/v2/Voice/Countries?page=1": `{"countries":[{"country":"United Kingdom","iso_country":"GB","url":"https://pricing.twilio.com/v2/Voice/Countries/GB"}],
		"meta":{"first_page_url":"https://pricing.twilio.com/v2/Voice/Countries?PageSize=50&Page=0","key":"countries","next_page_url":null,
		"page":1,"page_size":50,"previous_page_url":null,"url":"https://pricing.twilio.com/v2/Voice/Countries?PageSize=50&Page=1"}}`,
	"/v1/Messaging/Countries":    `{"countries":[{"country":"United States","iso_country":"US","url":""}],"meta":{"key":"countries","next_page_url":null,"page":0,"page_size":50}}`,
	"/v1/PhoneNumbers/Countries": `{"countries":[{"country":"United Kingdom","iso_country":"GB","url":""}],"meta":{"key":"countries","next_page_url":null,"page":0,"page_size":50}}`,
	"/v2/Voice/Countries/US": `{
		"country": "United States",
		"inbound_call_prices": [
			{"base_price": "0.0085", "current_price": "0.0085", "number_type": "local"},
			{"base_price": "0.022", "current_price": "0.022", "number_type": "toll free"},
			{"base_price": "0.01", "current_price": "0.01", "number_type": "shared cost"}
		],
		"iso_country": "US",
		"outbound_prefix_prices": [
			{"base_price": "0.014", "current_price": "0.0140", "destination_prefixes": ["1"], "friendly_name": "Programmable Outbound Minute - United States", "origination_prefixes": ["ALL"]},
			{"base_price": "0.013", "current_price": "0.0130", "destination_prefixes": ["1907", "1808"], "friendly_name": "Programmable Outbound Minute - United States - Alaska and Hawaii", "origination_prefixes": ["1"]}
		],
		"price_unit": "USD",
		"url": "https://pricing.twilio.com/v2/Voice/Countries/US"
	}`,
	// One null price: twilio-go's decoder rejects the whole resource.
	"/v2/Voice/Countries/GB": `{
		"country": "United Kingdom",
		"inbound_call_prices": [
			{"base_price": "0.0100", "current_price": "0.0100", "number_type": "local"},
			{"base_price": null, "current_price": null, "number_type": "mobile"},
			{"base_price": "0.0575", "current_price": "0.0575", "number_type": "toll free"}
		],
		"iso_country": "GB",
		"outbound_prefix_prices": [
			{"base_price": "0.0240", "current_price": "0.0240", "destination_prefixes": ["44"], "friendly_name": "Programmable Outbound Minute - United Kingdom - Landline", "origination_prefixes": ["ALL"]},
			{"base_price": "0.0400", "current_price": "0.0400", "destination_prefixes": ["447"], "friendly_name": "Programmable Outbound Minute - United Kingdom - Mobile", "origination_prefixes": ["ALL"]},
			{"base_price": "0.0150", "current_price": "0.0150", "destination_prefixes": ["44"], "friendly_name": "Programmable Outbound Minute - United Kingdom - Domestic", "origination_prefixes": ["44"]}
		],
		"price_unit": "USD",
		"url": "https://pricing.twilio.com/v2/Voice/Countries/GB"
	}`,
	"/v1/Messaging/Countries/US": `{
		"country": "United States",
		"inbound_sms_prices": [{"base_price": "0.0079", "current_price": "0.0079", "number_type": "local"}, {"base_price": "0.0079", "current_price": "0.0079", "number_type": "toll free"}],
		"iso_country": "US",
		"outbound_sms_prices": [
			{"carrier": "Verizon Wireless", "mcc": "311", "mnc": "484", "prices": [{"base_price": "0.0079", "current_price": "0.0079", "number_type": "local"}, {"base_price": "0.0075", "current_price": "0.0075", "number_type": "shortcode"}]},
			{"carrier": "AT&T Wireless", "mcc": "310", "mnc": "410", "prices": [{"base_price": "0.0083", "current_price": "0.0083", "number_type": "local"}]}
		],
		"price_unit": "USD",
		"url": "https://pricing.twilio.com/v1/Messaging/Countries/US"
	}`,
	"/v1/Messaging/Countries/GB": `{
		"country": "United Kingdom",
		"inbound_sms_prices": [{"base_price": "0.0075", "current_price": "0.0075", "number_type": "mobile"}],
		"iso_country": "GB",
		"outbound_sms_prices": [{"carrier": "EE", "mcc": "234", "mnc": "30", "prices": [{"base_price": "0.0524", "current_price": "0.0524", "number_type": "mobile"}, {"base_price": null, "current_price": null, "number_type": "local"}]}],
		"price_unit": "USD",
		"url": "https://pricing.twilio.com/v1/Messaging/Countries/GB"
	}`,
	"/v1/PhoneNumbers/Countries/US": `{
		"country": "United States", "iso_country": "US",
		"phone_number_prices": [{"base_price": "1.15", "current_price": "1.15", "number_type": "local"}, {"base_price": "2.15", "current_price": "2.15", "number_type": "toll free"}],
		"price_unit": "USD", "url": "https://pricing.twilio.com/v1/PhoneNumbers/Countries/US"
	}`,
	"/v1/PhoneNumbers/Countries/GB": `{
		"country": "United Kingdom", "iso_country": "GB",
		"phone_number_prices": [{"base_price": "1.15", "current_price": "1.15", "number_type": "local"}, {"base_price": "1.15", "current_price": "1.15", "number_type": "mobile"}, {"base_price": "2.00", "current_price": "2.00", "number_type": "national"}],
		"price_unit": "USD", "url": "https://pricing.twilio.com/v1/PhoneNumbers/Countries/GB"
	}`,
}

// fakeTwilio serves pricingAPI. Requests arrive through redirect, the
// transport that sends twilio-go's fixed https://pricing.twilio.com URLs
// to the test server.
type fakeTwilio struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []string
}

func newFakeTwilio(t *testing.T) *fakeTwilio {
	f := &fakeTwilio{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.seen = append(f.seen, r.Host+r.URL.Path)
		f.mu.Unlock()
		if user, pass, ok := r.BasicAuth(); !ok || user != "ACtest" || pass != "secret" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}`)
			return
		}
		key := r.URL.Path
		if r.URL.Query().Get("Page") == "1" {
			key += "?page=1"
		}
		body, ok := pricingAPI[key]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"code":20404,"message":"The requested resource was not found","more_info":"https://www.twilio.com/docs/errors/20404","status":404}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

type redirect struct{ to *url.URL }

func (rt redirect) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Host = r.URL.Host // keep the name asked for, to check it
	r.URL.Scheme, r.URL.Host = rt.to.Scheme, rt.to.Host
	return http.DefaultTransport.RoundTrip(r)
}

func (f *fakeTwilio) client(t *testing.T, user, pass string) *twclient.Client {
	u, err := url.Parse(f.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := &twclient.Client{
		Credentials: twclient.NewCredentials(user, pass),
		HTTPClient:  &http.Client{Transport: redirect{to: u}},
	}
	c.SetAccountSid(user)
	return c
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestTwilioImport(t *testing.T) {
	// An edge or region would rewrite the host twilio-go asks for.
	t.Setenv("TWILIO_EDGE", "")
	t.Setenv("TWILIO_REGION", "")
	f := newFakeTwilio(t)
	deck, err := Twilio(TwilioOptions{Countries: []string{"US", "gb"}, Client: f.client(t, "ACtest", "secret"), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range f.seen {
		if !strings.HasPrefix(host, "pricing.twilio.com/") {
			t.Errorf("request to %s", host)
		}
	}
	rows := map[string]billing.Rate{}
	for _, r := range deck.Rows() {
		rows[string(r.Kind)+","+r.Origin+","+r.Prefix+","+string(r.NumberType)] = r
	}
	tests := []struct {
		name, key, price string
	}{
		{"an outbound price from any origin", "outbound,ALL,1,", "0.014"},
		{"an outbound price for an origination prefix takes its country", "outbound,US,1907,", "0.013"},
		{"each destination prefix of an entry is a row", "outbound,US,1808,", "0.013"},
		{"a mobile outbound price is typed mobile", "outbound,ALL,447,mobile", "0.04"},
		{"a domestic UK price has origin GB", "outbound,GB,44,", "0.015"},
		{"an inbound local price is keyed by country code", "inbound,US,1,local", "0.0085"},
		{"an inbound toll-free price", "inbound,US,1,toll-free", "0.022"},
		{"the other prices of a country with a null price survive", "inbound,GB,44,toll-free", "0.0575"},
		{"outbound SMS takes the dearest carrier", "sms-out,US,,local", "0.0083"},
		{"inbound SMS by number type", "sms-in,US,,toll-free", "0.0079"},
		{"SMS of a country with a null carrier price", "sms-out,GB,,mobile", "0.0524"},
		{"a number's monthly price", "number,US,,toll-free", "2.15"},
		{"a UK mobile number's price", "number,GB,,mobile", "1.15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := rows[tt.key]
			if !ok {
				t.Fatalf("no row %s", tt.key)
			}
			if !r.Price.Equal(decimal.RequireFromString(tt.price)) || r.Price.String() != tt.price {
				t.Errorf("price %s, want exactly %s", r.Price, tt.price)
			}
			if r.Currency != "USD" || r.Initial != 60 || r.Increment != 60 || r.Decimals != 2 {
				t.Errorf("row %+v", r)
			}
		})
	}
	for _, absent := range []string{"inbound,GB,44,mobile", "sms-out,US,,", "number,GB,,", "inbound,US,1,"} {
		if _, ok := rows[absent]; ok {
			t.Errorf("row %s should not exist (null price, shortcode or untyped)", absent)
		}
	}

	t.Run("the deck written out reads back and rates", func(t *testing.T) {
		var buf bytes.Buffer
		if err := deck.WriteCSV(&buf, "imported"); err != nil {
			t.Fatal(err)
		}
		back, err := billing.ParseDeck(&buf, "twilio.csv")
		if err != nil {
			t.Fatal(err)
		}
		q, err := billing.NewRater(back, nil).Rate(billing.RateRequest{Class: billing.ClassPSTNOutbound, CallerID: "+14155552671", To: "+447911123456", Seconds: 70})
		if err != nil {
			t.Fatal(err)
		}
		if !q.Charge.Equal(decimal.RequireFromString("0.08")) || q.MatchedPrefix != "447" {
			t.Errorf("quote %+v", q)
		}
	})
}

func TestTwilioImportListsCountriesAcrossPages(t *testing.T) {
	t.Setenv("TWILIO_EDGE", "")
	t.Setenv("TWILIO_REGION", "")
	f := newFakeTwilio(t)
	deck, err := Twilio(TwilioOptions{Client: f.client(t, "ACtest", "secret"), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	origins := map[string]bool{}
	for _, r := range deck.Rows() {
		if r.Kind == billing.KindInbound {
			origins[r.Origin] = true
		}
	}
	if !origins["US"] || !origins["GB"] {
		t.Errorf("inbound origins %v, want US and GB from both list pages", origins)
	}
}

func TestTwilioImportErrors(t *testing.T) {
	t.Setenv("TWILIO_EDGE", "")
	t.Setenv("TWILIO_REGION", "")
	f := newFakeTwilio(t)
	t.Run("bad credentials are an error", func(t *testing.T) {
		_, err := Twilio(TwilioOptions{Countries: []string{"US"}, Client: f.client(t, "ACtest", "wrong"), Logger: quiet()})
		if err == nil || !strings.Contains(err.Error(), "voice prices for US") || !strings.Contains(err.Error(), "20003") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("a country without prices is skipped", func(t *testing.T) {
		deck, err := Twilio(TwilioOptions{Countries: []string{"US", "ZZ"}, Client: f.client(t, "ACtest", "secret"), Logger: quiet()})
		if err != nil || deck.Len() == 0 {
			t.Fatalf("deck %v, error %v", deck, err)
		}
	})
	t.Run("missing credentials are an error", func(t *testing.T) {
		t.Setenv("TWILIO_ACCOUNT_SID", "")
		t.Setenv("TWILIO_AUTH_TOKEN", "")
		if _, err := Twilio(TwilioOptions{Countries: []string{"US"}}); err == nil || !strings.Contains(err.Error(), "TWILIO_ACCOUNT_SID") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("a malformed country code is an error", func(t *testing.T) {
		if _, err := Twilio(TwilioOptions{Countries: []string{"USA"}, Client: f.client(t, "ACtest", "secret"), Logger: quiet()}); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestFloat32PricesConvertExactly(t *testing.T) {
	for _, s := range []string{"0.014", "0.0085", "0.022", "0.1", "1.15", "2.15", "0.0079", "0.0524", "16", "0.0001"} {
		t.Run(s+" stays "+s, func(t *testing.T) {
			f, _ := decimal.RequireFromString(s).Float64()
			if got := fromFloat32(float32(f)); got.String() != s {
				t.Errorf("%s became %s", s, got)
			}
		})
	}
}
