package billing

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/dialtone/dialtone/config"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// Numbers used across tests (valid per libphonenumber).
const (
	usLocal    = "+14155552671"
	usLocal2   = "+12125551234"
	usTollFree = "+18005550100"
	caLocal    = "+16135550100"
	prLocal    = "+17872345678"
	gbLocal    = "+442071838750"
	gbMobile   = "+447700900123"
	auLocal    = "+61291234567"
	auMobile   = "+61412345678"
	deMobile   = "+4915123456789"
	frLocal    = "+33123456789"
	cnMobile   = "+8613800138000"
)

func TestRateVoice(t *testing.T) {
	rt := NewRater(SampleDeck(), []config.Number{{Number: "+14155550199", Type: "mobile"}})
	tests := []struct {
		name       string
		req        RateRequest
		minutes    string
		rate       string
		charge     string
		origin     string
		prefix     string
		numberType string
	}{
		{
			name:    "a 70-second call is charged as a 2-minute call rounded up to the cent",
			req:     RateRequest{Class: ClassPSTNOutbound, CallerID: usLocal, To: usLocal2, Seconds: 70},
			minutes: "2", rate: "0.014", charge: "0.03", origin: "US", prefix: "1",
		},
		{
			name:    "a one-second call is one minute",
			req:     RateRequest{Class: ClassPSTNOutbound, CallerID: usLocal, To: usLocal2, Seconds: 1},
			minutes: "1", rate: "0.014", charge: "0.02", origin: "US", prefix: "1",
		},
		{
			name:    "exactly 60 seconds is one minute and 61 is two",
			req:     RateRequest{Class: ClassPSTNOutbound, CallerID: usLocal, To: usLocal2, Seconds: 61},
			minutes: "2", rate: "0.014", charge: "0.03", origin: "US", prefix: "1",
		},
		{
			name:    "an unanswered leg costs nothing",
			req:     RateRequest{Class: ClassPSTNOutbound, CallerID: usLocal, To: usLocal2, Seconds: 0},
			minutes: "0", rate: "0.014", charge: "0", origin: "US", prefix: "1",
		},
		{
			name:    "a US caller ID calling Australia pays the US to Australia rate",
			req:     RateRequest{Class: ClassPSTNOutbound, From: "+61255550000", CallerID: usLocal, To: auLocal, Seconds: 600},
			minutes: "10", rate: "0.035", charge: "0.35", origin: "US", prefix: "61", numberType: "local",
		},
		{
			name:    "an Australian caller ID calling Australia pays the domestic rate",
			req:     RateRequest{Class: ClassPSTNOutbound, CallerID: "+61255550000", To: auLocal, Seconds: 600},
			minutes: "10", rate: "0.03", charge: "0.30", origin: "AU", prefix: "61", numberType: "local",
		},
		{
			name:    "without a caller ID the from number's country is the origin",
			req:     RateRequest{Class: ClassPSTNOutbound, From: gbLocal, To: gbLocal, Seconds: 60},
			minutes: "1", rate: "0.015", charge: "0.02", origin: "GB", prefix: "44", numberType: "local",
		},
		{
			name:    "a mobile destination matches its longer prefix",
			req:     RateRequest{Class: ClassPSTNOutbound, CallerID: usLocal, To: gbMobile, Seconds: 60},
			minutes: "1", rate: "0.04", charge: "0.04", origin: "US", prefix: "447", numberType: "mobile",
		},
		{
			name:    "the longest of several German mobile prefixes wins",
			req:     RateRequest{Class: ClassPSTNOutbound, CallerID: usLocal, To: deMobile, Seconds: 60},
			minutes: "1", rate: "0.13", charge: "0.13", origin: "US", prefix: "4915", numberType: "mobile",
		},
		{
			name:    "Puerto Rico from the US matches its area code, not the NANP default",
			req:     RateRequest{Class: ClassPSTNOutbound, CallerID: usLocal, To: prLocal, Seconds: 60},
			minutes: "1", rate: "0.028", charge: "0.03", origin: "US", prefix: "1787",
		},
		{
			name:    "a caller ID from a country without its own rows falls back to origin ALL",
			req:     RateRequest{Class: ClassPSTNOutbound, CallerID: "+4930123456", To: frLocal, Seconds: 60},
			minutes: "1", rate: "0.0375", charge: "0.04", origin: "DE", prefix: "33", numberType: "local",
		},
		{
			name:    "inbound to a local number uses the local inbound rate",
			req:     RateRequest{Class: ClassPSTNInbound, From: gbLocal, To: "1001", PhoneNumber: usLocal, Seconds: 120},
			minutes: "2", rate: "0.0085", charge: "0.02", origin: "US", prefix: "1", numberType: "local",
		},
		{
			name:    "inbound to a toll-free number costs more",
			req:     RateRequest{Class: ClassPSTNInbound, From: gbLocal, To: usTollFree, Seconds: 120},
			minutes: "2", rate: "0.022", charge: "0.05", origin: "US", prefix: "1", numberType: "toll-free",
		},
		{
			name:    "inbound uses the number type pinned in the config",
			req:     RateRequest{Class: ClassPSTNInbound, PhoneNumber: "+14155550199", Seconds: 60},
			minutes: "1", rate: "0.0085", charge: "0.01", origin: "US", prefix: "1", numberType: "mobile",
		},
		{
			name:    "inbound to a Canadian number is rated as Canada",
			req:     RateRequest{Class: ClassPSTNInbound, PhoneNumber: caLocal, Seconds: 60},
			minutes: "1", rate: "0.0085", charge: "0.01", origin: "CA", prefix: "1", numberType: "local",
		},
		{
			name:    "inbound to an Australian toll-free number",
			req:     RateRequest{Class: ClassPSTNInbound, PhoneNumber: "+611800123456", Seconds: 60},
			minutes: "1", rate: "0.06", charge: "0.06", origin: "AU", prefix: "61", numberType: "toll-free",
		},
		{
			name:    "a leg between users uses the client rate",
			req:     RateRequest{Class: ClassClient, From: "1001", To: "1002", Seconds: 300},
			minutes: "5", rate: "0.004", charge: "0.02", origin: "ALL",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := rt.Rate(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !q.Minutes.Equal(dec(tt.minutes)) || !q.Rate.Equal(dec(tt.rate)) || !q.Charge.Equal(dec(tt.charge)) {
				t.Errorf("minutes %s rate %s charge %s, want %s %s %s", q.Minutes, q.Rate, q.Charge, tt.minutes, tt.rate, tt.charge)
			}
			if q.OriginCountry != tt.origin || q.MatchedPrefix != tt.prefix || q.NumberType != tt.numberType {
				t.Errorf("origin %q prefix %q type %q, want %q %q %q", q.OriginCountry, q.MatchedPrefix, q.NumberType, tt.origin, tt.prefix, tt.numberType)
			}
			if q.Currency != "USD" {
				t.Errorf("currency %q", q.Currency)
			}
		})
	}
}

