// Package phone reads phone numbers: it turns what a user wrote or a phone
// dialed into E.164 (Normalize, Dialed) and says which country a number
// is in, what type it is (local, mobile, toll-free, premium...) and which
// time zones it may ring in (Lookup, Country, IsPremium, TimeZones).
//
// It is the only package that calls libphonenumber
// (github.com/nyaruka/phonenumbers) to parse a number, so the config
// loader, routing, rating, the dialer and texts cannot disagree about
// what a number is.
//
// # Concepts
//
//   - Normalize(number, defaultCountry): a number starting with '+' is
//     read as E.164; anything else as a national number of defaultCountry
//     (an ISO code such as "US"), and refused without one. The result is
//     the canonical "+CC..." form, or an error that names the number.
//   - Dialed(dialed, defaultCountry): what a phone's keypad sends. It
//     drops separators and reads the international prefixes "00" and
//     "011" and an 11-digit NANP number ("14155550100") before handing
//     over to Normalize; extensions and names are not numbers.
//   - Info (Lookup): a number's canonical form, validity, country (and the
//     main country of its calling code, which is how carriers rate an
//     unassigned range) and Type.
//
// # Performance
//
// libphonenumber costs tens of microseconds a number, which on the dial
// path was some 5% of a call's CPU at load, and routing, permissions and
// rating each read the same dialed number. Every parse therefore goes
// through a bounded, concurrency-safe cache (cache.go) keyed by the text
// and the default country: a number is parsed once while it is in use.
// BenchmarkLookup and BenchmarkLookupUncached measure the difference.
package phone
