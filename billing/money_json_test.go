package billing

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestAmountsPrintWithTheCurrencysDecimals(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want []string // substrings of the JSON
	}{
		{"a balance", BalanceInfo{Balance: dec("23.8"), Available: dec("23.8"), Currency: "USD"},
			[]string{`"balance":"23.80"`, `"reserved":"0.00"`, `"available":"23.80"`, `"low_balance_threshold":"0.00"`}},
		{"a balance in yen", BalanceInfo{Balance: dec("1500"), Currency: "JPY"}, []string{`"balance":"1500"`}},
		{"a charge keeps the rate's decimals", CDR{Charge: &Charge{Amount: dec("0.1"), Currency: "USD", Units: 2, Rate: dec("0.0035")}},
			[]string{`"amount":"0.10"`, `"rate":"0.0035"`, `"units":2`}},
		{"a quote", Quote{Charge: dec("1"), Rate: dec("0.5"), ConnectFee: dec("0"), Minutes: dec("2"), Currency: "EUR"},
			[]string{`"charge":"1.00"`, `"rate":"0.50"`, `"connect_fee":"0.00"`, `"minutes":"2"`}},
		{"a top-up", TopUpResult{Amount: dec("25"), Balance: dec("0"), Currency: "GBP"}, []string{`"amount":"25.00"`, `"balance":"0.00"`}},
		{"a usage row", UsageRow{Calls: dec("0.5"), currency: "USD"}, []string{`"calls":"0.50"`, `"total":"0.00"`, `"topups":"0.00"`}},
		{"a listed posting", Posting{Amount: dec("-0.5"), Balance: dec("10"), currency: "USD"}, []string{`"amount":"-0.50"`, `"balance":"10.00"`}},
		{"a stored posting keeps its exact form", Posting{Amount: dec("-0.5"), Balance: dec("10")}, []string{`"amount":"-0.5"`, `"balance":"10"`}},
		{"a listed rental", Rental{LastCharge: dec("1.1"), currency: "USD"}, []string{`"last_charge":"1.10"`}},
		{"a verify report", VerifyReport{Balances: map[string]decimal.Decimal{"acme": dec("23.8")}, Differences: []Difference{{Account: "acme", Stored: dec("1")}}, currency: "USD"},
			[]string{`"balances":{"acme":"23.80"}`, `"stored":"1.00"`, `"computed":"0.00"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("%s not in %s", w, b)
				}
			}
		})
	}
}

func TestAmountsKeepTheirKeysOrder(t *testing.T) {
	b, err := json.Marshal(BalanceInfo{Account: "acme", Balance: dec("23.8"), Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"organization":"acme","balance":"23.80","reserved":"0.00","available":"0.00","currency":"USD","low_balance_threshold":"0.00","low":false}`
	if string(b) != want {
		t.Fatalf("%s\nwant\n%s", b, want)
	}
}

func TestBalanceReportKeepsItsLegs(t *testing.T) {
	until := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	r := BalanceReport{
		BalanceInfo: BalanceInfo{Account: "o", Balance: decimal.RequireFromString("4.2"), Reserved: decimal.RequireFromString("0.18"),
			Available: decimal.RequireFromString("4.02"), Currency: "USD"},
		ReservedBy: []ReservedLeg{{CallID: "c", LegID: "l", Destination: "+61291234567", Amount: decimal.RequireFromString("0.2"),
			GrantedSeconds: 300, GrantedUntil: &until}},
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"balance":"4.20"`, `"reserved":"0.18"`, `"reserved_by":[{"call_id":"c"`, `"amount":"0.20"`, `"granted_seconds":300`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
}
