package pacing

import (
	"fmt"
	"sync"
	"time"
)

// Window is the period the abandon rate is measured over.
type Window string

const (
	// Window30Days is a rolling 30 days (US: the FTC's Telemarketing Sales
	// Rule measures per campaign over 30 days), kept in hourly buckets.
	Window30Days Window = "30d"
	// WindowCalendarDay is the current calendar day in the campaign's time
	// zone (UK: Ofcom's persistent-misuse policy, per 24 hours).
	WindowCalendarDay Window = "1d"
)

// ParseWindow accepts the config's abandon_window values.
func ParseWindow(s string) (Window, error) {
	switch Window(s) {
	case Window30Days, WindowCalendarDay:
		return Window(s), nil
	case "":
		return Window30Days, nil
	}
	return "", fmt.Errorf("abandon window %q: want 30d or 1d", s)
}

// LedgerBucket counts the persons who answered in [Start, next bucket) and
// how many of them were abandoned.
type LedgerBucket struct {
	Start     time.Time `json:"start"`
	Humans    int       `json:"humans"`
	Abandoned int       `json:"abandoned"`
}

// LedgerState is an AbandonLedger's serializable form: the dialer persists it
// (JSON) with the campaign so the rate survives restarts.
type LedgerState struct {
	Window  Window         `json:"window"`
	Buckets []LedgerBucket `json:"buckets"`
}

// AbandonLedger is a campaign's windowed counts of persons who answered and
// of abandons. The dialer records every person's answer (in every pacing
// mode: power answers count in the denominator too) and every abandon,
// both at the answer's time; the predictive pacer reads it. Safe for
// concurrent use.
type AbandonLedger struct {
	mu      sync.Mutex
	window  Window
	loc     *time.Location
	buckets []LedgerBucket // oldest first
}

// NewAbandonLedger returns an empty ledger; loc is the campaign's time zone,
// which places the calendar day's midnight (nil: UTC).
func NewAbandonLedger(w Window, loc *time.Location) (*AbandonLedger, error) {
	return RestoreAbandonLedger(LedgerState{Window: w}, loc)
}

// RestoreAbandonLedger rebuilds a ledger from a persisted state.
func RestoreAbandonLedger(st LedgerState, loc *time.Location) (*AbandonLedger, error) {
	w, err := ParseWindow(string(st.Window))
	if err != nil {
		return nil, err
	}
	if loc == nil {
		loc = time.UTC
	}
	l := &AbandonLedger{window: w, loc: loc}
	for _, b := range st.Buckets {
		if b.Humans < 0 || b.Abandoned < 0 || b.Abandoned > b.Humans {
			return nil, fmt.Errorf("abandon ledger bucket %s: %d abandoned of %d humans", b.Start.Format(time.RFC3339), b.Abandoned, b.Humans)
		}
		l.add(b.Start, b.Humans, b.Abandoned)
	}
	return l, nil
}

// Window reports the ledger's window.
func (l *AbandonLedger) Window() Window { return l.window }

// RecordHuman counts a person who answered at `at`.
func (l *AbandonLedger) RecordHuman(at time.Time) { l.record(at, 1, 0) }

// RecordAbandon counts an abandon of the person who answered at `at` (the
// answer was recorded with RecordHuman).
func (l *AbandonLedger) RecordAbandon(at time.Time) { l.record(at, 0, 1) }

func (l *AbandonLedger) record(at time.Time, humans, abandoned int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.add(at, humans, abandoned)
	l.prune(at)
}

// Counts returns the persons answered and the abandons within the window
// that ends at now.
func (l *AbandonLedger) Counts(now time.Time) (humans, abandoned int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	from := l.windowStart(now)
	for _, b := range l.buckets {
		if !b.Start.Before(from) && !b.Start.After(now) {
			humans += b.Humans
			abandoned += b.Abandoned
		}
	}
	return humans, abandoned
}

// Rate is abandoned ÷ answered by a person over the window ending at now (0
// when nobody answered).
func (l *AbandonLedger) Rate(now time.Time) float64 {
	h, a := l.Counts(now)
	if h == 0 {
		return 0
	}
	return float64(a) / float64(h)
}

// State returns the ledger's serializable form, without the buckets that
// have left the window at now.
func (l *AbandonLedger) State(now time.Time) LedgerState {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prune(now)
	return LedgerState{Window: l.window, Buckets: append([]LedgerBucket(nil), l.buckets...)}
}

// bucketStart is the start of the bucket holding t: the hour (UTC) for the
// rolling window, the local midnight for the calendar day.
func (l *AbandonLedger) bucketStart(t time.Time) time.Time {
	if l.window == WindowCalendarDay {
		y, m, d := t.In(l.loc).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, l.loc)
	}
	return t.UTC().Truncate(time.Hour)
}

// windowStart is the first bucket start inside the window ending at now: the
// rolling window is 30 days to the hour (the current hour and the 719 before).
func (l *AbandonLedger) windowStart(now time.Time) time.Time {
	cur := l.bucketStart(now)
	if l.window == WindowCalendarDay {
		return cur
	}
	return cur.Add(-30*24*time.Hour + time.Hour)
}

func (l *AbandonLedger) add(at time.Time, humans, abandoned int) {
	start := l.bucketStart(at)
	// Events arrive in time order, nearly always into the newest bucket.
	for i := len(l.buckets) - 1; i >= 0; i-- {
		b := &l.buckets[i]
		if b.Start.Equal(start) {
			b.Humans += humans
			b.Abandoned += abandoned
			return
		}
		if b.Start.Before(start) {
			l.insert(i+1, LedgerBucket{Start: start, Humans: humans, Abandoned: abandoned})
			return
		}
	}
	l.insert(0, LedgerBucket{Start: start, Humans: humans, Abandoned: abandoned})
}

func (l *AbandonLedger) insert(i int, b LedgerBucket) {
	l.buckets = append(l.buckets, LedgerBucket{})
	copy(l.buckets[i+1:], l.buckets[i:])
	l.buckets[i] = b
}

func (l *AbandonLedger) prune(now time.Time) {
	from := l.windowStart(now)
	n := 0
	for n < len(l.buckets) && l.buckets[n].Start.Before(from) {
		n++
	}
	l.buckets = l.buckets[n:]
}
