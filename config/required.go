package config

import (
	"fmt"
	"unicode/utf8"

	"github.com/dialtone/dialtone/money"
	"github.com/shopspring/decimal"
)

// validateRequired refuses a file that lacks what every switch needs. An
// empty or truncated file lacks them too, and must not start (or, on
// SIGHUP, replace) a switch that then refuses every call.
func (v *validator) validateRequired(c *Config) {
	if c.Organization.ID == "" {
		v.fail(`missing: the ledger, the CDRs and the metrics are kept under it (configs that left it out ran as "default"; write that to keep their data)`, "organization", "id")
	}
	if len(c.Users) == 0 {
		v.fail("at least one user is needed: without users no phone can register or call (is the file empty or cut short?)", "users")
	}
	if len(c.Trunks) == 0 {
		v.fail("at least one trunk is needed: without one no call reaches or leaves the public network (is the file empty or cut short?)", "trunks")
	}
}

// validateMoney checks the currency and the amounts written in it.
func (v *validator) validateMoney(c *Config) {
	cur := c.Organization.Currency
	if _, ok := money.Decimals(cur); !ok {
		v.fail(fmt.Sprintf("%q is not an ISO 4217 currency code", cur), "organization", "currency")
		return
	}
	for _, a := range []struct {
		field  string
		amount decimal.Decimal
	}{{"starting_balance", c.Organization.StartingBalance}, {"low_balance", c.Organization.LowBalance}} {
		if a.amount.IsNegative() {
			v.fail("must not be negative", "organization", a.field)
		} else if places, want := money.Places(a.amount), mustDecimals(cur); places > want {
			v.fail(fmt.Sprintf("%s has %d decimals; %s has %d", a.amount, places, cur, want), "organization", a.field)
		}
	}
	if err := money.CheckAmount(c.Billing.MaxTopUp, cur, decimal.Zero); err != nil {
		v.fail(err.Error(), "billing", "max_topup")
	}
}

func mustDecimals(currency string) int32 {
	d, _ := money.Decimals(currency)
	return d
}

// checkPassword refuses a SIP password under MinPasswordLength unless the
// user says weak_password: true, which is then a warning.
func (v *validator) checkPassword(u User, i int) {
	switch n := utf8.RuneCountInString(u.Password); {
	case n == 0:
		v.fail("missing", "users", i, "password")
	case n < MinPasswordLength && !u.WeakPassword:
		v.fail(fmt.Sprintf("shorter than %d characters (set weak_password: true on this user to accept it anyway)", MinPasswordLength), "users", i, "password")
	case n < MinPasswordLength:
		v.warn(fmt.Sprintf("shorter than %d characters, accepted because of weak_password: true", MinPasswordLength), "users", i, "password")
	}
}
