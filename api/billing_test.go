package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.etcd.io/bbolt"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
)

// testMeter is a meter with 5.00 USD that has charged one 70 s call to
// Australia (0.07), as the billing routes see it.
func testMeter(t *testing.T) *Meter {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "dialtone.db"), 0o600, &bbolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := &config.Config{
		Organization: config.Organization{ID: "acme", Currency: "USD", StartingBalance: decimal.RequireFromString("5.00"), LowBalance: decimal.RequireFromString("1.00")},
		Numbers:      []config.Number{{Number: "+14155550100", Country: "US", Type: "local", User: "1001"}},
	}
	m, err := billing.NewMeter(db, cfg, billing.SampleDeck(), billing.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	call := &billing.CDR{LegID: "l1", CallID: "call-l1", BillingClass: billing.ClassPSTNOutbound, From: "1001", To: "+61291234567",
		CallerID: "+14155550100", BillableSecs: 70, EndedAt: time.Date(2025, 3, 10, 15, 0, 0, 0, time.UTC), User: "1001"}
	cdrs, err := billing.OpenCDRStore(db, m, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer cdrs.Close()
	if err := cdrs.Ended(call); err != nil {
		t.Fatal(err)
	}
	return &Meter{Credit: m.Credit(), Ledger: m.Ledger(), Rentals: m.Rentals()}
}

func TestMeterRoutes(t *testing.T) {
	mux := http.NewServeMux()
	meterRoutes(mux, testMeter(t))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	do := func(method, path, key, body string) (int, http.Header, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: body %q is not a JSON object", method, path, raw)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
		return resp.StatusCode, resp.Header, out
	}

	t.Run("the balance shows what is available", func(t *testing.T) {
		code, _, out := do("GET", "/v1/balance", "", "")
		if code != 200 || out["balance"] != "4.93" || out["currency"] != "USD" || out["organization"] != "acme" {
			t.Errorf("%d %v", code, out)
		}
	})
	t.Run("a top-up is created once and replayed with the same result", func(t *testing.T) {
		code, _, first := do("POST", "/v1/topups", "card-1", `{"amount":"10.00","note":"card"}`)
		if code != 201 || first["amount"] != "10.00" || first["balance"] != "14.93" {
			t.Fatalf("%d %v", code, first)
		}
		code, h, again := do("POST", "/v1/topups", "card-1", `{"amount":"10.00","note":"card"}`)
		if code != 200 || h.Get("Idempotent-Replayed") != "true" || again["id"] != first["id"] || again["balance"] != first["balance"] {
			t.Fatalf("replay %d %v", code, again)
		}
		_, _, bal := do("GET", "/v1/balance", "", "")
		if bal["balance"] != "14.93" {
			t.Errorf("balance after replay %v", bal["balance"])
		}
	})
	errorCases := []struct {
		name, method, path, key, body string
		code                          int
		msg                           string
	}{
		{"a top-up without an Idempotency-Key is refused", "POST", "/v1/topups", "", `{"amount":"1"}`, 400, "Idempotency-Key"},
		{"a reused key with another amount is a conflict", "POST", "/v1/topups", "card-1", `{"amount":"11.00"}`, 409, "another top-up"},
		{"a negative top-up is refused", "POST", "/v1/topups", "neg", `{"amount":"-1"}`, 400, "amount -1 is not positive"},
		{"a top-up of 1e30 is refused", "POST", "/v1/topups", "huge", `{"amount":"1e30"}`, 400, "is above the maximum of 10000.00 USD (billing.max_topup)"},
		{"a top-up just over the maximum is refused", "POST", "/v1/topups", "over", `{"amount":"10000.01"}`, 400, "above the maximum"},
		{"a top-up of 1e-10 is refused", "POST", "/v1/topups", "tiny", `{"amount":"1e-10"}`, 400, "amount 0.0000000001 has 10 decimals; USD has 2"},
		{"a top-up of a tenth of a cent is refused", "POST", "/v1/topups", "mill", `{"amount":"0.001"}`, 400, "amount 0.001 has 3 decimals; USD has 2"},
		{"a top-up with a duplicate key is refused", "POST", "/v1/topups", "dup", `{"amount":"1.00","amount":"1000.00"}`, 400, `duplicate key "amount"`},
		{"a top-up with a duplicate key in another case is refused", "POST", "/v1/topups", "dup2", `{"amount":"1.00","Amount":"1000.00"}`, 400, `duplicate key "Amount"`},
		{"a top-up with two objects is refused", "POST", "/v1/topups", "two", `{"amount":"1.00"}{"amount":"2.00"}`, 400, "unexpected data after the JSON object"},
		{"a top-up without an amount is refused", "POST", "/v1/topups", "none", `{"note":"x"}`, 400, "amount is required"},
		{"a top-up with a non-numeric amount is refused", "POST", "/v1/topups", "abc", `{"amount":"abc"}`, 400, "decode top-up"},
		{"a top-up with unknown fields is refused", "POST", "/v1/topups", "unk", `{"amount":"1","colour":"red"}`, 400, "unknown field"},
		{"usage with a bad date is refused", "GET", "/v1/usage?from=yesterday", "", "", 400, "from:"},
		{"usage with an unknown grouping is refused", "GET", "/v1/usage?group_by=colour", "", "", 400, "group_by"},
		{"usage with an empty range is refused", "GET", "/v1/usage?from=2025-03-10&to=2025-03-01", "", "", 400, "not after"},
	}
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) {
			code, _, out := do(tt.method, tt.path, tt.key, tt.body)
			msg, _ := out["error"].(string)
			if code != tt.code || !strings.Contains(msg, tt.msg) {
				t.Errorf("%d %q, want %d %q", code, msg, tt.code, tt.msg)
			}
		})
	}
	t.Run("usage groups the day's calls by kind", func(t *testing.T) {
		code, _, out := do("GET", "/v1/usage?from=2025-03-10&to=2025-03-10&group_by=kind", "", "")
		rows, _ := out["rows"].([]any)
		if code != 200 || len(rows) != 1 {
			t.Fatalf("%d %v", code, out)
		}
		row := rows[0].(map[string]any)
		if row["group"] != "call" || row["calls"] != "0.07" {
			t.Errorf("row %v", row)
		}
	})
	t.Run("the maximum top-up itself is accepted, and nothing refused was credited", func(t *testing.T) {
		code, _, out := do("POST", "/v1/topups", "max", `{"amount":"10000"}`)
		if code != 201 || out["amount"] != "10000.00" || out["balance"] != "10014.93" {
			t.Fatalf("%d %v", code, out)
		}
	})
	t.Run("usage by user puts top-ups under the organization", func(t *testing.T) {
		code, _, out := do("GET", "/v1/usage?group_by=user", "", "")
		rows, _ := out["rows"].([]any)
		groups := map[string]map[string]any{}
		for _, r := range rows {
			row := r.(map[string]any)
			groups[row["group"].(string)] = row
		}
		org := groups[billing.UsageOrganization]
		if code != 200 || groups[""] != nil || org == nil || org["topups"] != "10015.00" || org["calls"] != "0.00" {
			t.Fatalf("%d %v", code, out)
		}
	})
	t.Run("postings and rentals are listed", func(t *testing.T) {
		code, _, out := do("GET", "/v1/postings?limit=2", "", "")
		if ps, _ := out["postings"].([]any); code != 200 || len(ps) != 2 {
			t.Errorf("%d %v", code, out)
		}
		code, _, out = do("GET", "/v1/rentals", "", "")
		if _, ok := out["rentals"].([]any); code != 200 || !ok {
			t.Errorf("%d %v", code, out)
		}
	})
}
