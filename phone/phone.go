package phone

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Info is what libphonenumber knows about a number.
type Info struct {
	E164  string // canonical "+CC..." form; "" when the text does not parse
	Valid bool   // the number is in an assigned range
	// Country is the ISO code of the number's country; "" when unknown.
	Country string
	// CallingCountry is the main country of the number's calling code,
	// which carriers rate an unassigned range as; "" when unknown.
	CallingCountry string
	Type           Type
}

// parsed is one cached parse: its Info or why it failed.
type parsed struct {
	info Info
	err  error
}

var parses = newCache(cacheSize)

// parse reads text as a number of country ("" for E.164 text), once while
// the cache holds it.
func parse(text, country string) parsed {
	k := cacheKey{text, country}
	if p, ok := parses.get(k); ok {
		return p
	}
	p := parseUncached(text, country)
	parses.put(k, p)
	return p
}

func parseUncached(text, country string) parsed {
	n, err := phonenumbers.Parse(text, country)
	if err != nil {
		return parsed{err: err}
	}
	info := Info{
		E164:  phonenumbers.Format(n, phonenumbers.E164),
		Valid: phonenumbers.IsValidNumber(n),
		Type:  typeOf(phonenumbers.GetNumberType(n)),
	}
	if r := phonenumbers.GetRegionCodeForNumber(n); r != phonenumbers.UNKNOWN_REGION {
		info.Country = r
	}
	if r := phonenumbers.GetRegionCodeForCountryCode(int(n.GetCountryCode())); r != phonenumbers.UNKNOWN_REGION {
		info.CallingCountry = r
	}
	return parsed{info: info}
}

// Lookup tells what a number in E.164 is; the zero Info when it does not
// parse.
func Lookup(e164 string) Info { return parse(e164, "").info }

// Country is the ISO code of an E.164 number's country; "" when unknown.
func Country(e164 string) string { return Lookup(e164).Country }

// IsPremium reports whether an E.164 number is premium-rate or shared
// cost, which only roles with calls.premium may dial.
func IsPremium(e164 string) bool { return Lookup(e164).Type.IsPremium() }

// Normalize returns number in canonical E.164 form. A number starting
// with '+' is read as E.164; anything else as a national number of
// defaultCountry (an ISO code), and refused when there is none. The
// number must be in an assigned range.
func Normalize(number, defaultCountry string) (string, error) {
	s := strings.TrimSpace(number)
	if strings.HasPrefix(s, "+") {
		p := parse(s, "")
		if p.err != nil {
			return "", fmt.Errorf("%q is not E.164: %v", s, p.err)
		}
		if !p.info.Valid {
			return "", fmt.Errorf("%q is not a valid phone number", s)
		}
		return p.info.E164, nil
	}
	if defaultCountry == "" {
		return "", fmt.Errorf("%q is not E.164 (must start with +)", s)
	}
	p := parse(s, defaultCountry)
	if p.err != nil {
		return "", fmt.Errorf("%q is not a %s number: %v", s, defaultCountry, p.err)
	}
	if !p.info.Valid {
		return "", fmt.Errorf("%q is not a valid %s number", s, defaultCountry)
	}
	return p.info.E164, nil
}

// Dialed turns what a phone dialed into an E.164 number when it looks like
// one: "+14155550100", "14155550100" (NANP with its country code),
// "0014155550100" or "011442071838750" (international prefixes), or a
// national number of defaultCountry (the caller's country) of seven digits
// or more. Extensions and names are not numbers.
func Dialed(dialed, defaultCountry string) (string, bool) {
	s := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' || r == '(' || r == ')' || r == '.' {
			return -1
		}
		return r
	}, dialed)
	switch {
	case strings.HasPrefix(s, "+"):
	case strings.HasPrefix(s, "00"):
		s = "+" + s[2:]
	case strings.HasPrefix(s, "011"):
		s = "+" + s[3:]
	case len(s) == 11 && strings.HasPrefix(s, "1"):
		s = "+" + s
	case len(s) >= 7 && defaultCountry != "":
	default:
		return "", false
	}
	e, err := Normalize(s, defaultCountry)
	return e, err == nil
}

// TimeZones are the IANA names of the zones libphonenumber places an
// E.164 number in; none when it does not know.
func TimeZones(e164 string) []string {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return nil
	}
	names, err := phonenumbers.GetTimezonesForNumber(n)
	if err != nil {
		return nil
	}
	var out []string
	for _, name := range names {
		if name != "Etc/Unknown" {
			out = append(out, name)
		}
	}
	return out
}

// CallingCode is a country's calling code ("US" → "1", "GB" → "44"), or
// "" for a code libphonenumber does not know.
func CallingCode(iso string) string {
	if cc := phonenumbers.GetCountryCodeForRegion(strings.ToUpper(iso)); cc > 0 {
		return strconv.Itoa(cc)
	}
	return ""
}

// MainCountry is the main country of a calling code (1 → "US", 44 →
// "GB"), or "" when the code is unknown or not a country's (+800, +882:
// libphonenumber's "001").
func MainCountry(callingCode int) string {
	r := phonenumbers.GetRegionCodeForCountryCode(callingCode)
	if r == phonenumbers.UNKNOWN_REGION || r == "001" {
		return ""
	}
	return r
}
