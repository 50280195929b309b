package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dialtone/dialtone/config"
)

func consoleTestKeys() *atomic.Pointer[apiKeys] {
	keys := new(atomic.Pointer[apiKeys])
	keys.Store(newAPIKeys(&config.Config{
		HTTP:  config.HTTP{Tokens: []string{"org-token"}},
		Roles: []config.Role{{Name: "agent", Permissions: []string{config.PermRecordingListen}}},
		Users: []config.User{{Extension: "1002", Password: "bob-secret", Role: "agent"}, {Extension: "1003", Role: "agent"}},
	}))
	return keys
}

func TestConsoleSignInChecksTheSIPPassword(t *testing.T) {
	k := consoleTestKeys().Load()
	for _, tc := range []struct {
		ext, password string
		want          bool
	}{
		{"1002", "bob-secret", true},
		{"1002", "bob-secreT", false},
		{"1002", "", false},
		{"1003", "", false}, // a user without a password never signs in
		{"9999", "bob-secret", false},
	} {
		if got := checkSIPPassword(k, "example.com", tc.ext, tc.password); got != tc.want {
			t.Errorf("%s/%q: %v, want %v", tc.ext, tc.password, got, tc.want)
		}
	}
}

// The console's pages go through the API's own permission checks: a user
// signed in with the SIP password gets what the user's token would.
func TestTheConsoleActsAsTheSignedInUserThroughTheAPIChecks(t *testing.T) {
	keys := consoleTestKeys()
	root := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{"ok":true}`) })
	root.Handle("GET /v1/recordings/{leg_id}", requirePermission(config.PermRecordingListen, ok))
	root.Handle("GET /v1/openapi.json", ok)
	root.Handle("/v1/", requirePermission("", ok))
	mux := http.NewServeMux()
	running := new(atomic.Pointer[config.Config])
	running.Store(&config.Config{SIP: config.SIP{Domain: "example.com"}})
	if err := consoleRoutes(context.Background(), mux, keys, running, root, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.PostForm(srv.URL+"/signin", url.Values{"extension": {"1002"}, "password": {"bob-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		cookie = c
	}
	if res.StatusCode != http.StatusSeeOther || cookie == nil {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	get := func(path string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.AddCookie(cookie)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("/credit"); code != http.StatusForbidden || !strings.Contains(body, "an organization token") {
		t.Errorf("credit page for an agent: %d\n%s", code, body)
	}
	if code, body := get("/recordings/leg-1"); code != http.StatusOK || body != `{"ok":true}` {
		t.Errorf("recording for an agent with recording.listen: %d %s", code, body)
	}
}
