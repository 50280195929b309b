// Package money formats and checks amounts of money the way a person reads
// them: with their currency's decimals (ISO 4217), "23.80" rather than
// "23.8". Every amount dialtone prints (JSON, CSV, the CLI) goes through
// Format, so the API, the exports and the commands cannot disagree.
//
// It does not compute with money: amounts are decimal.Decimal
// (shopspring/decimal) everywhere, and rating, rounding to the cent and
// the ledger are package billing's. It does not convert currencies either:
// an organization keeps its account in the one currency of its config (organization.currency).
//
// # Where it sits
//
// A leaf: it imports only shopspring/decimal. Package config checks the
// configured currency and amounts with it (Decimals, Places, CheckAmount),
// package billing formats CDR and ledger amounts and bounds top-ups with
// it, and cmd/dialtone prints balances and rates with it.
//
// # Concepts
//
//   - Decimals: the number of minor-unit decimals of an ISO 4217 code (2
//     for USD, 0 for JPY, 3 for KWD), and false for a code that is not
//     one. The config refuses a currency Decimals does not know, so an
//     amount is never printed with a guessed precision.
//   - Format: the amount padded with zeros to its currency's decimals, and
//     with more decimals only where the amount has them (a rate of 0.0035
//     USD stays "0.0035"). It never rounds: rounding is a billing rule, and
//     a formatter that rounded would hide a sub-cent amount.
//   - Places: the decimals an amount needs to be written exactly.
//   - CheckAmount: refuses an amount a person cannot have meant for the
//     currency: not positive, more decimals than the currency has (0.001
//     USD), or above a maximum (billing.max_topup for top-ups).
//
// # Why strings
//
// Format pads the string decimal.String writes instead of rescaling the
// decimal: every CDR written and every JSON amount goes
// through it, and string padding costs no big-number arithmetic.
//
// # Use
//
//	s := money.Format(balance, cfg.Organization.Currency) // "23.85"
//	if err := money.CheckAmount(topUp, currency, maxTopUp); err != nil {
//		// 400: the error says which rule the amount breaks
//	}
package money