func TestRateIncrementsAndFees(t *testing.T) {
	deck, err := LoadDeck("testdata/carrier_deck.csv")
	if err != nil {
		t.Fatal(err)
	}
	rt := NewRater(deck, nil)
	tests := []struct {
		name    string
		to      string
		seconds int64
		billed  int64
		units   int64
		charge  string
	}{
		{"per-second billing charges exactly 61 seconds", usLocal2, 61, 61, 61, "0.0143"},
		{"per-second billing rounds the fraction of a hundredth of a cent up", usLocal2, 7, 7, 7, "0.0017"},
		{"30/6 billing charges 30 seconds for a 10-second call", gbLocal, 10, 30, 1, "0.03"},
		{"30/6 billing charges 36 seconds for a 31-second call", gbLocal, 31, 36, 2, "0.036"},
		{"30/6 billing charges 36 seconds for a 36-second call", gbLocal, 36, 36, 2, "0.036"},
		{"a connect fee is added once", auLocal, 90, 120, 2, "0.11"},
		{"a connect fee is not charged on an unanswered leg", auLocal, 0, 0, 0, "0"},
		{"zero decimals round up to a whole unit", frLocal, 60, 60, 1, "1"},
		{"a free destination costs nothing", "+4930123456", 600, 600, 10, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := rt.Rate(RateRequest{Class: ClassPSTNOutbound, CallerID: usLocal, To: tt.to, Seconds: tt.seconds})
			if err != nil {
				t.Fatal(err)
			}
			if q.Seconds != tt.billed || q.Units != tt.units || !q.Charge.Equal(dec(tt.charge)) {
				t.Errorf("billed %d units %d charge %s, want %d %d %s", q.Seconds, q.Units, q.Charge, tt.billed, tt.units, tt.charge)
			}
		})
	}
}

