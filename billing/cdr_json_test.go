package billing

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// marshalCDR writes what encoding/json writes for every CDR: with no
// optional field, with every field set (so a field added to CDR and not
// to marshalCDR fails here), and with times and strings off the fast path.
func TestMarshalCDRIsEncodingJSON(t *testing.T) {
	answered := Millis(time.Date(2026, 12, 2, 6, 30, 1, 250e6, time.UTC))
	full := filledCDR(t)
	cases := map[string]CDR{
		"zero": {},
		"typical": {LegID: "0192f0c2-7a1e-7cde-8a00-0123456789ab", CallID: "c1", Direction: Outbound, Endpoint: EndpointTrunk,
			BillingClass: ClassPSTNOutbound, Reason: ReasonDirect, From: "+14155550100", To: "+14155550199", User: "1001",
			CreatedAt: answered.Add(-time.Second), AnsweredAt: &answered, EndedAt: answered.Add(200 * time.Millisecond),
			BillableSecs: 1, Disposition: Answered, SIPCode: 200,
			Charge: &Charge{Amount: decimal.RequireFromString("0.0123"), Currency: "USD", Units: 1, Rate: decimal.RequireFromString("0.0123")},
			Media:  &MediaStats{PacketsIn: 10, BytesIn: 1720, PacketsOut: 9, BytesOut: 1548}},
		"every field":    full,
		"escapes":        {From: "\"<a&b>\"\\\n\r\t\b\f\x01\x7f", To: "é\u2028\u2029\xff\xfe", RefuseReason: "it's <fine>"},
		"local time":     {CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))},
		"year past 9999": {EndedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"nanoseconds":    {EndedAt: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) { compareCDRJSON(t, &c) })
	}
}

// filledCDR sets every field of a CDR, nested ones included, to a value
// that is not its zero value.
func filledCDR(t *testing.T) CDR {
	t.Helper()
	var c CDR
	fill(t, reflect.ValueOf(&c).Elem())
	return c
}

func fill(t *testing.T, v reflect.Value) {
	switch {
	case v.Type() == reflect.TypeOf(time.Time{}):
		v.Set(reflect.ValueOf(time.Date(2026, 12, 2, 6, 0, 0, 5e6, time.UTC)))
	case v.Type() == reflect.TypeOf(decimal.Decimal{}):
		v.Set(reflect.ValueOf(decimal.RequireFromString("1.5")))
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			fill(t, v.Field(i))
		}
	case v.Kind() == reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem())
	case v.Kind() == reflect.String:
		v.SetString("x-" + v.Type().Name())
	case v.CanInt():
		v.SetInt(7)
	case v.CanUint():
		v.SetUint(8)
	case v.CanFloat():
		v.SetFloat(2.5)
	default:
		t.Fatalf("filledCDR: no value for a %s field: add one", v.Type())
	}
}

func compareCDRJSON(t *testing.T, c *CDR) {
	t.Helper()
	want, wantErr := json.Marshal(c)
	got, err := marshalCDR(c)
	if (err == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
		t.Fatalf("marshalCDR:\n%s (%v)\nencoding/json:\n%s (%v)", got, err, want, wantErr)
	}
}

func FuzzMarshalCDR(f *testing.F) {
	f.Add("1001", "+14155550199", "", int64(30), 200, int64(1764657000123))
	f.Add("\"<&>\u2028\xff", "\x00\x1f", "why\n", int64(-1), -5, int64(-62135596800000))
	f.Fuzz(func(t *testing.T, from, to, reason string, secs int64, code int, endedMillis int64) {
		ended := time.UnixMilli(endedMillis).UTC()
		compareCDRJSON(t, &CDR{LegID: to, From: from, To: to, RefuseReason: reason, CallerID: from,
			BillableSecs: secs, SIPCode: code, EndedAt: ended, AnsweredAt: &ended, Disposition: Disposition(reason)})
	})
}

func BenchmarkMarshalCDR(b *testing.B) {
	c := benchCDR(1, 1)
	c.Charge = &Charge{Amount: decimal.RequireFromString("0.0123"), Currency: "USD", Units: 1, Rate: decimal.RequireFromString("0.0123")}
	c.Media = &MediaStats{PacketsIn: 10, BytesIn: 1720}
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(&c)
		}
	})
	b.Run("marshalCDR", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = marshalCDR(&c)
		}
	})
}

// Charge.MarshalJSON writes what it wrote through encoding/json before it
// spelled the fields out itself.
func FuzzChargeJSON(f *testing.F) {
	f.Add(int64(123), int32(-4), "USD", int64(1), "1415", "US", "mobile")
	f.Add(int64(-5), int32(0), "JPY", int64(0), "", "", "")
	f.Add(int64(7), int32(-9), "\"<&>\u2028\xff", int64(-3), "\x00", "é", "\\")
	f.Fuzz(func(t *testing.T, coef int64, exp int32, currency string, units int64, prefix, country, kind string) {
		c := Charge{Amount: decimal.New(coef, exp%20), Currency: currency, Units: units, Rate: decimal.New(coef/3, exp%7),
			MatchedPrefix: prefix, OriginCountry: country, NumberType: kind}
		want, wantErr := json.Marshal(struct {
			Amount        amount `json:"amount"`
			Currency      string `json:"currency"`
			Units         int64  `json:"units"`
			Rate          amount `json:"rate"`
			MatchedPrefix string `json:"matched_prefix,omitempty"`
			OriginCountry string `json:"origin_country,omitempty"`
			NumberType    string `json:"number_type,omitempty"`
		}{amount{c.Amount, c.Currency}, c.Currency, c.Units, amount{c.Rate, c.Currency}, c.MatchedPrefix, c.OriginCountry, c.NumberType})
		got, err := json.Marshal(c)
		if (err == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("Charge JSON:\n%s (%v)\nwas:\n%s (%v)", got, err, want, wantErr)
		}
		compareCDRJSON(t, &CDR{Charge: &c})
	})
}
