package calls

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dialtone/dialtone/billing"
)

// sliceMeter grants slices of a fixed length while it has slices left
// (per leg id), and records what the clock asked.
type sliceMeter struct {
	slice    time.Duration
	left     int // slices the balance still pays, for all legs
	granted  map[string]time.Duration
	renewals []string
	answered []string
}

func (m *sliceMeter) Answered(legID string, _ time.Time) { m.answered = append(m.answered, legID) }
func (m *sliceMeter) Renew(_ context.Context, legID string) (time.Duration, error) {
	m.renewals = append(m.renewals, legID)
	g, ok := m.granted[legID]
	if !ok {
		g = m.slice
	}
	if m.left == 0 {
		return g, fmt.Errorf("renew %s: %w", legID, billing.ErrInsufficientCredit)
	}
	m.left--
	m.granted[legID] = g + m.slice
	return g + m.slice, nil
}

var answeredAt = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func creditLeg(id string, answered time.Time, granted time.Duration) CreditLeg {
	l := CreditLeg{ID: id, Answered: &answered, Credit: &LegCredit{}}
	l.Credit.Grant(granted)
	return l
}

// fakeNow is a clock the test sets.
type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time { return f.t }

func TestCreditClock(t *testing.T) {
	const slice = 5 * time.Minute
	at := func(d time.Duration) time.Time { return answeredAt.Add(d) }
	type tick struct {
		now      time.Duration // since the call's answer
		renewals int           // renewals asked so far
		end      bool
		endAt    time.Duration
		next     time.Duration // when it wants to look again (if not ending)
	}
	tests := []struct {
		name   string
		left   int // slices the balance pays after the first
		legs   []CreditLeg
		maxCal time.Duration
		ticks  []tick
	}{
		{
			name: "a leg renews when 80 % of its slice is used, not before",
			left: 10, maxCal: 4 * time.Hour,
			legs: []CreditLeg{creditLeg("a", answeredAt, slice)},
			ticks: []tick{
				{now: 0, next: 4 * time.Minute},
				{now: 3*time.Minute + 59*time.Second, next: 4 * time.Minute},
				{now: 4 * time.Minute, renewals: 1, next: 9 * time.Minute},
				{now: 9 * time.Minute, renewals: 2, next: 14 * time.Minute},
			},
		},
		{
			name: "a refused renewal ends the call at the end of its granted time, not at the refusal",
			left: 1, maxCal: 4 * time.Hour,
			legs: []CreditLeg{creditLeg("a", answeredAt, slice)},
			ticks: []tick{
				{now: 4 * time.Minute, renewals: 1, next: 9 * time.Minute},
				{now: 9 * time.Minute, renewals: 2, next: 10 * time.Minute},
				{now: 9*time.Minute + 30*time.Second, renewals: 2, next: 10 * time.Minute},
				{now: 10*time.Minute + 200*time.Millisecond, renewals: 2, end: true, endAt: 10 * time.Minute},
			},
		},
		{
			name: "a late timer renews everything that is due at once, and ends at the grant if refused",
			left: 1, maxCal: 4 * time.Hour,
			legs: []CreditLeg{creditLeg("a", answeredAt, slice)},
			ticks: []tick{
				{now: 12 * time.Minute, renewals: 2, end: true, endAt: 10 * time.Minute},
			},
		},
		{
			name: "no renewal goes past max_call_duration, which ends the call",
			left: 10, maxCal: 7 * time.Minute,
			legs: []CreditLeg{creditLeg("a", answeredAt, slice)},
			ticks: []tick{
				{now: 4 * time.Minute, renewals: 1, next: 7 * time.Minute},
				{now: 7 * time.Minute, renewals: 1, end: true, endAt: 7 * time.Minute},
			},
		},
		{
			name: "of two legs, the first whose renewal is refused ends the call",
			left: 1, maxCal: 4 * time.Hour,
			legs: []CreditLeg{creditLeg("a", answeredAt, slice), creditLeg("b", at(time.Minute), slice)},
			ticks: []tick{
				{now: 0, next: 4 * time.Minute},
				{now: 4 * time.Minute, renewals: 1, next: 5 * time.Minute}, // a renewed to 10 min; b is due at 5
				{now: 5 * time.Minute, renewals: 2, next: 6 * time.Minute}, // b refused: it ends at 6
				{now: 6 * time.Minute, renewals: 2, end: true, endAt: 6 * time.Minute},
			},
		},
		{
			name: "a free leg, a leg not answered yet and a leg without credit are not renewed",
			left: 10, maxCal: time.Hour,
			legs: []CreditLeg{
				creditLeg("free", answeredAt, 0),
				{ID: "ringing", Credit: &LegCredit{granted: slice, step: slice}},
				{ID: "none", Answered: &answeredAt},
			},
			ticks: []tick{
				{now: 50 * time.Minute, next: time.Hour},
				{now: time.Hour, end: true, endAt: time.Hour},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &sliceMeter{slice: slice, left: tt.left, granted: map[string]time.Duration{}}
			clock := &fakeNow{}
			cc := NewCreditClock(m, nil, answeredAt, tt.maxCal)
			cc.now = clock.now // the test reads Next instead of waiting for C
			defer cc.Stop()
			for _, tk := range tt.ticks {
				clock.t = at(tk.now)
				endAt, end := cc.Check(tt.legs)
				if len(m.renewals) != tk.renewals || end != tk.end {
					t.Fatalf("at %v: %d renewals, end %v; want %d, %v", tk.now, len(m.renewals), end, tk.renewals, tk.end)
				}
				if end && !endAt.Equal(at(tk.endAt)) {
					t.Fatalf("at %v: ends at %v, want %v", tk.now, endAt.Sub(answeredAt), tk.endAt)
				}
				if !end && !cc.Next().Equal(at(tk.next)) {
					t.Fatalf("at %v: next look at %v, want %v", tk.now, cc.Next().Sub(answeredAt), tk.next)
				}
			}
			seen := map[string]int{}
			for _, id := range m.answered {
				seen[id]++
			}
			for _, l := range tt.legs {
				if l.Credit != nil && l.Credit.granted > 0 && l.Answered != nil && seen[l.ID] != 1 {
					t.Errorf("meter told of leg %s's answer %d times, want once", l.ID, seen[l.ID])
				}
			}
		})
	}
}

