package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/internal/testorg"
)

// TestOrganizationRoutesAnswerFromTheOrganization drives the forwarding
// and numbers routes on an Organization alone, with no switch.
func TestOrganizationRoutesAnswerFromTheOrganization(t *testing.T) {
	cfg, err := config.Parse([]byte(testorg.PermissionsYAML), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	org, err := directory.NewOrganization(cfg, directory.OrganizationOptions{HA1: func(u, p string) string { return "" },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	organizationRoutes(mux, org)
	steps := []struct {
		method, path, body string
		code               int
		answer             string // what the body holds
	}{
		{"GET", "/v1/users/bob/forwarding", "", 200, `{"no_answer_after":"0s"}`},
		{"PUT", "/v1/users/9999/forwarding", `not json`, 404, `no user`},
		{"PUT", "/v1/users/bob/forwarding", `not json`, 400, `forwarding:`},
		{"PUT", "/v1/users/bob/forwarding", `{"busy":"+61291234567"}`, 422, `"rule":"calls.international"`},
		{"PUT", "/v1/users/bob/forwarding", `{"busy":"1001"}`, 200, `"busy":"1001"`},
		{"GET", "/v1/users/1002/forwarding", "", 200, `"busy":"1001"`},
		{"POST", "/v1/numbers", `{"number":"+14155550103","user":"alice"}`, 201, `"user":"1001"`},
		{"POST", "/v1/numbers", `{"number":"+14155550103","user":"bob"}`, 409, `already`},
		{"POST", "/v1/numbers", `{"number":"555","user":"bob"}`, 400, `number`},
		{"GET", "/v1/numbers", "", 200, `"number":"+14155550103"`},
		{"DELETE", "/v1/numbers/+14155550100", "", 404, `config numbers are removed in the config`},
		{"DELETE", "/v1/numbers/+14155550103", "", 204, ``},
	}
	for _, s := range steps {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(s.method, s.path, strings.NewReader(s.body)))
		if rec.Code != s.code || !strings.Contains(rec.Body.String(), s.answer) {
			t.Fatalf("%s %s: %d %s, want %d with %s", s.method, s.path, rec.Code, rec.Body, s.code, s.answer)
		}
	}
}
