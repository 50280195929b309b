package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

const sessionCookie = "dialtone_session"

// session is one signed-in browser: an API token (the organization's or
// a user's) or a user who signed in with the SIP password.
type session struct {
	id       string
	csrf     string // every form of the session carries it
	token    string // bearer token, or ""
	user     string // extension signed in with the SIP password, or ""
	lastSeen time.Time
	tabs     sessionTabs // the tabs it may open, asked of the API now and then
}

// who is how the pages name the session's principal.
func (s *session) who() string {
	if s.user != "" {
		return "user " + s.user
	}
	return "API token"
}

// sessions are kept in memory, bounded: signing out, expiry and a
// restart end them.
type sessions struct {
	mu   sync.Mutex
	byID map[string]*session
	max  int
	ttl  time.Duration
	now  func() time.Time
}

func newSessions(maxSessions int, ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{byID: map[string]*session{}, max: maxSessions, ttl: ttl, now: now}
}

func (ss *sessions) create(token, user string) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.now()
	for id, s := range ss.byID {
		if now.Sub(s.lastSeen) > ss.ttl {
			delete(ss.byID, id)
		}
	}
	for len(ss.byID) >= ss.max { // the least recently used goes
		var oldest *session
		for _, s := range ss.byID {
			if oldest == nil || s.lastSeen.Before(oldest.lastSeen) {
				oldest = s
			}
		}
		delete(ss.byID, oldest.id)
	}
	s := &session{id: rand.Text() + rand.Text(), csrf: rand.Text(), token: token, user: user, lastSeen: now}
	ss.byID[s.id] = s
	return s
}

func (ss *sessions) get(id string) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.byID[id]
	if s == nil {
		return nil
	}
	now := ss.now()
	if now.Sub(s.lastSeen) > ss.ttl {
		delete(ss.byID, id)
		return nil
	}
	s.lastSeen = now
	return s
}

func (ss *sessions) remove(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byID, id)
}

func (ss *sessions) count() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.byID)
}

type sessionHandler func(w http.ResponseWriter, r *http.Request, s *session)

// withSession sends a browser without a session to the sign-in page, and
// refuses a POST whose CSRF token or Origin is not the session's.
func (c *Console) withSession(h sessionHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var s *session
		if ck, err := r.Cookie(sessionCookie); err == nil {
			s = c.sessions.get(ck.Value)
		}
		if s == nil {
			if r.Method != http.MethodGet {
				http.Error(w, "sign in first", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !c.sameOriginForm(r, s) {
			http.Error(w, "the form is stale or from another site: reload the page and try again", http.StatusForbidden)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r, s)
	}
}

// sameOriginForm checks the form's CSRF token and, when the browser says
// where the form came from, that it came from here.
func (c *Console) sameOriginForm(r *http.Request, s *session) bool {
	if !sameOrigin(r) {
		return false
	}
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}

// sameOrigin says whether a form came from this site, when the browser
// says where it came from.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func setSessionCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

// signInLimiter counts sign-in failures per client address: past limit
// in window, the address is refused until the window has passed.
type signInLimiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	max    int
	now    func() time.Time
	fails  map[string][]time.Time
}

func newSignInLimiter(limit int, window time.Duration, maxAddrs int, now func() time.Time) *signInLimiter {
	return &signInLimiter{limit: limit, window: window, max: maxAddrs, now: now, fails: map[string][]time.Time{}}
}

func (l *signInLimiter) recent(addr string) []time.Time {
	cut := l.now().Add(-l.window)
	ts := l.fails[addr]
	for len(ts) > 0 && ts[0].Before(cut) {
		ts = ts[1:]
	}
	if len(ts) == 0 {
		delete(l.fails, addr)
		return nil
	}
	l.fails[addr] = ts
	return ts
}

// blocked says whether addr has failed too often lately.
func (l *signInLimiter) blocked(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(addr)) >= l.limit
}

func (l *signInLimiter) failed(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) >= l.max {
		for a := range l.fails {
			l.recent(a)
		}
		if len(l.fails) >= l.max { // still full: forget the lot rather than grow
			clear(l.fails)
		}
	}
	l.fails[addr] = append(l.recent(addr), l.now())
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type sessionUserKey struct{}

// SessionUser is the user a console request to the API acts for, when
// the session signed in with a SIP password rather than a token.
func SessionUser(ctx context.Context) (string, bool) {
	u, ok := ctx.Value(sessionUserKey{}).(string)
	return u, ok && u != ""
}
