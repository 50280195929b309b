package main

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/console"
	"github.com/dialtone/dialtone/sip"
)

// consoleRoutes serves the web console at / on the API's listener. The
// console reads everything through api, the same /v1 chain (bearer
// authentication, then the permission checks) the API is served by: a
// session holding a token sends it as a bearer; a user who signed in
// with the SIP password acts as that user, with the role's permissions,
// as the user's own api_token would.
func consoleRoutes(ctx context.Context, mux *http.ServeMux, keys *atomic.Pointer[apiKeys], running *atomic.Pointer[config.Config], api http.Handler, log *slog.Logger) error {
	c, err := console.New(console.Options{API: consoleAPI(keys, api), Logger: log, Context: ctx,
		CheckPassword: func(ext, password string) bool {
			return checkSIPPassword(keys.Load(), running.Load().SIP.Domain, ext, password)
		}})
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	mux.Handle("/", c)
	return nil
}

// consoleAPI is the chain the console calls: api behind bearer
// authentication, or, for a session user, api as that user.
func consoleAPI(keys *atomic.Pointer[apiKeys], api http.Handler) http.Handler {
	bearer := bearerAuth(keys, api)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ext, ok := console.SessionUser(r.Context())
		if !ok {
			bearer.ServeHTTP(w, r)
			return
		}
		k := keys.Load()
		for _, u := range k.users {
			if u.Extension == ext {
				p := principal{user: u.Extension, perms: k.roles[u.Role]}
				api.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
				return
			}
		}
		// The user was removed by a reload since signing in.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = fmt.Fprintf(w, `{"error":"user %s no longer exists"}`+"\n", ext)
	})
}

// checkSIPPassword verifies a user's SIP password the way the registrar
// does: the digest HA1 of the offered password against the configured one.
func checkSIPPassword(k *apiKeys, realm, ext, password string) bool {
	for _, u := range k.users {
		if u.Extension == ext && u.Password != "" {
			want, got := sip.HA1(ext, realm, u.Password), sip.HA1(ext, realm, password)
			return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
		}
	}
	return false
}
