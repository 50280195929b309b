package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/jsonbody"
)

// cdrsHandler serves GET /v1/cdrs?since=&format=json|csv: the CDRs
// streamed as NDJSON or CSV.
func cdrsHandler(db *bbolt.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		since, err := billing.ParseSince(r.URL.Query().Get("since"), time.Now())
		if err != nil {
			jsonbody.Error(w, http.StatusBadRequest, err.Error())
			return
		}
		format := r.URL.Query().Get("format")
		cw, err := billing.NewCDRWriter(w, format)
		if err != nil {
			jsonbody.Error(w, http.StatusBadRequest, err.Error())
			return
		}
		if format == "csv" {
			w.Header().Set("Content-Type", "text/csv")
		} else {
			w.Header().Set("Content-Type", "application/x-ndjson")
		}
		if err := billing.ListCDRs(db, since, cw.Write); err != nil && !errors.Is(err, context.Canceled) {
			slog.Error("list cdrs", "error", err)
		}
		_ = cw.Flush()
	})
}

// recordingHandler serves GET /v1/recordings/{leg_id}: the WAV of the
// call the leg belongs to, from under dataDir.
func recordingHandler(db *bbolt.DB, dataDir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cdr, err := billing.GetCDR(db, r.PathValue("leg_id"))
		if err != nil {
			jsonbody.Error(w, http.StatusInternalServerError, err.Error())
			return
		}
		if cdr == nil || cdr.Recording == nil {
			jsonbody.Error(w, http.StatusNotFound, fmt.Sprintf("no recording for leg %q", r.PathValue("leg_id")))
			return
		}
		path := filepath.Join(dataDir, filepath.FromSlash(cdr.Recording.Path))
		w.Header().Set("Content-Type", "audio/wav")
		http.ServeFile(w, r, path)
	})
}
