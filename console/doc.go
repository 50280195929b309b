// Package console is the switch's web console: server-rendered pages of
// the organization's credit, usage, calls, phones, texts and campaigns.
// It reads and changes nothing itself: every figure comes from the /v1
// API handler chain, called in-process with the signed-in session's
// credential, so the console shows exactly what the API would show that
// credential and refuses what the API refuses.
//
// It holds no business rule, no store and no permission table of its
// own: a top-up is a POST /v1/topups, pausing a campaign is the dialer's
// route, a tab is hidden because the API refuses its probe. What it does
// own is the browser side: sign-in, sessions, forms, templates, charts,
// live updates and the headers that keep the pages self-contained.
//
// # Where it sits
//
// At the top, beside api, importing nothing of the switch: it talks to the
// API only through the http.Handler it is given (Options.API). cmd/dialtone
// builds it with api.Server.ConsoleAPI and mounts it at / on the API's
// listener (everything but /v1/). Package api imports it for one thing,
// SessionUser: the context key by which a console request acts as the
// user who signed in with a SIP password.
//
// # Concepts
//
//   - Sign-in: an API token (accepted when the API answers with it) or a
//     user's extension and SIP password (Options.CheckPassword, which
//     checks it the way the registrar does). Five failures from an address
//     in five minutes block it for the rest of them; a form posted from
//     another site is refused, so nobody else's page can sign a browser
//     in.
//   - Sessions: in memory, bounded (MaxSessions, least recently used out
//     first), idle ones expire (SessionTTL); a restart signs everyone out.
//     The cookie is HttpOnly and SameSite=Strict; every form carries the
//     session's CSRF token and a cross-site Origin is refused. A token the
//     API no longer accepts (a reload revoked it) ends the session at its
//     next page.
//   - API calls: each page builds in-process requests to the /v1 chain
//     carrying the session's credential (a bearer token, or the user in
//     the context) and renders what comes back; an API refusal becomes
//     the page's error (403: the role does not permit this).
//   - Tabs: a session sees only the tabs it may open, found by asking the
//     API a cheap request per tab that its permission check would refuse
//     (kept a short while, since a reload may change a role); / goes to
//     the first.
//   - Pages and assets: html/template pages and one stylesheet and one
//     small script, embedded in the binary (assets/). Charts are SVG drawn
//     on the server. The pages work without the script except for the
//     live views.
//   - Live views (the calls up now, a campaign's agents): server-sent
//     events; the server polls the API every LivePeriod, renders the block
//     and sends it only when it changed. They end when Options.Context
//     does (the switch shutting down).
//
// ServeHTTP sets a Content-Security-Policy of 'self' only, nosniff and
// frame denial on every page: the console loads nothing from elsewhere
// and cannot be framed.
//
// # Use
//
//	c, err := console.New(console.Options{
//		API:           srv.ConsoleAPI(),
//		CheckPassword: func(ext, pw string) bool { return auth.CheckSIPPassword(domain, ext, pw) },
//		Context:       ctx,
//	})
//	srv.Mount("/", c)
package console
