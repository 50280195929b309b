package billing

import (
	"fmt"
	"strings"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/phone"
)

// NumberInfo is what rating needs to know about a phone number.
type NumberInfo struct {
	Digits  string     // E.164 without '+'
	Country string     // ISO code; "" when unknown
	Type    NumberType // AnyType when unknown
}

// Digits normalizes a phone number to E.164 digits without '+'. It accepts
// "+15551234567", "tel:+1 555-123-4567" and "sip:+15551234567@host"; it
// refuses anything without a leading '+' (an extension is not a number).
func Digits(s string) (string, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "tel:")
	s = strings.TrimPrefix(s, "sip:")
	if i := strings.IndexAny(s, "@;"); i >= 0 {
		s = s[:i]
	}
	if !strings.HasPrefix(s, "+") {
		return "", false
	}
	s = s[1:]
	clean := true
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			clean = false
			break
		}
	}
	if clean {
		if len(s) < 3 || len(s) > 15 {
			return "", false
		}
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return "", false
		}
	}
	if b.Len() < 3 || b.Len() > 15 {
		return "", false
	}
	return b.String(), true
}

// Classifier finds a number's country and type (package phone, which
// caches libphonenumber's answers for the rating hot path); the org's own
// numbers can be pinned with the country and type the config gives them.
type Classifier struct {
	pinned map[string]NumberInfo
}

// NewClassifier pins the config's numbers (their country and type, where
// set, win over libphonenumber's guess).
func NewClassifier(numbers []config.Number) *Classifier {
	c := &Classifier{pinned: make(map[string]NumberInfo, len(numbers))}
	for _, n := range numbers {
		d, ok := Digits(n.Number)
		if !ok {
			continue
		}
		info := lookupNumber(d)
		if n.Country != "" {
			info.Country = strings.ToUpper(n.Country)
		}
		if n.Type != "" {
			if t, err := ParseNumberType(n.Type); err == nil {
				info.Type = t
			}
		}
		c.pinned[d] = info
	}
	return c
}

var defaultClassifier = NewClassifier(nil)

// Classify returns the number's country and type.
func (c *Classifier) Classify(number string) (NumberInfo, error) {
	d, ok := Digits(number)
	if !ok {
		return NumberInfo{}, fmt.Errorf("%q is not an E.164 number", number)
	}
	return c.classifyDigits(d), nil
}

func (c *Classifier) classifyDigits(d string) NumberInfo {
	if info, ok := c.pinned[d]; ok {
		return info
	}
	return lookupNumber(d)
}

func lookupNumber(d string) NumberInfo {
	p := phone.Lookup("+" + d)
	info := NumberInfo{Digits: d, Country: p.Country}
	if info.Country == "" {
		// An unassigned range still belongs to its country code's main
		// country, which is what carriers rate it as.
		info.Country = p.CallingCountry
	}
	switch p.Type {
	case phone.Local, phone.Mobile, phone.TollFree:
		info.Type = NumberType(p.Type)
	}
	return info
}
