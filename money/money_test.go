package money

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestFormatPrintsTheCurrencysDecimals(t *testing.T) {
	tests := []struct {
		amount, currency, want string
	}{
		{"23.8", "USD", "23.80"},
		{"0", "USD", "0.00"},
		{"25", "USD", "25.00"},
		{"10", "EUR", "10.00"},
		{"-0.5", "GBP", "-0.50"},
		{"1500", "JPY", "1500"},
		{"1.5", "KWD", "1.500"},
		{"0.0035", "USD", "0.0035"}, // a rate keeps its own decimals
		{"0.0350", "USD", "0.035"},
		{"12.3400", "USD", "12.34"},
		{"1.25", "JPY", "1.25"}, // never rounded away
		{"7", "usd", "7.00"},
		{"7", "", "7.00"},
	}
	for _, tt := range tests {
		t.Run(tt.amount+" "+tt.currency, func(t *testing.T) {
			if got := Format(decimal.RequireFromString(tt.amount), tt.currency); got != tt.want {
				t.Errorf("Format(%s, %s) = %q, want %q", tt.amount, tt.currency, got, tt.want)
			}
		})
	}
}

func TestCheckAmount(t *testing.T) {
	max := decimal.NewFromInt(10000)
	tests := []struct {
		amount, currency, err string
	}{
		{"10.00", "USD", ""},
		{"10000", "USD", ""},
		{"0.01", "USD", ""},
		{"500", "JPY", ""},
		{"0.001", "USD", "amount 0.001 has 3 decimals; USD has 2"},
		{"1e-10", "USD", "amount 0.0000000001 has 10 decimals; USD has 2"},
		{"1e30", "USD", "amount 1000000000000000000000000000000 is above the maximum of 10000.00 USD (billing.max_topup)"},
		{"10000.01", "USD", "above the maximum"},
		{"0.5", "JPY", "amount 0.5 has 1 decimals; JPY has 0"},
		{"0", "USD", "amount 0 is not positive"},
		{"-5", "USD", "amount -5 is not positive"},
	}
	for _, tt := range tests {
		t.Run(tt.amount+" "+tt.currency, func(t *testing.T) {
			err := CheckAmount(decimal.RequireFromString(tt.amount), tt.currency, max)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want %q", err, tt.err)
			}
		})
	}
}
