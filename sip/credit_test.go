package sip

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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

func (m *sliceMeter) Authorize(context.Context, *billing.CDR) (time.Duration, error) {
	return m.slice, nil
}
func (m *sliceMeter) Answered(l *billing.CDR) { m.answered = append(m.answered, l.LegID) }
func (m *sliceMeter) Release(string)          {}
func (m *sliceMeter) Renew(_ context.Context, l *billing.CDR) (time.Duration, error) {
	m.renewals = append(m.renewals, l.LegID)
	g, ok := m.granted[l.LegID]
	if !ok {
		g = m.slice
	}
	if m.left == 0 {
		return g, fmt.Errorf("renew %s: %w", l.LegID, billing.ErrInsufficientCredit)
	}
	m.left--
	m.granted[l.LegID] = g + m.slice
	return g + m.slice, nil
}

var answeredAt = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func creditLeg(id string, answered time.Time, granted time.Duration) *leg {
	l := &leg{cdr: billing.CDR{LegID: id, AnsweredAt: &answered}}
	l.credit.grant(granted)
	return l
}

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
		legs   []*leg
		maxCal time.Duration
		ticks  []tick
	}{
		{
			name: "a leg renews when 80 % of its slice is used, not before",
			left: 10, maxCal: 4 * time.Hour,
			legs: []*leg{creditLeg("a", answeredAt, slice)},
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
			legs: []*leg{creditLeg("a", answeredAt, slice)},
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
			legs: []*leg{creditLeg("a", answeredAt, slice)},
			ticks: []tick{
				{now: 12 * time.Minute, renewals: 2, end: true, endAt: 10 * time.Minute},
			},
		},
		{
			name: "no renewal goes past max_call_duration, which ends the call",
			left: 10, maxCal: 7 * time.Minute,
			legs: []*leg{creditLeg("a", answeredAt, slice)},
			ticks: []tick{
				{now: 4 * time.Minute, renewals: 1, next: 7 * time.Minute},
				{now: 7 * time.Minute, renewals: 1, end: true, endAt: 7 * time.Minute},
			},
		},
		{
			name: "of two legs, the first whose renewal is refused ends the call",
			left: 1, maxCal: 4 * time.Hour,
			legs: []*leg{creditLeg("a", answeredAt, slice), creditLeg("b", at(time.Minute), slice)},
			ticks: []tick{
				{now: 0, next: 4 * time.Minute},
				{now: 4 * time.Minute, renewals: 1, next: 5 * time.Minute}, // a renewed to 10 min; b is due at 5
				{now: 5 * time.Minute, renewals: 2, next: 6 * time.Minute}, // b refused: it ends at 6
				{now: 6 * time.Minute, renewals: 2, end: true, endAt: 6 * time.Minute},
			},
		},
		{
			name: "a free leg and a leg not answered yet are not renewed",
			left: 10, maxCal: time.Hour,
			legs: []*leg{creditLeg("free", answeredAt, 0), {cdr: billing.CDR{LegID: "ringing"}, credit: legCredit{granted: slice, step: slice}}, nil},
			ticks: []tick{
				{now: 50 * time.Minute, next: time.Hour},
				{now: time.Hour, end: true, endAt: time.Hour},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &sliceMeter{slice: slice, left: tt.left, granted: map[string]time.Duration{}}
			cc := newCreditClock(m, slog.New(slog.NewTextHandler(io.Discard, nil)), answeredAt, tt.maxCal)
			defer cc.stop()
			for _, tk := range tt.ticks {
				endAt, end, next := cc.step(at(tk.now), tt.legs)
				if len(m.renewals) != tk.renewals || end != tk.end {
					t.Fatalf("at %v: %d renewals, end %v; want %d, %v", tk.now, len(m.renewals), end, tk.renewals, tk.end)
				}
				if end && !endAt.Equal(at(tk.endAt)) {
					t.Fatalf("at %v: ends at %v, want %v", tk.now, endAt.Sub(answeredAt), tk.endAt)
				}
				if !end && !next.Equal(at(tk.next)) {
					t.Fatalf("at %v: next look at %v, want %v", tk.now, next.Sub(answeredAt), tk.next)
				}
			}
			seen := map[string]int{}
			for _, id := range m.answered {
				seen[id]++
			}
			for _, l := range tt.legs {
				if l != nil && l.credit.granted > 0 && l.cdr.AnsweredAt != nil && seen[l.cdr.LegID] != 1 {
					t.Errorf("meter told of leg %s's answer %d times, want once", l.cdr.LegID, seen[l.cdr.LegID])
				}
			}
		})
	}
}

// A party that hangs up a moment after its grant ran out, before the
// cut-off timer fired, is billed to the end of the grant, not past what
// its leg holds.
func TestALegIsNotBilledPastARefusedGrant(t *testing.T) {
	tests := []struct {
		name     string
		credit   legCredit
		endedAt  time.Duration // since the answer
		billable int64
	}{
		{name: "refused, ended after the grant", credit: legCredit{granted: 5 * time.Minute, refused: true}, endedAt: 5*time.Minute + 300*time.Millisecond, billable: 300},
		{name: "refused, ended within the grant", credit: legCredit{granted: 5 * time.Minute, refused: true}, endedAt: 4 * time.Minute, billable: 240},
		{name: "renewing, ended after the grant (a late timer renews it)", credit: legCredit{granted: 5 * time.Minute}, endedAt: 5*time.Minute + 300*time.Millisecond, billable: 301},
		{name: "a free leg", credit: legCredit{}, endedAt: 9 * time.Hour, billable: 9 * 3600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := creditLeg("a", answeredAt, 0)
			l.credit = tt.credit
			l.endAt(answeredAt.Add(tt.endedAt), billing.Answered, 200)
			if l.cdr.BillableSecs != tt.billable {
				t.Errorf("billable %d s, want %d", l.cdr.BillableSecs, tt.billable)
			}
		})
	}
}
