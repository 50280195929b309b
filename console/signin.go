package console

import (
	"net/http"
	"strings"
)

type signInData struct {
	Next string
}

func (c *Console) handleSignInPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, nil, http.StatusOK, "signin", page{Title: "Sign in", Data: signInData{Next: safeNext(r.URL.Query().Get("next"))}})
}

// handleSignIn signs in with an API token (checked by asking the API) or
// an extension and its SIP password. Failures are counted per address.
func (c *Console) handleSignIn(w http.ResponseWriter, r *http.Request) {
	addr := clientAddr(r)
	next := safeNext(r.PostFormValue("next"))
	if !sameOrigin(r) { // nobody else's page may sign a browser in
		http.Error(w, "sign in from the console's own page", http.StatusForbidden)
		return
	}
	if c.limiter.blocked(addr) {
		c.render(w, r, nil, http.StatusTooManyRequests, "signin", page{Title: "Sign in", Data: signInData{Next: next},
			Error: "Too many failed sign-ins from your address: wait a few minutes."})
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	ext, password := strings.TrimSpace(r.PostFormValue("extension")), r.PostFormValue("password")
	var s *session
	switch {
	case token != "":
		probe := &session{token: token}
		if c.answers(r.Context(), probe, "/v1/openapi.json") {
			s = c.sessions.create(token, "")
		}
	case ext != "" && password != "" && c.opts.CheckPassword != nil:
		if c.opts.CheckPassword(ext, password) {
			s = c.sessions.create("", ext)
		}
	}
	if s == nil {
		c.limiter.failed(addr)
		c.log.Warn("console: sign-in failed", "addr", addr, "extension", ext)
		c.render(w, r, nil, http.StatusUnauthorized, "signin", page{Title: "Sign in", Data: signInData{Next: next},
			Error: "Wrong token, or wrong extension or password."})
		return
	}
	setSessionCookie(w, r, s.id, int(c.opts.SessionTTL.Seconds()))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) handleSignOut(w http.ResponseWriter, r *http.Request, s *session) {
	c.sessions.remove(s.id)
	setSessionCookie(w, r, "", -1)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
