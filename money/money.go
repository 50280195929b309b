package money

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// minorUnits is the number of decimals of each ISO 4217 currency a
// prepaid account may be kept in. Currencies not listed are refused by
// the config, so an amount is never printed with a guessed precision.
var minorUnits = map[string]int32{
	// 0 decimals
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
	"RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	// 3 decimals
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	// 4 decimals
	"CLF": 4, "UYW": 4,
	// 2 decimals
	"AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2, "AUD": 2, "AWG": 2, "AZN": 2,
	"BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BMD": 2, "BND": 2, "BOB": 2, "BRL": 2, "BSD": 2, "BTN": 2,
	"BWP": 2, "BYN": 2, "BZD": 2, "CAD": 2, "CDF": 2, "CHF": 2, "CNY": 2, "COP": 2, "CRC": 2, "CUP": 2,
	"CVE": 2, "CZK": 2, "DKK": 2, "DOP": 2, "DZD": 2, "EGP": 2, "ERN": 2, "ETB": 2, "EUR": 2, "FJD": 2,
	"FKP": 2, "GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2, "GTQ": 2, "GYD": 2, "HKD": 2, "HNL": 2,
	"HTG": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "IRR": 2, "JMD": 2, "KES": 2, "KGS": 2, "KHR": 2,
	"KPW": 2, "KYD": 2, "KZT": 2, "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2, "LSL": 2, "MAD": 2, "MDL": 2,
	"MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2, "MUR": 2, "MVR": 2, "MWK": 2, "MXN": 2,
	"MYR": 2, "MZN": 2, "NAD": 2, "NGN": 2, "NIO": 2, "NOK": 2, "NPR": 2, "NZD": 2, "PAB": 2, "PEN": 2,
	"PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2, "QAR": 2, "RON": 2, "RSD": 2, "RUB": 2, "SAR": 2, "SBD": 2,
	"SCR": 2, "SDG": 2, "SEK": 2, "SGD": 2, "SHP": 2, "SLE": 2, "SOS": 2, "SRD": 2, "SSP": 2, "STN": 2,
	"SVC": 2, "SYP": 2, "SZL": 2, "THB": 2, "TJS": 2, "TMT": 2, "TOP": 2, "TRY": 2, "TTD": 2, "TWD": 2,
	"TZS": 2, "UAH": 2, "USD": 2, "UYU": 2, "UZS": 2, "VES": 2, "WST": 2, "XCD": 2, "YER": 2, "ZAR": 2,
	"ZMW": 2, "ZWL": 2,
}

// Decimals returns the number of decimals of an ISO 4217 currency, and
// false for a code that is not one.
func Decimals(currency string) (int32, bool) {
	d, ok := minorUnits[strings.ToUpper(currency)]
	return d, ok
}

// decimalsOrTwo is Decimals with the most common precision for a currency
// dialtone does not know (only reachable with a config built in code).
func decimalsOrTwo(currency string) int32 {
	if d, ok := Decimals(currency); ok {
		return d
	}
	return 2
}

// Format writes amount with its currency's decimals ("23.80", "0.00",
// "1500" for JPY), and with more only where the amount has them: a rate
// of 0.0035 USD stays "0.0035". It never rounds.
func Format(amount decimal.Decimal, currency string) string {
	return pad(amount.String(), decimalsOrTwo(currency))
}

// pad adds zeros to s (a decimal as decimal.String writes it: no trailing
// zeros after the point) up to places decimals. Every amount printed goes
// through here, every CDR written too: strings, not big-number arithmetic.
func pad(s string, places int32) string {
	have := int32(0)
	if dot := strings.IndexByte(s, '.'); dot >= 0 {
		have = int32(len(s) - dot - 1)
	}
	if have >= places {
		return s
	}
	if have == 0 {
		s += "."
	}
	return s + strings.Repeat("0", int(places-have))
}

// Places is the number of decimals amount needs to be written exactly
// (trailing zeros do not count): 0.0350 needs 3.
func Places(amount decimal.Decimal) int32 {
	s := amount.String()
	if dot := strings.IndexByte(s, '.'); dot >= 0 {
		return int32(len(s) - dot - 1)
	}
	return 0
}

// CheckAmount refuses an amount of money that a person cannot have meant
// for currency: not positive, more decimals than the currency has (0.001
// USD), or above max (when max is positive).
func CheckAmount(amount decimal.Decimal, currency string, max decimal.Decimal) error {
	if !amount.IsPositive() {
		return fmt.Errorf("amount %s is not positive", amount)
	}
	if places := Places(amount); places > decimalsOrTwo(currency) {
		return fmt.Errorf("amount %s has %d decimals; %s has %d", amount, places, currency, decimalsOrTwo(currency))
	}
	if max.IsPositive() && amount.GreaterThan(max) {
		return fmt.Errorf("amount %s is above the maximum of %s %s (billing.max_topup)", amount, Format(max, currency), currency)
	}
	return nil
}
