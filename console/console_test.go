package console

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI stands in for the /v1 chain: "org" is an organization token;
// a session user is allowed only GET /v1/campaigns. It records the
// top-ups' Idempotency-Keys.
type fakeAPI struct {
	mu       sync.Mutex
	topUps   []string
	messages bool
	revoked  bool // the organization token no longer works
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	org := r.Header.Get("Authorization") == "Bearer org" && !f.revoked
	f.mu.Unlock()
	user, isUser := SessionUser(r.Context())
	w.Header().Set("Content-Type", "application/json")
	switch {
	case !org && !isUser:
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"missing or wrong bearer token"}`)
		return
	case isUser && r.URL.Path != "/v1/campaigns" && r.URL.Path != "/v1/openapi.json":
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"error":"user `+user+` is not permitted this"}`)
		return
	}
	switch r.Method + " " + r.URL.Path {
	case "GET /v1/openapi.json":
		_, _ = io.WriteString(w, `{}`)
	case "GET /v1/balance":
		_, _ = io.WriteString(w, `{"balance":"12.50","reserved":"0.00","available":"12.50","currency":"USD","low_balance_threshold":"5.00","low":false,"reserved_by":[]}`)
	case "GET /v1/postings":
		_, _ = io.WriteString(w, `{"postings":[{"id":"p1","kind":"topup","amount":"12.50","time":"2026-11-01T10:00:00Z","note":"<script>x</script>","balance":"12.50"}]}`)
	case "POST /v1/topups":
		f.mu.Lock()
		f.topUps = append(f.topUps, r.Header.Get("Idempotency-Key"))
		f.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"topup:1","replayed":false}`)
	case "GET /v1/campaigns":
		_, _ = io.WriteString(w, `{"campaigns":[{"id":"cmp_1","name":"Renewals","state":"running"}]}`)
	case "GET /v1/calls":
		_, _ = io.WriteString(w, `[{"call_id":"c1","from":"1001","to":"+14155550199"}]`)
	case "GET /v1/messages":
		if !f.messages {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_, _ = io.WriteString(w, `[{"id":"m1","from":"+14155550100","to":"+14155550199","body":"hello","direction":"outbound"}]`)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

type client struct {
	t      *testing.T
	srv    *httptest.Server
	cookie *http.Cookie
}

func newConsole(t *testing.T, api http.Handler, opts ...func(*Options)) *client {
	t.Helper()
	o := Options{API: api, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), LivePeriod: 10 * time.Millisecond,
		CheckPassword: func(ext, pw string) bool { return ext == "1002" && pw == "bob-secret" }}
	for _, f := range opts {
		f(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return &client{t: t, srv: srv}
}

func (c *client) do(method, path string, form url.Values, hdr ...string) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, ck := range res.Cookies() {
		if ck.Name == sessionCookie {
			c.cookie = ck
		}
	}
	return res, string(b)
}

func (c *client) signIn(form url.Values) *http.Response {
	c.t.Helper()
	res, _ := c.do("POST", "/signin", form)
	return res
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *client) csrf() string {
	c.t.Helper()
	_, body := c.do("GET", "/credit", nil)
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatalf("no CSRF token on the credit page:\n%s", body)
	}
	return m[1]
}

func TestSignInSetsAStrictHttpOnlySessionCookie(t *testing.T) {
	c := newConsole(t, &fakeAPI{})
	if res, _ := c.do("GET", "/credit", nil); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/signin") {
		t.Fatalf("without a session: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res := c.signIn(url.Values{"token": {"org"}, "next": {"/usage"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/usage" {
		t.Fatalf("sign-in: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if c.cookie == nil || !c.cookie.HttpOnly || c.cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v", c.cookie)
	}
	res, body := c.do("GET", "/credit", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "12.50 USD") {
		t.Fatalf("credit page: %d\n%s", res.StatusCode, body)
	}
	if strings.Contains(body, "<script>x</script>") || !strings.Contains(body, "&lt;script&gt;x&lt;/script&gt;") {
		t.Error("a posting's note is not escaped")
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
}

func TestSignInRedirectsOnlyWithinTheConsole(t *testing.T) {
	for next, want := range map[string]string{"/calls?x=1": "/calls?x=1", "//evil.example/": "/",
		"https://evil.example/": "/", "/\\evil.example": "/", "": "/"} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestSignInFailuresAreRateLimitedPerAddress(t *testing.T) {
	c := newConsole(t, &fakeAPI{})
	for i := range 5 {
		if res := c.signIn(url.Values{"token": {"wrong"}}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, res.StatusCode)
		}
	}
	if res := c.signIn(url.Values{"extension": {"1002"}, "password": {"bob-secret"}}); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after 5 failures, the right password got %d, want 429", res.StatusCode)
	}
	if c.cookie != nil {
		t.Fatal("a blocked address got a session")
	}
}

func TestFormsNeedTheSessionsCSRFTokenAndOrigin(t *testing.T) {
	api := &fakeAPI{}
	c := newConsole(t, api)
	c.signIn(url.Values{"token": {"org"}})
	token := c.csrf()
	for _, tc := range []struct {
		name   string
		form   url.Values
		origin string
		want   int
	}{
		{"no token", url.Values{"amount": {"5"}, "idempotency_key": {"k1"}}, "", http.StatusForbidden},
		{"another token", url.Values{"amount": {"5"}, "idempotency_key": {"k1"}, "csrf": {"WRONG"}}, "", http.StatusForbidden},
		{"another site", url.Values{"amount": {"5"}, "idempotency_key": {"k1"}, "csrf": {token}}, "https://evil.example", http.StatusForbidden},
		{"the form", url.Values{"amount": {"5"}, "idempotency_key": {"k1"}, "csrf": {token}}, c.srv.URL, http.StatusSeeOther},
		{"the form again", url.Values{"amount": {"5"}, "idempotency_key": {"k1"}, "csrf": {token}}, "", http.StatusSeeOther},
	} {
		hdr := []string{}
		if tc.origin != "" {
			hdr = []string{"Origin", tc.origin}
		}
		if res, body := c.do("POST", "/credit/topup", tc.form, hdr...); res.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d\n%s", tc.name, res.StatusCode, tc.want, body)
		}
	}
	// Both accepted posts reached the API with the form's key: the API
	// credits a replayed key once.
	if strings.Join(api.topUps, ",") != "k1,k1" {
		t.Fatalf("top-ups the API saw: %v", api.topUps)
	}
}

func TestAUserSeesWhatTheRolePermits(t *testing.T) {
	c := newConsole(t, &fakeAPI{})
	if res := c.signIn(url.Values{"extension": {"1002"}, "password": {"wrong"}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	c.signIn(url.Values{"extension": {"1002"}, "password": {"bob-secret"}})
	if res, body := c.do("GET", "/credit", nil); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "does not permit") {
		t.Fatalf("credit page for a user: %d\n%s", res.StatusCode, body)
	}
	res, body := c.do("GET", "/campaigns", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Renewals") {
		t.Fatalf("campaigns page for a user: %d\n%s", res.StatusCode, body)
	}
	// Only the tabs the role opens are shown, and / starts at the first.
	nav := regexp.MustCompile(`<a href="/(\w+)"`).FindAllStringSubmatch(body[:strings.Index(body, "</nav>")], -1)
	if len(nav) != 1 || nav[0][1] != "campaigns" {
		t.Errorf("tabs shown to the user: %v", nav)
	}
	if res, _ := c.do("GET", "/", nil); res.Header.Get("Location") != "/campaigns" {
		t.Errorf("/ sends the user to %q", res.Header.Get("Location"))
	}
}

func TestTheTextsTabShowsOnlyWhenTheAPIServesTexts(t *testing.T) {
	for _, served := range []bool{false, true} {
		c := newConsole(t, &fakeAPI{messages: served})
		c.signIn(url.Values{"token": {"org"}})
		_, body := c.do("GET", "/credit", nil)
		if got := strings.Contains(body, `href="/texts"`); got != served {
			t.Errorf("texts served %v: tab shown %v", served, got)
		}
		if served {
			if _, body := c.do("GET", "/texts", nil); !strings.Contains(body, "hello") {
				t.Errorf("texts page:\n%s", body)
			}
		}
	}
}

func TestSignOutEndsTheSession(t *testing.T) {
	c := newConsole(t, &fakeAPI{})
	c.signIn(url.Values{"token": {"org"}})
	old := c.cookie
	c.do("POST", "/signout", url.Values{"csrf": {c.csrf()}})
	c.cookie = old
	if res, _ := c.do("GET", "/credit", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the old cookie still works: %d", res.StatusCode)
	}
}

func TestSessionsAreBoundedAndExpire(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	ss := newSessions(2, time.Hour, func() time.Time { return now })
	a := ss.create("org", "")
	now = now.Add(time.Minute)
	b := ss.create("org", "")
	now = now.Add(time.Minute)
	ss.get(a.id) // a is used: b is now the least recently used
	c := ss.create("", "1002")
	if ss.count() != 2 || ss.get(b.id) != nil || ss.get(a.id) == nil || ss.get(c.id) == nil {
		t.Fatalf("after a third session: %d sessions", ss.count())
	}
	now = now.Add(61 * time.Minute)
	if ss.get(a.id) != nil {
		t.Fatal("an idle session outlived its expiry")
	}
}

func TestTheLiveViewStreamsTheCallsUpNow(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c := newConsole(t, &fakeAPI{}, func(o *Options) { o.Context = ctx })
	c.signIn(url.Values{"token": {"org"}})
	req, _ := http.NewRequest("GET", c.srv.URL+"/calls/live", nil)
	req.AddCookie(c.cookie)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	r := bufio.NewReader(res.Body)
	var event strings.Builder
	for !strings.HasSuffix(event.String(), "\n\n") {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream: %v after %q", err, event.String())
		}
		event.WriteString(line)
	}
	if !strings.HasPrefix(event.String(), "data: ") || !strings.Contains(event.String(), "14155550199") {
		t.Fatalf("first event:\n%s", event.String())
	}
	cancel() // the switch shuts down: the stream ends
	rest, _ := io.ReadAll(r)
	if strings.Contains(string(rest), "data:") {
		t.Fatalf("the block did not change, yet was sent again:\n%s", rest)
	}
}

func TestAnotherSiteCannotSignABrowserIn(t *testing.T) {
	c := newConsole(t, &fakeAPI{})
	res, _ := c.do("POST", "/signin", url.Values{"token": {"org"}}, "Origin", "https://evil.example")
	if res.StatusCode != http.StatusForbidden || c.cookie != nil {
		t.Fatalf("a sign-in posted from another site: %d, cookie %v", res.StatusCode, c.cookie)
	}
}

func TestARevokedTokenEndsTheSession(t *testing.T) {
	api := &fakeAPI{}
	c := newConsole(t, api)
	c.signIn(url.Values{"token": {"org"}})
	api.mu.Lock()
	api.revoked = true
	api.mu.Unlock()
	old := c.cookie
	if res, _ := c.do("GET", "/credit", nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/signin" {
		t.Fatalf("a page with a revoked token: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	c.cookie = old
	if res, _ := c.do("GET", "/credit", nil); !strings.HasPrefix(res.Header.Get("Location"), "/signin?next=") {
		t.Fatalf("the session outlived its token: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}