// Without a meter only the cap ends the call.
func TestCreditClockWithoutAMeterEndsAtTheCap(t *testing.T) {
	clock := &fakeNow{t: answeredAt.Add(59 * time.Minute)}
	cc := NewCreditClock(nil, nil, answeredAt, time.Hour)
	cc.now = clock.now
	defer cc.Stop()
	legs := []CreditLeg{creditLeg("a", answeredAt, time.Minute)}
	if _, end := cc.Check(legs); end || !cc.Next().Equal(answeredAt.Add(time.Hour)) {
		t.Fatalf("end %v, next %v; want the cap", end, cc.Next())
	}
	clock.t = answeredAt.Add(time.Hour)
	if endAt, end := cc.Check(legs); !end || !endAt.Equal(answeredAt.Add(time.Hour)) {
		t.Fatalf("end %v at %v; want the cap", end, endAt)
	}
}

// A party that hangs up a moment after its grant ran out, before the
// cut-off timer fired, is billed to the end of the grant, not past what
// its leg holds.
func TestALegIsNotBilledPastARefusedGrant(t *testing.T) {
	tests := []struct {
		name     string
		credit   LegCredit
		endedAt  time.Duration // since the answer
		billable int64
	}{
		{name: "refused, ended after the grant", credit: LegCredit{granted: 5 * time.Minute, refused: true}, endedAt: 5*time.Minute + 300*time.Millisecond, billable: 300},
		{name: "refused, ended within the grant", credit: LegCredit{granted: 5 * time.Minute, refused: true}, endedAt: 4 * time.Minute, billable: 240},
		{name: "renewing, ended after the grant (a late timer renews it)", credit: LegCredit{granted: 5 * time.Minute}, endedAt: 5*time.Minute + 300*time.Millisecond, billable: 301},
		{name: "a free leg", credit: LegCredit{}, endedAt: 9 * time.Hour, billable: 9 * 3600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answered := answeredAt
			ended := billing.Millis(tt.credit.BilledUntil(&answered, answeredAt.Add(tt.endedAt)))
			if got := billing.BillableSeconds(&answered, ended); got != tt.billable {
				t.Errorf("billable %d s, want %d", got, tt.billable)
			}
		})
	}
}
