package e2e

import (
	"strings"
	"testing"
)

// The runtime profiles are on the API's address, for an organization
// token only: they show what the switch runs and holds.
func TestProfilesNeedAnOrganizationToken(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{UserExtra: map[string]string{"1002": "    api_token: bob-token-123"}})
	for _, tt := range []struct {
		name, path, auth string
		code             int
		body             string
	}{
		{"no token", "/debug/pprof/", "", 401, ""},
		{"a wrong token", "/debug/pprof/heap?debug=1", "Bearer wrong-token", 401, ""},
		{"a user's token", "/debug/pprof/goroutine?debug=1", "Bearer bob-token-123", 403, ""},
		{"the index", "/debug/pprof/", "Bearer test-token-123", 200, "goroutine"},
		{"the heap", "/debug/pprof/heap?debug=1", "Bearer test-token-123", 200, "heap profile"},
		{"the goroutines", "/debug/pprof/goroutine?debug=1", "Bearer test-token-123", 200, "goroutine profile"},
		{"a CPU profile", "/debug/pprof/profile?seconds=1", "Bearer test-token-123", 200, ""},
		{"the command line", "/debug/pprof/cmdline", "Bearer test-token-123", 200, "serve"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := sw.api("GET", tt.path, nil, "Authorization", tt.auth)
			if code != tt.code {
				t.Fatalf("%d, want %d", code, tt.code)
			}
			if !strings.Contains(string(body), tt.body) {
				t.Fatalf("no %q in\n%s", tt.body, tail(string(body), 300))
			}
		})
	}
}
