package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/console"
)

func consoleTestAuth() *Auth {
	return NewAuth(&config.Config{
		HTTP:  config.HTTP{Tokens: []string{"org-token"}},
		Roles: []config.Role{{Name: "agent", Permissions: []string{config.PermRecordingListen}}},
		Users: []config.User{{Extension: "1002", Password: "bob-secret", Role: "agent"}, {Extension: "1003", Role: "agent"}},
	})
}

func TestConsoleSignInChecksTheSIPPassword(t *testing.T) {
	auth := consoleTestAuth()
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
		if got := auth.CheckSIPPassword("example.com", tc.ext, tc.password); got != tc.want {
			t.Errorf("%s/%q: %v, want %v", tc.ext, tc.password, got, tc.want)
		}
	}
}

// The console's pages go through the API's own permission checks: a user
// signed in with the SIP password gets what the user's token would.
func TestTheConsoleActsAsTheSignedInUserThroughTheAPIChecks(t *testing.T) {
	auth := consoleTestAuth()
	root := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{"ok":true}`) })
	root.Handle("GET /v1/recordings/{leg_id}", Require(config.PermRecordingListen, ok))
	root.Handle("GET /v1/openapi.json", ok)
	root.Handle("/v1/", Require("", ok))
	api := &Server{mux: http.NewServeMux(), v1: root, auth: auth}
	c, err := console.New(console.Options{API: api.ConsoleAPI(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Context: context.Background(),
		CheckPassword: func(ext, password string) bool { return auth.CheckSIPPassword("example.com", ext, password) }})
	if err != nil {
		t.Fatal(err)
	}
	api.Mount("/", c)
	srv := httptest.NewServer(api)
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
