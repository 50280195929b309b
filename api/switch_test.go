package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/jsonbody"
)

func TestSwitchErrorsAreAnsweredWithTheirStatus(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code int
		body map[string]string
	}{
		{"a forwarding target the owners may not call",
			&directory.ForwardingRefusedError{Field: "forwarding.busy", Target: "+61291234567", Rule: "calls.international", Reason: "international calls not permitted"},
			422, map[string]string{"error": "forwarding.busy: international calls not permitted", "field": "forwarding.busy", "target": "+61291234567", "rule": "calls.international"}},
		{"invalid", fmt.Errorf("%w: type", directory.ErrInvalid), 400, map[string]string{"error": "invalid: type"}},
		{"not found", fmt.Errorf("%w: user", directory.ErrNotFound), 404, map[string]string{"error": "not found: user"}},
		{"conflict", fmt.Errorf("%w: number", directory.ErrConflict), 409, map[string]string{"error": "conflict: number"}},
		{"the switch's own failure", errors.New("disk full"), 500, map[string]string{"error": "disk full"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			switchError(rec, tt.err)
			var body map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != tt.code {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tt.code)
			}
			if fmt.Sprint(body) != fmt.Sprint(tt.body) {
				t.Fatalf("body %v, want %v", body, tt.body)
			}
		})
	}
	rec := httptest.NewRecorder()
	switchError(rec, context.Canceled)
	if rec.Body.Len() != 0 {
		t.Fatalf("a request whose client went away was answered %s", rec.Body)
	}
}

func TestABodyOverTheLimitIs413(t *testing.T) {
	r := httptest.NewRequest("PUT", "/", strings.NewReader(`{"always":"`+strings.Repeat("1", jsonbody.MaxBytes)+`"}`))
	rec := httptest.NewRecorder()
	var v map[string]string
	bodyError(rec, jsonbody.Read(rec, r, &v))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("%d %s, want 413", rec.Code, rec.Body)
	}
}
