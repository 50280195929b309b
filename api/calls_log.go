package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"go.etcd.io/bbolt"

	"github.com/dialtone/dialtone/billing"
)

// callLogHandler serves GET /v1/call-log?cursor=&limit=&number=&user=&from=&to=&disposition=:
// a page of calls, newest first, each with its legs.
func callLogHandler(db *bbolt.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := r.URL.Query()
		q := billing.CallLogQuery{Cursor: v.Get("cursor"), Number: v.Get("number"), User: v.Get("user"), Disposition: v.Get("disposition")}
		var err error
		if s := v.Get("limit"); s != "" {
			if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit < 1 {
				writeError(w, http.StatusBadRequest, fmt.Errorf("limit %q is not a positive number", s))
				return
			}
		}
		if q.From, q.To, err = parseRange(r); err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		page, err := billing.CallLog(db, q)
		if err != nil {
			code := http.StatusInternalServerError
			if errors.Is(err, billing.ErrBadCursor) {
				code = http.StatusBadRequest
			}
			writeError(w, code, err)
			return
		}
		writeJSON(w, http.StatusOK, page)
	})
}

// callUsageHandler serves GET /v1/usage/calls?from=&to=&user=&group_by=day|kind|user:
// the minutes and charges of the billed legs, from the CDRs.
func callUsageHandler(db *bbolt.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		from, to, group, ok := usageQuery(w, r, "day, kind or user")
		if !ok {
			return
		}
		rows, err := billing.CallUsage(db, from, to, r.URL.Query().Get("user"), group)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"from": optTime(from), "to": optTime(to), "group_by": group, "rows": rows})
	})
}
