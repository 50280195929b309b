package billing

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.etcd.io/bbolt"
)

// callLogDB is a CDR store holding cdrs, written as the store writes them.
func callLogDB(tb testing.TB, cdrs []*CDR) *bbolt.DB {
	tb.Helper()
	db, err := bbolt.Open(filepath.Join(tb.TempDir(), "cdrs.db"), 0o600, &bbolt.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	s, err := OpenCDRStore(db, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	s.Close()
	batch := make([]writeReq, 0, len(cdrs))
	for _, c := range cdrs {
		batch = append(batch, writeReq{cdr: *c, ended: true})
	}
	for len(batch) > 0 {
		n := min(len(batch), 10000)
		if _, err := (&CDRStore{db: db}).commit(batch[:n]); err != nil {
			tb.Fatal(err)
		}
		batch = batch[n:]
	}
	return db
}

var logT0 = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// twoLegCall is a user's call out through the trunk: the access leg (the
// first), and the trunk leg that ends childLag after it.
func twoLegCall(i int, user, to string, at time.Time, childLag time.Duration, disp Disposition) []*CDR {
	id := fmt.Sprintf("call-%03d", i)
	a := &CDR{LegID: id + "-a", CallID: id, Direction: Inbound, BillingClass: ClassAccess, From: user, To: to, User: user,
		CreatedAt: at, EndedAt: at.Add(10 * time.Second), BillableSecs: 10, Disposition: disp}
	b := &CDR{LegID: id + "-b", CallID: id, ParentLegID: a.LegID, Direction: Outbound, BillingClass: ClassPSTNOutbound,
		From: "+14155550100", To: to, User: user, CreatedAt: at.Add(time.Millisecond), EndedAt: a.EndedAt.Add(childLag),
		BillableSecs: 10, Disposition: disp, Charge: &Charge{Amount: decimal.RequireFromString("0.02"), Currency: "USD", Units: 1}}
	return []*CDR{a, b}
}

func TestCallLogPagesEveryCallOnceNewestFirstWithItsLegs(t *testing.T) {
	var cdrs []*CDR
	lags := []time.Duration{time.Millisecond, -time.Millisecond, 0, 30 * time.Second, time.Millisecond, -2 * time.Millisecond, time.Millisecond}
	for i, lag := range lags { // a call a second: the legs of neighbours interleave in the index
		cdrs = append(cdrs, twoLegCall(i, "1001", "+14155550199", logT0.Add(time.Duration(i)*time.Second), lag, Answered)...)
	}
	db := callLogDB(t, cdrs)
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("the pages do not end")
		}
		page, err := CallLog(db, CallLogQuery{Cursor: cursor, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Calls {
			got = append(got, c.CallID)
			if len(c.Legs) != 2 || c.Legs[0].ParentLegID != "" || !c.Charge.Equal(decimal.RequireFromString("0.02")) {
				t.Errorf("call %s: %d legs, first %+v, charge %s", c.CallID, len(c.Legs), c.Legs[0], c.Charge)
			}
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	want := []string{"call-006", "call-005", "call-004", "call-003", "call-002", "call-001", "call-000"}
	if !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
}

func TestCallLogSearch(t *testing.T) {
	var cdrs []*CDR
	cdrs = append(cdrs, twoLegCall(1, "1001", "+14155550199", logT0, 0, Answered)...)
	cdrs = append(cdrs, twoLegCall(2, "1002", "+442071838750", logT0.Add(time.Hour), 0, Busy)...)
	cdrs = append(cdrs, twoLegCall(3, "1001", "+442071838750", logT0.Add(48*time.Hour), 0, Answered)...)
	db := callLogDB(t, cdrs)
	for _, tc := range []struct {
		name string
		q    CallLogQuery
		want []string
	}{
		{"all", CallLogQuery{}, []string{"call-003", "call-002", "call-001"}},
		{"by user", CallLogQuery{User: "1002"}, []string{"call-002"}},
		{"by part of a number", CallLogQuery{Number: "2071838"}, []string{"call-003", "call-002"}},
		{"by disposition", CallLogQuery{Disposition: "busy"}, []string{"call-002"}},
		{"by date", CallLogQuery{From: logT0.Add(24 * time.Hour)}, []string{"call-003"}},
		{"until a date", CallLogQuery{To: logT0.Add(24 * time.Hour)}, []string{"call-002", "call-001"}},
		{"nothing matches", CallLogQuery{User: "1001", Disposition: "busy"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := CallLog(db, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range page.Calls {
				got = append(got, c.CallID)
			}
			if !slices.Equal(got, tc.want) || page.Next != "" {
				t.Fatalf("calls %v (next %q), want %v", got, page.Next, tc.want)
			}
		})
	}
}

// BenchmarkCallLog reads pages of a log of 100,000 legs (50,000 calls): the
// newest page, one deep in, and a search that matches nothing (a walk of
// the whole index).
func BenchmarkCallLog(b *testing.B) {
	var cdrs []*CDR
	for i := range 50000 {
		cdrs = append(cdrs, twoLegCall(i, fmt.Sprint(1001+i%20), "+14155550199", logT0.Add(time.Duration(i)*time.Minute), time.Millisecond, Answered)...)
	}
	db := callLogDB(b, cdrs)
	deep := ""
	for range 100 {
		p, err := CallLog(db, CallLogQuery{Cursor: deep, Limit: 50})
		if err != nil {
			b.Fatal(err)
		}
		deep = p.Next
	}
	for _, bc := range []struct {
		name string
		q    CallLogQuery
	}{
		{"first page", CallLogQuery{Limit: 50}},
		{"page 100", CallLogQuery{Limit: 50, Cursor: deep}},
		{"search without a match", CallLogQuery{Limit: 50, User: "9999"}},
		{"search of a day without a match", CallLogQuery{Limit: 50, User: "9999", From: logT0.AddDate(0, 0, 10), To: logT0.AddDate(0, 0, 11)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := CallLog(db, bc.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestCallUsageCountsTheBilledLegsOnce(t *testing.T) {
	var cdrs []*CDR
	cdrs = append(cdrs, twoLegCall(1, "1001", "+14155550199", logT0, 0, Answered)...)
	cdrs = append(cdrs, twoLegCall(2, "1002", "+14155550199", logT0.Add(25*time.Hour), 0, Answered)...)
	client := &CDR{LegID: "c-b", CallID: "c", ParentLegID: "c-a", BillingClass: ClassClient, User: "1002",
		CreatedAt: logT0, EndedAt: logT0.Add(time.Minute), BillableSecs: 60}
	cdrs = append(cdrs, client)
	db := callLogDB(t, cdrs)
	for _, tc := range []struct {
		name, user, group string
		from              time.Time
		want              string
	}{
		{"per kind", "", GroupByKind, time.Time{}, "client:1:60:1:0 outbound:2:20:0.3:0.04"},
		{"per day", "", GroupByDay, time.Time{}, "2026-11-01:2:70:1.2:0.02 2026-11-02:1:10:0.2:0.02"},
		{"per user", "", GroupByUser, time.Time{}, "1001:1:10:0.2:0.02 1002:2:70:1.2:0.02"},
		{"of a user", "1001", GroupByDay, time.Time{}, "2026-11-01:1:10:0.2:0.02"},
		{"from a day", "", "", logT0.Add(24 * time.Hour), ":1:10:0.2:0.02"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := CallUsage(db, tc.from, time.Time{}, tc.user, tc.group)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, fmt.Sprintf("%s:%d:%d:%s:%s", r.Group, r.Legs, r.Seconds, r.Minutes, r.Charge))
			}
			if s := fmt.Sprint(strings.Join(got, " ")); s != tc.want {
				t.Fatalf("got %s, want %s", s, tc.want)
			}
		})
	}
}
