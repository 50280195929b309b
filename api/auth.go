package api

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/jsonbody"
	"github.com/dialtone/dialtone/sip"
)

// principal is who an API request acts for: the organization (no user)
// or one user, with that user's role's permissions.
type principal struct {
	user  string
	perms map[string]bool
}

type principalKey struct{}

// keys is what the API's bearer tokens are checked against: built from a
// config, swapped whole on reload so a leaked token can be revoked
// without a restart.
type keys struct {
	orgTokens []string
	users     []config.User
	roles     map[string]map[string]bool
}

func newKeys(cfg *config.Config) *keys {
	k := &keys{orgTokens: cfg.HTTP.Tokens, users: cfg.Users, roles: map[string]map[string]bool{}}
	for _, r := range cfg.Roles {
		k.roles[r.Name] = map[string]bool{}
		for _, p := range r.Permissions {
			k.roles[r.Name][p] = true
		}
	}
	return k
}

// Auth authenticates API requests by bearer token: an organization token
// (http.tokens) may do everything, a user's api_token what the user's
// role permits (Require).
type Auth struct {
	keys atomic.Pointer[keys]
}

// NewAuth takes the tokens, users and roles of cfg.
func NewAuth(cfg *config.Config) *Auth {
	a := &Auth{}
	a.Reload(cfg)
	return a
}

// Reload takes the tokens, users and roles of a reloaded config: from
// then on a revoked token is refused and a new one works.
func (a *Auth) Reload(cfg *config.Config) { a.keys.Store(newKeys(cfg)) }

// Bearer lets through requests carrying an organization token or a
// user's api_token, and remembers which; others get 401.
func (a *Auth) Bearer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if k := a.keys.Load(); ok && k != nil {
			for _, t := range k.orgTokens {
				if subtle.ConstantTimeCompare([]byte(got), []byte(t)) == 1 {
					next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, principal{})))
					return
				}
			}
			for _, u := range k.users {
				if u.APIToken != "" && subtle.ConstantTimeCompare([]byte(got), []byte(u.APIToken)) == 1 {
					p := principal{user: u.Extension, perms: k.roles[u.Role]}
					next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
					return
				}
			}
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="dialtone"`)
		jsonbody.Error(w, http.StatusUnauthorized, "missing or wrong bearer token")
	})
}

// AsUser serves next as user ext with the role's permissions, as the
// user's own api_token would: the console's session users, who signed in
// with their SIP password, go through the same permission checks.
func (a *Auth) AsUser(ext string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := a.keys.Load()
		for _, u := range k.users {
			if u.Extension == ext {
				p := principal{user: u.Extension, perms: k.roles[u.Role]}
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
				return
			}
		}
		// The user was removed by a reload since signing in.
		jsonbody.Error(w, http.StatusUnauthorized, fmt.Sprintf("user %s no longer exists", ext))
	})
}

// CheckSIPPassword verifies a user's SIP password the way the registrar
// does: the digest HA1 of the offered password against the configured
// one. A user without a password never passes.
func (a *Auth) CheckSIPPassword(realm, ext, password string) bool {
	for _, u := range a.keys.Load().users {
		if u.Extension == ext && u.Password != "" {
			want, got := sip.HA1(ext, realm, u.Password), sip.HA1(ext, realm, password)
			return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
		}
	}
	return false
}

// Require refuses a user's request (403) when the user's role lacks perm,
// or when perm is "" (organization tokens only).
func Require(perm string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := r.Context().Value(principalKey{}).(principal)
		if p.user != "" && (perm == "" || !p.perms[perm]) {
			need := perm
			if need == "" {
				need = "an organization token"
			}
			jsonbody.Error(w, http.StatusForbidden, fmt.Sprintf("user %s is not permitted this: needs %s", p.user, need))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Caller is who a request that passed Bearer acts for: a user's extension
// and permissions, or "" for an organization token.
func Caller(r *http.Request) (user string, perms map[string]bool) {
	p, _ := r.Context().Value(principalKey{}).(principal)
	return p.user, p.perms
}
