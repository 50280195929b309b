package billing

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nyaruka/phonenumbers"

	"github.com/dialtone/dialtone/config"
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

// classifierCap bounds the cache: numbers rated are mostly the org's own
// numbers and caller IDs, but destinations of outbound calls are unbounded.
const classifierCap = 100_000

// Classifier finds a number's country and type. libphonenumber is far too
// slow for the rating hot path, so results are cached; the org's own
// numbers can be pinned with the country and type the config gives them.
type Classifier struct {
	pinned map[string]NumberInfo
	cache  sync.Map // digits -> NumberInfo
	size   atomic.Int64
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
	if v, ok := c.cache.Load(d); ok {
		return v.(NumberInfo)
	}
	info := lookupNumber(d)
	if c.size.Load() < classifierCap {
		if _, loaded := c.cache.LoadOrStore(d, info); !loaded {
			c.size.Add(1)
		}
	}
	return info
}

func lookupNumber(d string) NumberInfo {
	info := NumberInfo{Digits: d}
	num, err := phonenumbers.Parse("+"+d, "")
	if err != nil {
		return info
	}
	if region := phonenumbers.GetRegionCodeForNumber(num); region != "" && region != phonenumbers.UNKNOWN_REGION {
		info.Country = region
	} else if region := phonenumbers.GetRegionCodeForCountryCode(int(num.GetCountryCode())); region != phonenumbers.UNKNOWN_REGION {
		// An unassigned range still belongs to its country code's main
		// country, which is what carriers rate it as.
		info.Country = region
	}
	switch phonenumbers.GetNumberType(num) {
	case phonenumbers.FIXED_LINE, phonenumbers.FIXED_LINE_OR_MOBILE, phonenumbers.VOIP:
		info.Type = Local
	case phonenumbers.MOBILE:
		info.Type = Mobile
	case phonenumbers.TOLL_FREE:
		info.Type = TollFree
	}
	return info
}
