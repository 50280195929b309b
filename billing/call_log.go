package billing

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"go.etcd.io/bbolt"
)

// CallLogQuery selects a page of the call log: calls (one row per call,
// its legs inside) newest first, older than Cursor.
type CallLogQuery struct {
	Cursor      string    // from the previous page's Next; "" for the newest
	Limit       int       // calls per page
	Number      string    // a digit string some leg's from, to, caller ID or number contains
	User        string    // an extension some leg belongs to
	From, To    time.Time // the call's first leg ended in [From, To)
	Disposition string    // the call's disposition (its first leg's)
}

// LoggedCall is one row of the call log: the call's first leg (the one
// no other leg is the child of) and every leg.
type LoggedCall struct {
	CallID      string          `json:"call_id"`
	Disposition Disposition     `json:"disposition"`
	From        string          `json:"from"`
	To          string          `json:"to"`
	User        string          `json:"user,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	EndedAt     time.Time       `json:"ended_at"`
	Seconds     int64           `json:"billable_seconds"`
	Charge      decimal.Decimal `json:"charge"`
	Recording   string          `json:"recording_leg_id,omitempty"`
	Legs        []*CDR          `json:"legs"`
}

// CallLogPage is a page of the call log; Next is the cursor of the next
// (older) page, "" on the last.
type CallLogPage struct {
	Calls []LoggedCall `json:"calls"`
	Next  string       `json:"next,omitempty"`
}

// callLogLookahead is how much newer than a page's cursor the scan starts,
// so the legs of the page's first calls that ended a little after their
// first leg (the two legs of a call end within milliseconds, in either
// order) are found.
const callLogLookahead = 2 * time.Minute

// callLogMaxLimit bounds a page.
const callLogMaxLimit = 500

// CallLog reads one page of the call log. It walks the end-time index
// newest first and holds only the page's calls and the legs whose first
// leg it has not reached yet: memory is bounded by the page, not by the
// store. A call is complete once the walk is past its first leg's
// creation (no leg of it can have ended before that).
func CallLog(db *bbolt.DB, q CallLogQuery) (CallLogPage, error) {
	page := CallLogPage{Calls: []LoggedCall{}}
	if q.Limit <= 0 || q.Limit > callLogMaxLimit {
		q.Limit = 50
	}
	var cursor []byte
	if q.Cursor != "" {
		c, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || len(c) < 8 {
			return page, fmt.Errorf("cursor %q: %w", q.Cursor, ErrBadCursor)
		}
		cursor = c
	}
	err := db.View(func(tx *bbolt.Tx) error {
		cdrs, index := tx.Bucket(bucketCDRs), tx.Bucket(bucketCDRIndex)
		if cdrs == nil || index == nil {
			return nil
		}
		w := callLogWalk{q: q, cursor: cursor, orphans: map[string][]*CDR{}, byCall: map[string]*openCall{}}
		c := index.Cursor()
		// The walk starts a lookahead after the cursor, or after the
		// period's end, whichever is older.
		var start time.Time
		if cursor != nil {
			start = time.UnixMilli(int64(binary.BigEndian.Uint64(cursor[:8]))).Add(callLogLookahead)
		}
		if !q.To.IsZero() && (start.IsZero() || q.To.Add(callLogLookahead).Before(start)) {
			start = q.To.Add(callLogLookahead)
		}
		var k, id []byte
		if start.IsZero() {
			k, id = c.Last()
		} else if k, _ = c.Seek(indexKey(start, "")); k == nil { // the newest key before start
			k, id = c.Last()
		} else {
			k, id = c.Prev()
		}
		for ; k != nil; k, id = c.Prev() {
			ended := time.UnixMilli(int64(binary.BigEndian.Uint64(k[:8])))
			w.closeBefore(ended, &page)
			if len(page.Calls) >= q.Limit {
				return nil
			}
			// Before the period, no first leg can match: only the open
			// calls' legs are still wanted.
			if !q.From.IsZero() && ended.Before(q.From) && len(w.open) == 0 {
				break
			}
			v := cdrs.Get(id)
			if v == nil {
				continue
			}
			cdr := new(CDR)
			if err := json.Unmarshal(v, cdr); err != nil {
				return fmt.Errorf("decode cdr %s: %w", id, err)
			}
			w.add(k, cdr)
		}
		w.closeBefore(time.Time{}, &page)
		if len(page.Calls) < q.Limit {
			page.Next = ""
		}
		return nil
	})
	if err != nil {
		return CallLogPage{Calls: []LoggedCall{}}, fmt.Errorf("call log: %w", err)
	}
	return page, nil
}

// openCall is a call whose first leg the walk has met but whose legs may
// not all be in yet.
type openCall struct {
	key  []byte
	root *CDR
	legs []*CDR
}

type callLogWalk struct {
	q       CallLogQuery
	cursor  []byte
	open    []*openCall          // in the walk's order: newest first leg first
	byCall  map[string]*openCall // open calls by call id
	orphans map[string][]*CDR    // legs met before their call's first leg
}

func (w *callLogWalk) add(key []byte, cdr *CDR) {
	if cdr.ParentLegID != "" {
		if oc := w.byCall[cdr.CallID]; oc != nil {
			oc.legs = append(oc.legs, cdr)
		} else {
			w.orphans[cdr.CallID] = append(w.orphans[cdr.CallID], cdr)
		}
		return
	}
	// A first leg at or after the cursor was on an earlier page: only
	// the lookahead's legs are wanted from there.
	if w.cursor != nil && string(key) >= string(w.cursor) {
		delete(w.orphans, cdr.CallID)
		return
	}
	oc := &openCall{key: append([]byte(nil), key...), root: cdr, legs: append(w.orphans[cdr.CallID], cdr)}
	delete(w.orphans, cdr.CallID)
	w.open = append(w.open, oc)
	w.byCall[cdr.CallID] = oc
}

// closeBefore completes, in order, the open calls created after the walk's
// position (zero: all of them), adding those that match to the page.
func (w *callLogWalk) closeBefore(pos time.Time, page *CallLogPage) {
	for len(w.open) > 0 && len(page.Calls) < w.q.Limit {
		oc := w.open[0]
		if !pos.IsZero() && !pos.Before(Millis(oc.root.CreatedAt)) {
			return
		}
		w.open = w.open[1:]
		delete(w.byCall, oc.root.CallID)
		if lc := loggedCall(oc); w.q.matches(lc) {
			page.Calls = append(page.Calls, lc)
			page.Next = base64.RawURLEncoding.EncodeToString(oc.key)
		}
	}
}

func loggedCall(oc *openCall) LoggedCall {
	r := oc.root
	lc := LoggedCall{CallID: r.CallID, Disposition: r.Disposition, From: r.From, To: r.To, User: r.User,
		CreatedAt: r.CreatedAt, EndedAt: r.EndedAt, Legs: oc.legs}
	// Oldest-created first: the first leg, then the others.
	slices.SortStableFunc(lc.Legs, func(a, b *CDR) int { return a.CreatedAt.Compare(b.CreatedAt) })
	for _, l := range lc.Legs {
		lc.Seconds = max(lc.Seconds, l.BillableSecs)
		if l.Charge != nil {
			lc.Charge = lc.Charge.Add(l.Charge.Amount)
		}
		if l.Recording != nil && lc.Recording == "" {
			lc.Recording = l.LegID
		}
		if lc.User == "" {
			lc.User = l.User
		}
	}
	return lc
}

func (q CallLogQuery) matches(lc LoggedCall) bool {
	if !q.From.IsZero() && lc.EndedAt.Before(q.From) || !q.To.IsZero() && !lc.EndedAt.Before(q.To) {
		return false
	}
	if q.Disposition != "" && string(lc.Disposition) != q.Disposition {
		return false
	}
	userOK, numberOK := q.User == "", q.Number == ""
	for _, l := range lc.Legs {
		userOK = userOK || l.User == q.User
		numberOK = numberOK || strings.Contains(l.From, q.Number) || strings.Contains(l.To, q.Number) ||
			strings.Contains(l.CallerID, q.Number) || strings.Contains(l.PhoneNumber, q.Number)
	}
	return userOK && numberOK
}

// ErrBadCursor is a call log cursor that this log did not hand out.
var ErrBadCursor = errors.New("not a cursor of the call log")
