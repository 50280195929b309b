package phone

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, number, country, want, err string
	}{
		{"E.164 as written", "+14155550100", "", "+14155550100", ""},
		{"E.164 with separators", " +1 (415) 555-0100 ", "", "+14155550100", ""},
		{"E.164 ignores the default country", "+442071838750", "US", "+442071838750", ""},
		{"national number of the default country", "02071838750", "GB", "+442071838750", ""},
		{"NANP national number", "(415) 555-0100", "US", "+14155550100", ""},
		{"no + and no country", "4155550100", "", "", `"4155550100" is not E.164 (must start with +)`},
		{"unassigned range", "+1555", "", "", `"+1555" is not a valid phone number`},
		{"not a number", "+abc", "", "", `"+abc" is not E.164`},
		{"invalid national number", "123", "GB", "", `"123" is not a valid GB number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.number, tt.country)
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
					t.Fatalf("Normalize(%q, %q) = %q, %v; want error %q", tt.number, tt.country, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Normalize(%q, %q) = %q, %v; want %q", tt.number, tt.country, got, err, tt.want)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"+14155550100", "02071838750", "+1 (415) 555-0100", "1002", "+", "+800 1234 5678"} {
		f.Add(s, "US")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, number, country string) {
		got, err := Normalize(number, country)
		if err != nil {
			return
		}
		if len(got) < 3 || got[0] != '+' {
			t.Fatalf("Normalize(%q, %q) = %q: not E.164", number, country, got)
		}
		// The canonical form is a fixed point, whatever the country.
		if again, err := Normalize(got, ""); err != nil || again != got {
			t.Fatalf("Normalize(%q) = %q, %v: the canonical form %q does not normalize to itself", number, again, err, got)
		}
	})
}

func TestDialed(t *testing.T) {
	tests := []struct {
		dialed, country, want string
		ok                    bool
	}{
		{"+14155550100", "", "+14155550100", true},
		{"14155550100", "", "+14155550100", true},
		{"0014155550100", "", "+14155550100", true},
		{"011442071838750", "US", "+442071838750", true},
		{"(415) 555-0100", "US", "+14155550100", true},
		{"02071838750", "GB", "+442071838750", true},
		{"1002", "US", "", false},
		{"+1", "", "", false},
		{"alice", "US", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.dialed, func(t *testing.T) {
			got, ok := Dialed(tt.dialed, tt.country)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("Dialed(%q, %q) = %q, %v; want %q, %v", tt.dialed, tt.country, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzDialed(f *testing.F) {
	for _, s := range []string{"+14155550100", "0014155550100", "(415) 555-0100", "1002", "+"} {
		f.Add(s, "US")
	}
	f.Fuzz(func(t *testing.T, dialed, country string) {
		got, ok := Dialed(dialed, country)
		if ok && (len(got) < 3 || got[0] != '+') {
			t.Fatalf("Dialed(%q) = %q: not E.164", dialed, got)
		}
	})
}

func TestLookup(t *testing.T) {
	tests := []struct {
		number         string
		country, cc    string
		typ            Type
		plan           Type
		premium, valid bool
	}{
		{"+14155550100", "US", "US", Local, Local, false, true},
		{"+447400123456", "GB", "GB", Mobile, Mobile, false, true},
		{"+18005550100", "US", "US", TollFree, TollFree, false, true},
		{"+19005550100", "US", "US", Premium, Local, true, true},
		{"+33810123456", "FR", "FR", SharedCost, Local, true, true},
		{"+1555", "", "US", Unknown, Local, false, false},
		{"not a number", "", "", Unknown, Local, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.number, func(t *testing.T) {
			i := Lookup(tt.number)
			if i.Country != tt.country || i.CallingCountry != tt.cc || i.Type != tt.typ || i.Valid != tt.valid {
				t.Fatalf("Lookup(%q) = %+v; want country %q, calling country %q, type %q, valid %v", tt.number, i, tt.country, tt.cc, tt.typ, tt.valid)
			}
			if got := i.Type.Plan(); got != tt.plan {
				t.Fatalf("Plan of %q = %q, want %q", tt.typ, got, tt.plan)
			}
			if IsPremium(tt.number) != tt.premium {
				t.Fatalf("IsPremium(%q) = %v, want %v", tt.number, !tt.premium, tt.premium)
			}
			if Country(tt.number) != tt.country {
				t.Fatalf("Country(%q) = %q, want %q", tt.number, Country(tt.number), tt.country)
			}
		})
	}
}

func TestTimeZones(t *testing.T) {
	if zs := TimeZones("+442071838750"); len(zs) != 1 || zs[0] != "Europe/London" {
		t.Fatalf("TimeZones of a London number = %v", zs)
	}
	if zs := TimeZones("+18885551234"); len(zs) < 2 {
		t.Fatalf("TimeZones of a US toll-free number = %v, want the country's zones", zs)
	}
	if zs := TimeZones("garbage"); zs != nil {
		t.Fatalf("TimeZones of garbage = %v", zs)
	}
}

func TestCacheIsBounded(t *testing.T) {
	c := newCache(10)
	for i := range 1000 {
		c.put(cacheKey{text: fmt.Sprint(i)}, parsed{})
		if n := c.len(); n > 10 {
			t.Fatalf("after %d numbers the cache holds %d, want at most 10", i+1, n)
		}
	}
	c.put(cacheKey{text: strings.Repeat("1", maxKeyLen+1)}, parsed{})
	if _, ok := c.get(cacheKey{text: strings.Repeat("1", maxKeyLen+1)}); ok {
		t.Fatal("text longer than any number was cached")
	}
}

func TestCacheKeepsNumbersInUse(t *testing.T) {
	c := newCache(10)
	hot := cacheKey{text: "+14155550100"}
	c.put(hot, parsed{info: Info{E164: hot.text}})
	for i := range 1000 {
		c.put(cacheKey{text: fmt.Sprint(i)}, parsed{})
		if p, ok := c.get(hot); !ok || p.info.E164 != hot.text {
			t.Fatalf("a number read between every insertion was evicted after %d others", i+1)
		}
	}
}

func TestCacheKeysByCountry(t *testing.T) {
	// The same digits are different numbers in different countries.
	us, err1 := Normalize("2071838750", "US")
	gb, err2 := Normalize("2071838750", "GB")
	if err2 != nil || gb != "+442071838750" || (err1 == nil && us == gb) {
		t.Fatalf("Normalize(2071838750) = US %q %v, GB %q %v", us, err1, gb, err2)
	}
}

func TestConcurrentNormalize(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				n := fmt.Sprintf("+1415555%04d", (i*7+g)%1000)
				if _, err := Normalize(n, ""); err != nil {
					t.Errorf("Normalize(%q): %v", n, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkLookup is a dialed number's classification as the dial path
// does it: from the cache once the number has been seen.
func BenchmarkLookup(b *testing.B) {
	Lookup("+14155550100")
	b.ReportAllocs()
	for b.Loop() {
		Lookup("+14155550100")
	}
}

// BenchmarkLookupUncached is the same classification by libphonenumber,
// as every caller did it before the cache.
func BenchmarkLookupUncached(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		parseUncached("+14155550100", "")
	}
}
