package billing

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/dialtone/dialtone/config"
)

const header = "kind,origin,prefix,number_type,price,currency,connect_fee,initial,increment,decimals\n"

func TestParseDeckErrorsNameTheRow(t *testing.T) {
	tests := []struct {
		name string
		csv  string
		want string
	}{
		{
			name: "a price that is not a number names row and field",
			csv: header +
				"outbound,US,1,,0.014,USD,0,60,60,2\n" +
				"outbound,US,44,,0.02,USD,0,60,60,2\n" +
				"outbound,US,61,,0.035,USD,0,60,60,2\n" +
				"outbound,US,33,,0.025,USD,0,60,60,2\n" +
				"# a comment line still counts as a line\n" +
				"outbound,US,49,,abc,USD,0,60,60,2\n",
			want: `deck.csv: row 7: price: "abc" is not a number`,
		},
		{
			name: "an unknown kind is refused",
			csv:  header + "voice,US,1,,0.014,USD,0,60,60,2\n",
			want: `deck.csv: row 2: kind: "voice" is not one of`,
		},
		{
			name: "an origin that is not a country code is refused",
			csv:  header + "outbound,USA,1,,0.014,USD,0,60,60,2\n",
			want: `deck.csv: row 2: origin: "USA" is not an ISO country code or ALL`,
		},
		{
			name: "a prefix with letters is refused",
			csv:  header + "outbound,US,1x,,0.014,USD,0,60,60,2\n",
			want: `deck.csv: row 2: prefix: "1x" is not up to 15 digits`,
		},
		{
			name: "an unknown number type is refused",
			csv:  header + "inbound,US,1,landline,0.014,USD,0,60,60,2\n",
			want: `deck.csv: row 2: number_type: "landline" is not one of local, mobile, toll-free`,
		},
		{
			name: "a negative price is refused",
			csv:  header + "outbound,US,1,,-0.014,USD,0,60,60,2\n",
			want: `deck.csv: row 2: price: "-0.014" is negative`,
		},
		{
			name: "a price in exponent notation is refused",
			csv:  header + "outbound,US,1,,1e3,USD,0,60,60,2\n",
			want: `deck.csv: row 2: price: "1e3" is not a number`,
		},
		{
			name: "a zero increment is taken as the default but a negative one is refused",
			csv:  header + "outbound,US,1,,0.014,USD,0,60,-6,2\n",
			want: `deck.csv: row 2: increment: -6 is not between 1 and 3600 seconds`,
		},
		{
			name: "too many decimals are refused",
			csv:  header + "outbound,US,1,,0.014,USD,0,60,60,9\n",
			want: `deck.csv: row 2: decimals: 9 is not between 0 and 6`,
		},
		{
			name: "a non-numeric increment is refused",
			csv:  header + "outbound,US,1,,0.014,USD,0,60,six,2\n",
			want: `deck.csv: row 2: increment: "six" is not a whole number`,
		},
		{
			name: "a duplicate key names both rows",
			csv:  header + "outbound,US,1,,0.014,USD\noutbound,us,1,,0.015,USD\n",
			want: `deck.csv: row 3: duplicates deck.csv: row 2`,
		},
		{
			name: "mixed currencies are refused",
			csv:  header + "outbound,US,1,,0.014,USD\noutbound,US,44,,0.015,EUR\n",
			want: `deck.csv: row 3: currency: EUR differs from the deck's USD`,
		},
		{
			name: "an unknown column is refused",
			csv:  "kind,origin,prefix,number_type,price,currency,colour\n",
			want: `deck.csv: row 1: header: unknown column "colour"`,
		},
		{
			name: "a missing required column is refused",
			csv:  "kind,origin,prefix,price,currency\n",
			want: `deck.csv: row 1: header: missing column "number_type"`,
		},
		{
			name: "an empty file has no header",
			csv:  "# nothing here\n",
			want: `deck.csv: no header row`,
		},
		{
			name: "a broken quote is a CSV error with its row",
			csv:  header + "outbound,US,\"1,,0.014,USD\n",
			want: `deck.csv: row 2:`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDeck(strings.NewReader(tt.csv), "deck.csv")
			if err == nil {
				t.Fatalf("ParseDeck succeeded, want error %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %q, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestParseDeckAppliesDefaults(t *testing.T) {
	d, err := ParseDeck(strings.NewReader(
		"# optional columns may be left out\n"+
			"price,kind,currency,origin,number_type,prefix\n"+
			"0.0140,outbound,usd,us,,+1\n"), "deck.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows := d.Rows()
	if len(rows) != 1 {
		t.Fatalf("got %d rows, want 1", len(rows))
	}
	r := rows[0]
	if r.Initial != 60 || r.Increment != 60 || r.Decimals != 2 || !r.ConnectFee.IsZero() {
		t.Errorf("defaults: initial %d increment %d decimals %d fee %s, want 60/60/2/0", r.Initial, r.Increment, r.Decimals, r.ConnectFee)
	}
	if r.Origin != "US" || r.Currency != "USD" || r.Prefix != "1" {
		t.Errorf("normalization: origin %q currency %q prefix %q", r.Origin, r.Currency, r.Prefix)
	}
}

func TestSampleDeckCoversTheSupportedCountries(t *testing.T) {
	d := SampleDeck()
	if !strings.Contains(sampleRates, "SAMPLE") {
		t.Error("the sample deck must say its prices are samples")
	}
	rt := NewRater(d, nil)
	countries := []string{"US", "CA", "GB", "AU", "DE", "FR", "IL", "ZA", "BE", "DK", "PR"}
	for _, c := range countries {
		t.Run(c+" has outbound, inbound and number rows", func(t *testing.T) {
			if _, err := rt.Lookup(KindNumber, c, "", Local); err != nil {
				t.Errorf("number rental: %v", err)
			}
			prices := map[NumberType]decimal.Decimal{}
			for _, r := range d.Rows() {
				if r.Kind == KindInbound && r.Origin == c {
					prices[r.NumberType] = r.Price
				}
			}
			if prices[Local].IsZero() || !prices[TollFree].GreaterThan(prices[Local]) {
				t.Errorf("inbound toll-free %s is not dearer than local %s", prices[TollFree], prices[Local])
			}
			if _, ok := rt.tables[tableKey{KindOutbound, c}]; !ok {
				t.Errorf("no same-country outbound rows for origin %s", c)
			}
		})
	}
	for _, c := range []string{"US", "CA", "GB", "AU", "BE", "DK", "FR", "IL", "PR", "ZA"} {
		for _, k := range []Kind{KindSMSOut, KindSMSIn} {
			if _, err := rt.Lookup(k, c, "", AnyType); err != nil {
				t.Errorf("%s %s: %v", k, c, err)
			}
		}
	}
	for _, c := range []string{"US", "CA"} {
		for _, k := range []Kind{KindMMSOut, KindMMSIn} {
			if _, err := rt.Lookup(k, c, "", AnyType); err != nil {
				t.Errorf("%s %s: %v", k, c, err)
			}
		}
	}
	if _, err := rt.Lookup(KindClient, OriginAll, "", AnyType); err != nil {
		t.Errorf("client rate: %v", err)
	}
}

func TestDeckForConfig(t *testing.T) {
	dir := t.TempDir()
	deckFile := filepath.Join(dir, "rates.csv")
	if err := os.WriteFile(deckFile, []byte(header+
		"outbound,US,1,,0.0100,USD\n"+
		"outbound,US,44,,0.0300,USD\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	two := 4
	tests := []struct {
		name    string
		billing config.Billing
		check   func(t *testing.T, d *Deck)
		wantErr string
	}{
		{
			name:    "an empty rate_deck uses the embedded sample",
			billing: config.Billing{},
			check: func(t *testing.T, d *Deck) {
				if d.Len() != SampleDeck().Len() {
					t.Errorf("got %d rows, want the sample's %d", d.Len(), SampleDeck().Len())
				}
			},
		},
		{
			name:    "a relative rate_deck resolves against the config file",
			billing: config.Billing{RateDeck: "rates.csv"},
			check: func(t *testing.T, d *Deck) {
				if d.Len() != 2 {
					t.Errorf("got %d rows, want 2", d.Len())
				}
			},
		},
		{
			name: "inline rows override file rows with the same key and add the others",
			billing: config.Billing{RateDeck: "rates.csv", Rates: []config.Rate{
				{Kind: "outbound", Origin: "US", Prefix: "44", Price: decimal.RequireFromString("0.0250")},
				{Kind: "client", Origin: "ALL", Price: decimal.RequireFromString("0.001"), Decimals: &two},
			}},
			check: func(t *testing.T, d *Deck) {
				rt := NewRater(d, nil)
				q, err := rt.Rate(RateRequest{Class: ClassPSTNOutbound, CallerID: "+14155552671", To: "+442071838750", Seconds: 60})
				if err != nil {
					t.Fatal(err)
				}
				if !q.Rate.Equal(decimal.RequireFromString("0.025")) || q.Currency != "USD" {
					t.Errorf("overridden rate %s %s, want 0.025 USD", q.Rate, q.Currency)
				}
				r, err := rt.Lookup(KindClient, OriginAll, "", AnyType)
				if err != nil {
					t.Fatal(err)
				}
				if r.Decimals != 4 {
					t.Errorf("client decimals %d, want 4", r.Decimals)
				}
			},
		},
		{
			name:    "an inline row in another currency is refused",
			billing: config.Billing{Rates: []config.Rate{{Kind: "client", Origin: "ALL", Price: decimal.NewFromInt(1), Currency: "EUR"}}},
			wantErr: "currency: EUR differs",
		},
		{
			name:    "an inline row with a bad kind names its index",
			billing: config.Billing{Rates: []config.Rate{{Kind: "fax", Origin: "ALL"}}},
			wantErr: `billing.rates[0]: kind: "fax"`,
		},
		{
			name:    "a missing deck file is an error",
			billing: config.Billing{RateDeck: "nope.csv"},
			wantErr: "load rate deck",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &config.Config{Billing: tt.billing, Path: filepath.Join(dir, "dialtone.yaml")}
			d, err := DeckForConfig(cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, d)
		})
	}
}

func TestWriteCSVRoundTrips(t *testing.T) {
	d := SampleDeck()
	var buf bytes.Buffer
	if err := d.WriteCSV(&buf, "round trip"); err != nil {
		t.Fatal(err)
	}
	back, err := ParseDeck(&buf, "back.csv")
	if err != nil {
		t.Fatal(err)
	}
	assertSameRows(t, d, back)
}

func assertSameRows(t *testing.T, a, b *Deck) {
	t.Helper()
	ar, br := a.Rows(), b.Rows()
	if len(ar) != len(br) {
		t.Fatalf("%d rows vs %d", len(ar), len(br))
	}
	for i := range ar {
		x, y := ar[i], br[i]
		if x.key() != y.key() || !x.Price.Equal(y.Price) || !x.ConnectFee.Equal(y.ConnectFee) ||
			x.Currency != y.Currency || x.Initial != y.Initial || x.Increment != y.Increment || x.Decimals != y.Decimals {
			t.Fatalf("row %d differs: %+v vs %+v", i, x, y)
		}
	}
}

func FuzzParseDeck(f *testing.F) {
	f.Add(strings.Join(strings.Split(sampleRates, "\n")[:16], "\n"))
	f.Add(header + "outbound,US,1,,0.014,USD,0,60,60,2\n")
	f.Add(header + "outbound,US,1,,0.014,USD,0.5,30,6,4\ninbound,ALL,,toll free,1,USD\n")
	f.Add("price,kind,currency,origin,number_type,prefix\n0.0140,outbound,usd,us,,+1\n")
	f.Add(header + "outbound,US,\"1\"\"\",,0.014,USD\n")
	f.Fuzz(func(t *testing.T, in string) {
		d, err := ParseDeck(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			if d != nil {
				t.Fatal("a deck returned with an error")
			}
			if !strings.HasPrefix(err.Error(), "fuzz.csv") && !errors.Is(err, ErrNoRate) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := d.WriteCSV(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := ParseDeck(&buf, "back.csv")
		if err != nil {
			t.Fatalf("written deck does not parse: %v\n%s", err, buf.String())
		}
		assertSameRows(t, d, back)
		// Whatever parsed must rate without panicking.
		rt := NewRater(d, nil)
		for _, r := range d.Rows() {
			if r.Kind.IsVoice() {
				c := compile(r)
				for _, s := range []int64{0, 1, 59, 60, 61, 3600, MaxBilledSeconds} {
					billed, _ := c.billedSeconds(s)
					if got := c.voiceCharge(billed); got.IsNegative() {
						t.Fatalf("negative charge %s", got)
					}
				}
			}
		}
		_, _ = rt.Rate(RateRequest{Class: ClassPSTNOutbound, CallerID: "+14155552671", To: "+61291234567", Seconds: 70})
	})
}
