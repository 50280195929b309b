package billing

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/config"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestRenewalDates(t *testing.T) {
	tests := []struct {
		name   string
		rented string
		want   []string
	}{
		{"a number rented on January 2 renews on the 1st", "2025-01-02", []string{"2025-02-01", "2025-03-01", "2025-04-01"}},
		{"a number rented on the 1st renews on the last day of each month", "2025-03-01", []string{"2025-03-31", "2025-04-30", "2025-05-31", "2025-06-30"}},
		{"a number rented on January 1 renews at the end of January, then February", "2025-01-01", []string{"2025-01-31", "2025-02-28", "2025-03-31"}},
		{"rented on the 1st of a leap February, it renews on the 29th", "2024-02-01", []string{"2024-02-29", "2024-03-31"}},
		{"rented on the 31st, it renews on the 30th or the last day of a short month", "2025-01-31", []string{"2025-02-28", "2025-03-30", "2025-04-30", "2025-05-30"}},
		{"rented on January 31 of a leap year, it renews on February 29", "2024-01-31", []string{"2024-02-29", "2024-03-30"}},
		{"rented on the 30th, it renews on the 29th and February's last day", "2025-01-30", []string{"2025-02-28", "2025-03-29", "2025-04-29"}},
		{"rented on the 29th, it renews on the 28th every month", "2025-01-29", []string{"2025-02-28", "2025-03-28"}},
		{"rented on a leap day, it renews on the 28th", "2024-02-29", []string{"2024-03-28", "2024-04-28", "2024-05-28"}},
		{"rented on March 31, the anchor does not drift after April", "2025-03-31", []string{"2025-04-30", "2025-05-30", "2025-06-30", "2025-07-30"}},
		{"renewals cross the year", "2025-12-15", []string{"2026-01-14", "2026-02-14"}},
		{"rented on December 1, it renews on December 31", "2025-12-01", []string{"2025-12-31", "2026-01-31"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RenewalDates(date(tt.rented), len(tt.want))
			if len(got) != len(tt.want) {
				t.Fatalf("%d renewals, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				if g := got[i].Format(time.DateOnly); g != w {
					t.Errorf("renewal %d = %s, want %s", i+1, g, w)
				}
			}
		})
	}
	t.Run("a leap-day rental renews on February 28 a year later", func(t *testing.T) {
		if got := RenewalDates(date("2024-02-29"), 12)[11].Format(time.DateOnly); got != "2025-02-28" {
			t.Errorf("12th renewal %s", got)
		}
	})
	t.Run("zero renewals is an empty list", func(t *testing.T) {
		if got := RenewalDates(date("2024-02-29"), 0); len(got) != 0 {
			t.Errorf("got %v", got)
		}
	})
}

