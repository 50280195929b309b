package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/dialtone/dialtone/billing"
)

// emptyCDRStore is a store with its buckets and no CDRs.
func emptyCDRStore(t *testing.T) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "cdrs.db"), 0o600, &bbolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := billing.OpenCDRStore(db, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	return db
}

func TestCallLogHandlerRefusesWhatIsNotAQuery(t *testing.T) {
	h := callLogHandler(emptyCDRStore(t))
	for _, q := range []string{"cursor=!!", "cursor=YQ", "limit=0", "limit=x", "from=yesterday"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/call-log?"+q, nil))
		if rec.Code != http.StatusBadRequest {
			t.Errorf("?%s: %d %s", q, rec.Code, rec.Body)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/call-log", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != `{"calls":[]}`+"\n" {
		t.Errorf("empty log: %d %s", rec.Code, rec.Body)
	}
}
