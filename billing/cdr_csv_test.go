package billing

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// filled returns a CDR with every field set, so that no omitempty field is
// left out of its JSON.
func filled(t *testing.T) *CDR {
	t.Helper()
	c := &CDR{}
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		switch {
		case v.Type() == reflect.TypeFor[time.Time]():
			v.Set(reflect.ValueOf(time.Date(2026, 3, 1, 10, 0, 0, 250e6, time.UTC)))
		case v.Type() == reflect.TypeFor[decimal.Decimal]():
			v.Set(reflect.ValueOf(decimal.RequireFromString("0.5")))
		case v.Kind() == reflect.Pointer:
			v.Set(reflect.New(v.Type().Elem()))
			fill(v.Elem())
		case v.Kind() == reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					fill(v.Field(i))
				}
			}
		case v.Kind() == reflect.String:
			v.SetString("USD")
		case v.CanInt():
			v.SetInt(7)
		case v.CanUint():
			v.SetUint(7)
		case v.CanFloat():
			v.SetFloat(1.5)
		default:
			t.Fatalf("fill: a CDR field of kind %s", v.Kind())
		}
	}
	fill(reflect.ValueOf(c).Elem())
	return c
}

// jsonKeys lists the keys of a JSON object, nested ones with dots.
func jsonKeys(prefix string, m map[string]any) []string {
	var keys []string
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			keys = append(keys, jsonKeys(prefix+k+".", sub)...)
			continue
		}
		keys = append(keys, prefix+k)
	}
	sort.Strings(keys)
	return keys
}

func TestEveryJSONFieldIsACSVColumn(t *testing.T) {
	b, err := json.Marshal(filled(t))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	keys := jsonKeys("", m)
	for _, k := range keys {
		if !slices.Contains(CSVHeader, k) {
			t.Errorf("JSON field %q has no CSV column (header %v)", k, CSVHeader)
		}
	}
	if len(keys) != len(CSVHeader) {
		t.Errorf("%d JSON fields, %d CSV columns", len(keys), len(CSVHeader))
	}
	for _, want := range []string{"refuse_reason", "charge.units", "charge.rate", "media.packets_in", "media.dropped", "recording.path", "campaign_id", "lead_id", "attempt_id"} {
		if !slices.Contains(CSVHeader, want) {
			t.Errorf("no %q column", want)
		}
	}
}

func TestCSVRowsMatchTheJSONForm(t *testing.T) {
	answered := time.Date(2026, 3, 1, 10, 0, 1, 0, time.UTC)
	legs := []*CDR{
		{LegID: "l1", CallID: "c1", Direction: Outbound, Endpoint: EndpointTrunk, BillingClass: ClassPSTNOutbound, Reason: ReasonDirect,
			From: "+14155550100", To: "+61291234567", CreatedAt: answered, AnsweredAt: &answered, EndedAt: answered.Add(70 * time.Second),
			BillableSecs: 70, Disposition: Answered, SIPCode: 200,
			Charge: &Charge{Amount: decimal.RequireFromString("0.1"), Currency: "USD", Units: 2, Rate: decimal.RequireFromString("0.0035")},
			Media:  &MediaStats{PacketsIn: 3500, BytesIn: 602000, PacketsOut: 3499, BytesOut: 601828, Dropped: 1}},
		{LegID: "l2", CallID: "c2", Direction: Inbound, Endpoint: EndpointPhone, BillingClass: ClassClient, Reason: ReasonDirect,
			CreatedAt: answered, EndedAt: answered, Disposition: Refused, SIPCode: 403, RefuseReason: "calls.international not granted"},
	}
	var out bytes.Buffer
	w, _ := NewCDRWriter(&out, "csv")
	for _, c := range legs {
		if err := w.Write(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := func(row int, name string) string { return rows[row][slices.Index(rows[0], name)] }
	for _, tt := range []struct {
		row        int
		name, want string
	}{
		{1, "leg_id", "l1"}, {1, "answered_at", "2026-03-01T10:00:01.000Z"}, {1, "billable_seconds", "70"},
		{1, "charge.amount", "0.10"}, {1, "charge.rate", "0.0035"}, {1, "charge.units", "2"}, {1, "charge.currency", "USD"},
		{1, "media.packets_in", "3500"}, {1, "media.dropped", "1"}, {1, "refuse_reason", ""}, {1, "recording.path", ""},
		{2, "refuse_reason", "calls.international not granted"}, {2, "answered_at", ""}, {2, "charge.amount", ""}, {2, "media.packets_in", ""},
		{2, "sip_code", "403"}, {2, "disposition", "refused"},
	} {
		if got := col(tt.row, tt.name); got != tt.want {
			t.Errorf("row %d %s = %q, want %q", tt.row, tt.name, got, tt.want)
		}
	}
	if rows[0][17] != "disposition" {
		t.Errorf("column 17 is %q: the leading columns keep their places", rows[0][17])
	}
}