// Every rental day of two years renews once a month, on the day before the
// rental day or the month's last day.
func TestRenewalDatesProperties(t *testing.T) {
	for d := date("2024-01-01"); d.Before(date("2026-01-01")); d = d.AddDate(0, 0, 1) {
		got := RenewalDates(d, 24)
		prev := d
		for k, r := range got {
			if !r.After(prev) {
				t.Fatalf("rented %s: renewal %d (%s) not after %s", d.Format(time.DateOnly), k+1, r.Format(time.DateOnly), prev.Format(time.DateOnly))
			}
			last := time.Date(r.Year(), r.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
			want := d.Day() - 1
			if d.Day() == 1 {
				want = last
			}
			if r.Day() != min(want, last) {
				t.Fatalf("rented %s: renewal %d on day %d, want %d", d.Format(time.DateOnly), k+1, r.Day(), min(want, last))
			}
			if gap := r.Sub(prev); k > 0 && (gap < 27*24*time.Hour || gap > 32*24*time.Hour) {
				t.Fatalf("rented %s: %v between renewals", d.Format(time.DateOnly), gap)
			}
			prev = r
		}
		if cp := currentPeriod(d, got[10]); cp != 11 {
			t.Fatalf("rented %s: current period on renewal 11 is %d", d.Format(time.DateOnly), cp)
		}
		if cp := currentPeriod(d, got[10].AddDate(0, 0, -1)); cp != 10 {
			t.Fatalf("rented %s: current period the day before renewal 11 is %d", d.Format(time.DateOnly), cp)
		}
	}
}

type rentalHarness struct {
	t   *testing.T
	m   *Meter
	now time.Time
}

func newRentalHarness(t *testing.T, balance string, start string) *rentalHarness {
	h := &rentalHarness{t: t, now: date(start).Add(9 * time.Hour)}
	cfg := testConfig(balance)
	cfg.Organization.LowBalance = dec("0")
	cfg.Numbers = nil
	h.m = newTestMeter(t, nil, cfg, WithClock(func() time.Time { return h.now }))
	return h
}

func (h *rentalHarness) sync(numbers ...config.Number) {
	h.t.Helper()
	if err := h.m.Rentals().SyncNumbers(context.Background(), numbers, h.now); err != nil {
		h.t.Fatal(err)
	}
}

func (h *rentalHarness) at(day string) {
	h.t.Helper()
	h.now = date(day).Add(9 * time.Hour)
	if err := h.m.Rentals().Charge(context.Background(), h.now); err != nil {
		h.t.Fatal(err)
	}
}

// charges lists the rental posting ids, in order.
func (h *rentalHarness) charges() []string {
	h.t.Helper()
	ps, err := h.m.Ledger().Postings(time.Time{}, time.Time{}, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, p := range ps {
		if p.Kind == PostNumber {
			out = append(out, p.ID+"="+p.Amount.Neg().String())
		}
	}
	return out
}

func (h *rentalHarness) rental(number string) Rental {
	h.t.Helper()
	rs, err := h.m.Rentals().List()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, r := range rs {
		if r.Number == number {
			return r
		}
	}
	h.t.Fatalf("no rental for %s", number)
	return Rental{}
}

func (h *rentalHarness) wantCharges(want ...string) {
	h.t.Helper()
	got := h.charges()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		h.t.Errorf("rental charges:\n got %v\nwant %v", got, want)
	}
}

var (
	usNum = config.Number{Number: orgNumber, Type: "local", User: "1001"}
	tfNum = config.Number{Number: usTollFree, Type: "toll-free", Group: "sales"}
)

func TestRentalsChargeOnAddAndRenewOnSchedule(t *testing.T) {
	h := newRentalHarness(t, "20", "2025-01-02")
	h.sync(usNum, tfNum)
	h.wantCharges("rental:+14155550100:2025-01-02=1.15", "rental:+18005550100:2025-01-02=2.15")
	r := h.rental(orgNumber)
	if r.Status != RentalActive || r.NextDue != "2025-02-01" || r.PaidThrough != "2025-01-31" {
		t.Errorf("rental %+v", r)
	}

	h.at("2025-01-31")
	h.wantCharges("rental:+14155550100:2025-01-02=1.15", "rental:+18005550100:2025-01-02=2.15")

	h.at("2025-02-01")
	h.at("2025-02-01") // a second tick the same day charges nothing more
	h.sync(usNum, tfNum)
	h.wantCharges(
		"rental:+14155550100:2025-01-02=1.15", "rental:+18005550100:2025-01-02=2.15",
		"rental:+14155550100:2025-02-01=1.15", "rental:+18005550100:2025-02-01=2.15")
	assertBalance(t, h.m, "13.40")
}

func TestRentalsChargeRenewalsMissedWhileDown(t *testing.T) {
	h := newRentalHarness(t, "20", "2025-03-01")
	h.sync(usNum)
	h.at("2025-06-15") // the switch was down since March
	h.wantCharges(
		"rental:+14155550100:2025-03-01=1.15", "rental:+14155550100:2025-03-31=1.15",
		"rental:+14155550100:2025-04-30=1.15", "rental:+14155550100:2025-05-31=1.15")
	if r := h.rental(orgNumber); r.NextDue != "2025-06-30" {
		t.Errorf("next due %s, want 2025-06-30", r.NextDue)
	}
}

func TestRentalsOfARemovedNumber(t *testing.T) {
	t.Run("a removed number is not renewed", func(t *testing.T) {
		h := newRentalHarness(t, "20", "2025-01-02")
		h.sync(usNum)
		h.now = date("2025-01-20")
		h.sync()
		h.at("2025-03-05")
		h.wantCharges("rental:+14155550100:2025-01-02=1.15")
		if r := h.rental(orgNumber); r.Status != RentalReleased {
			t.Errorf("status %s after the grace period, want released", r.Status)
		}
	})
	t.Run("a number restored within its paid period is not charged again", func(t *testing.T) {
		h := newRentalHarness(t, "20", "2025-01-02")
		h.sync(usNum)
		h.now = date("2025-01-20")
		h.sync()
		if r := h.rental(orgNumber); r.Status != RentalRemoved {
			t.Errorf("status %s, want removed", r.Status)
		}
		h.now = date("2025-01-25")
		h.sync(usNum)
		h.wantCharges("rental:+14155550100:2025-01-02=1.15")
		if r := h.rental(orgNumber); r.Status != RentalActive || r.Rented != "2025-01-02" {
			t.Errorf("restored rental %+v", r)
		}
	})
	t.Run("a number restored within grace pays the renewal it missed, not a new rental", func(t *testing.T) {
		h := newRentalHarness(t, "20", "2025-01-02")
		h.sync(usNum)
		h.now = date("2025-01-20")
		h.sync()
		h.at("2025-02-01")
		h.wantCharges("rental:+14155550100:2025-01-02=1.15")
		h.now = date("2025-02-10")
		h.sync(usNum)
		h.wantCharges("rental:+14155550100:2025-01-02=1.15", "rental:+14155550100:2025-02-01=1.15")
	})
	t.Run("a number re-added after the grace period is a new rental", func(t *testing.T) {
		h := newRentalHarness(t, "20", "2025-01-02")
		h.sync(usNum)
		h.now = date("2025-01-20")
		h.sync()
		h.now = date("2025-02-25") // 36 days later
		h.sync(usNum)
		h.wantCharges("rental:+14155550100:2025-01-02=1.15", "rental:+14155550100:2025-02-25=1.15")
		if r := h.rental(orgNumber); r.Rented != "2025-02-25" || r.NextDue != "2025-03-24" {
			t.Errorf("new rental %+v", r)
		}
	})
}

func TestRentalsThatCannotBePaidAreFlaggedAndRetried(t *testing.T) {
	h := newRentalHarness(t, "3.00", "2025-01-02")
	h.sync(usNum, tfNum) // 1.15 + 2.15 > 3.00: the second cannot be paid
	unpaid := 0
	rs, _ := h.m.Rentals().List()
	for _, r := range rs {
		if r.Status == RentalUnpaid {
			unpaid++
			if !strings.Contains(r.Problem, "cannot pay") {
				t.Errorf("problem %q", r.Problem)
			}
		}
	}
	if unpaid != 1 || len(h.charges()) != 1 {
		t.Fatalf("%d unpaid, charges %v", unpaid, h.charges())
	}
	h.at("2025-01-03")
	if len(h.charges()) != 1 {
		t.Fatalf("charged without credit: %v", h.charges())
	}
	if _, _, err := h.m.Ledger().TopUp(context.Background(), "t1", dec("10"), ""); err != nil {
		t.Fatal(err)
	}
	h.at("2025-01-04")
	if len(h.charges()) != 2 {
		t.Fatalf("retry did not charge: %v", h.charges())
	}
	for _, r := range []string{orgNumber, usTollFree} {
		if got := h.rental(r); got.Status != RentalActive || got.Problem != "" {
			t.Errorf("%s after top-up: %+v", r, got)
		}
	}
	assertVerified(t, h.m)
}

func TestRentalsFirstSeenWithAPastRentalDay(t *testing.T) {
	h := newRentalHarness(t, "20", "2025-06-10")
	n := usNum
	n.Rented = "2025-01-02"
	h.sync(n)
	// Charged for the period it is in, not for the months before.
	h.wantCharges("rental:+14155550100:2025-06-01=1.15")
	if r := h.rental(orgNumber); r.NextDue != "2025-07-01" || r.Rented != "2025-01-02" {
		t.Errorf("rental %+v", r)
	}
}

func TestRentalPricesComeFromTheDeckByCountryAndType(t *testing.T) {
	tests := []struct {
		number config.Number
		price  string
	}{
		{config.Number{Number: orgNumber}, "1.15"},
		{config.Number{Number: usTollFree}, "2.15"},
		{config.Number{Number: gbLocal}, "1.15"},
		{config.Number{Number: auMobile}, "6.50"},
		{config.Number{Number: "+611800123456", Type: "toll-free"}, "16.00"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s rents for %s a month", tt.number.Number, tt.price), func(t *testing.T) {
			h := newRentalHarness(t, "100", "2025-01-02")
			h.sync(tt.number)
			h.wantCharges(fmt.Sprintf("rental:%s:2025-01-02=%s", tt.number.Number, dec(tt.price)))
		})
	}
}

func TestRunRentalsChargesAtStartAndStopsWithItsContext(t *testing.T) {
	h := newRentalHarness(t, "20", "2025-01-02")
	h.sync(usNum)
	h.now = date("2025-02-01").Add(time.Hour) // the renewal is due
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		h.m.Rentals().Run(ctx)
		close(done)
	}()
	// The first pass runs at once; wait for it, however long it takes.
	for len(h.charges()) < 2 {
		runtime.Gosched()
	}
	cancel()
	<-done
	h.wantCharges("rental:+14155550100:2025-01-02=1.15", "rental:+14155550100:2025-02-01=1.15")
}