func TestRateRefusals(t *testing.T) {
	rt := NewRater(SampleDeck(), nil)
	tests := []struct {
		name string
		req  RateRequest
		want string
		is   error
	}{
		{"a destination without a rate", RateRequest{Class: ClassPSTNOutbound, CallerID: usLocal, To: cnMobile, Seconds: 60}, "outbound from US to +86", ErrNoRate},
		{"a destination that is not a number", RateRequest{Class: ClassPSTNOutbound, CallerID: usLocal, To: "1002", Seconds: 60}, `outbound destination "1002"`, nil},
		{"an inbound leg to an extension", RateRequest{Class: ClassPSTNInbound, To: "1002", Seconds: 60}, `inbound called number "1002"`, nil},
		{"an unknown billing class", RateRequest{Class: "fax", Seconds: 60}, `billing class "fax"`, ErrNoRate},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is an error", func(t *testing.T) {
			_, err := rt.Rate(tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
		})
	}
	t.Run("an access leg is free", func(t *testing.T) {
		q, err := rt.Rate(RateRequest{Class: ClassAccess, Seconds: 600})
		if err != nil {
			t.Fatal(err)
		}
		if !q.Free || !q.Charge.IsZero() {
			t.Errorf("access leg: %+v", q)
		}
	})
}

func TestRateCDRSkipsUnansweredLegsWithoutRate(t *testing.T) {
	rt := NewRater(SampleDeck(), nil)
	c, err := rt.RateCDR(&CDR{LegID: "l1", BillingClass: ClassPSTNOutbound, CallerID: usLocal, To: cnMobile})
	if err != nil || !c.Amount.IsZero() {
		t.Fatalf("unanswered leg to an unrated destination: %v %v", c, err)
	}
	_, err = rt.RateCDR(&CDR{LegID: "l2", BillingClass: ClassPSTNOutbound, CallerID: usLocal, To: cnMobile, BillableSecs: 5})
	if !errors.Is(err, ErrNoRate) || !strings.Contains(err.Error(), "rate leg l2") {
		t.Fatalf("answered leg to an unrated destination: %v", err)
	}
}

func TestOutboundRowsDifferingOnlyByTypeUseTheDestinationType(t *testing.T) {
	deck, err := ParseDeck(strings.NewReader(header+
		"outbound,US,61,local,0.03,USD\n"+
		"outbound,US,61,mobile,0.08,USD\n"+
		"outbound,US,44,local,0.02,USD\n"+
		"outbound,US,44,toll-free,0.01,USD\n"), "typed.csv")
	if err != nil {
		t.Fatal(err)
	}
	rt := NewRater(deck, nil)
	tests := []struct {
		name, to, rate string
	}{
		{"an Australian mobile takes the mobile row", auMobile, "0.08"},
		{"an Australian landline takes the local row", auLocal, "0.03"},
		{"a number of a type the deck lacks takes the dearest row", gbMobile, "0.02"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := rt.Rate(RateRequest{Class: ClassPSTNOutbound, CallerID: usLocal, To: tt.to, Seconds: 60})
			if err != nil {
				t.Fatal(err)
			}
			if !q.Rate.Equal(dec(tt.rate)) {
				t.Errorf("rate %s, want %s", q.Rate, tt.rate)
			}
		})
	}
}

func TestMaxDuration(t *testing.T) {
	perMinute := Rate{Kind: KindOutbound, Price: dec("0.014"), ConnectFee: decimal.Zero, Initial: 60, Increment: 60, Decimals: 2}
	withFee := Rate{Kind: KindOutbound, Price: dec("0.06"), ConnectFee: dec("0.05"), Initial: 30, Increment: 6, Decimals: 4}
	free := Rate{Kind: KindClient, Price: decimal.Zero, ConnectFee: decimal.Zero, Initial: 60, Increment: 60, Decimals: 2}
	tests := []struct {
		name   string
		rate   Rate
		amount string
		want   time.Duration
	}{
		{"an amount below the first minute pays nothing", perMinute, "0.01", 0},
		{"two cents pay the first minute", perMinute, "0.02", time.Minute},
		{"three cents pay two minutes since 0.028 rounds to 0.03", perMinute, "0.03", 2 * time.Minute},
		{"fractions of a cent in the amount do not count", perMinute, "0.0299", time.Minute},
		{"a zero amount pays nothing", perMinute, "0", 0},
		{"a negative amount pays nothing", perMinute, "-1", 0},
		{"a connect fee is paid first", withFee, "0.05", 0},
		{"the fee and 30 seconds", withFee, "0.08", 30 * time.Second},
		{"the fee and whole increments after the first", withFee, "0.0860", 36 * time.Second},
		{"a free rate is unlimited", free, "0", Unlimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaxDuration(&tt.rate, dec(tt.amount)); got != tt.want {
				t.Errorf("MaxDuration(%s) = %v, want %v", tt.amount, got, tt.want)
			}
		})
	}
}

// The longest duration an amount pays for costs at most the amount, and one
// more increment costs more.
func TestMaxDurationIsTight(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		r := Rate{
			Kind:       KindOutbound,
			Price:      decimal.New(rng.Int64N(100000), -int32(rng.IntN(5))),
			ConnectFee: decimal.New(rng.Int64N(100), -2),
			Initial:    1 + rng.IntN(60),
			Increment:  1 + rng.IntN(60),
			Decimals:   int32(rng.IntN(5)),
		}
		if r.Price.IsZero() {
			continue
		}
		amount := decimal.New(rng.Int64N(1000000), -3)
		c := compile(r)
		s := maxSeconds(c, amount)
		t.Run(fmt.Sprintf("case %d", i), func(t *testing.T) {
			if s > 0 {
				billed, _ := c.billedSeconds(s)
				if billed != s {
					t.Fatalf("max %d is not on an increment boundary", s)
				}
				if got := c.voiceCharge(s); got.GreaterThan(amount) {
					t.Fatalf("%+v: charge for %ds is %s > amount %s", r, s, got, amount)
				}
			}
			next := s + int64(r.Increment)
			if s == 0 {
				next = int64(r.Initial)
			}
			if next < MaxBilledSeconds {
				if got := c.voiceCharge(next); !got.GreaterThan(amount) {
					t.Fatalf("%+v: %ds also fits: charge %s <= amount %s", r, next, got, amount)
				}
			}
		})
	}
}

// The integer fast path and the exact decimal formula agree.
func TestVoiceChargeMatchesDecimalFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		r := Rate{
			Price:      decimal.New(rng.Int64N(10_000_000), -int32(rng.IntN(11))),
			ConnectFee: decimal.New(rng.Int64N(1000), -int32(rng.IntN(11))),
			Initial:    60, Increment: 60,
			Decimals: int32(rng.IntN(maxDecimals + 1)),
		}
		c := compile(r)
		billed := rng.Int64N(MaxBilledSeconds)
		want := r.ConnectFee.Add(decimal.NewFromInt(billed).Mul(r.Price).Div(decimal.NewFromInt(60))).RoundUp(r.Decimals)
		exact := ceilDiv(r.Price.Mul(decimal.NewFromInt(billed)).Add(r.ConnectFee.Mul(decimal.NewFromInt(60))), decimal.NewFromInt(60), r.Decimals)
		got := c.voiceCharge(billed)
		if !got.Equal(exact) {
			t.Fatalf("price %s fee %s billed %d decimals %d: got %s, exact %s", r.Price, r.ConnectFee, billed, r.Decimals, got, exact)
		}
		// decimal.Div rounds at 16 places; it can only differ when the exact
		// value has more, which the exact formula handles.
		if !got.Equal(want) && got.Sub(want).Abs().GreaterThan(decimal.New(1, -r.Decimals)) {
			t.Fatalf("fast path %s far from %s", got, want)
		}
	}
}

func BenchmarkRate(b *testing.B) {
	rt := NewRater(SampleDeck(), nil)
	reqs := []RateRequest{
		{Class: ClassPSTNOutbound, CallerID: usLocal, To: auLocal, Seconds: 70},
		{Class: ClassPSTNOutbound, CallerID: usLocal, To: gbMobile, Seconds: 320},
		{Class: ClassPSTNOutbound, CallerID: usLocal, To: "+14165550123", Seconds: 45},
		{Class: ClassPSTNInbound, From: gbLocal, PhoneNumber: usTollFree, Seconds: 600},
		{Class: ClassClient, From: "1001", To: "1002", Seconds: 30},
	}
	for _, r := range reqs {
		if _, err := rt.Rate(r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := rt.Rate(reqs[i%len(reqs)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "legs/s")
}

func FuzzDigits(f *testing.F) {
	for _, s := range []string{"+14155552671", "tel:+1 (415) 555-2671", "sip:+441234567890@carrier;user=phone", "1002", "+", "+12", "+1234567890123456"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := Digits(s)
		if !ok {
			if d != "" {
				t.Fatalf("%q: refused but returned %q", s, d)
			}
			return
		}
		if len(d) < 3 || len(d) > 15 || strings.Trim(d, "0123456789") != "" {
			t.Fatalf("%q: %q is not 3 to 15 digits", s, d)
		}
		if again, ok := Digits("+" + d); !ok || again != d {
			t.Fatalf("%q: normalizing +%s gave %q %v", s, d, again, ok)
		}
	})
}
