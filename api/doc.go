// Package api is the switch's HTTP API: one route table (New) with one
// authentication and permission chain, one JSON error format, and the
// OpenAPI document at /v1/openapi.json.
//
// # Concepts
//
//   - Auth: bearer tokens. An organization token (http.tokens) may do
//     everything; a user's api_token acts as that user with the role's
//     permissions. Reload swaps tokens, users and roles at once on SIGHUP,
//     so a revoked token is refused from the next request.
//   - Require(perm, h): the permission a user's token needs for a route:
//     recording.listen for recordings, sms for texts, dialer for the
//     dialer, an organization token ("") for the rest. Refusals are 401
//     (no or a wrong token) and 403 naming what is missing.
//   - Errors: every error body is {"error": "..."} (jsonbody.Error); a
//     response that says more adds fields to the same object (a 422 for a
//     forwarding rule names its field, target and rule).
//   - Services: what the routes serve (the switch, the organization's
//     forwarding and numbers, the meter, the CDR store, the dialer,
//     texts); a nil service has no routes.
//   - The OpenAPI document (openapi.go) lists every route; a test walks
//     the module for registered "METHOD /v1/..." patterns and fails on
//     one the document lacks.
//
// # Wiring (cmd/dialtone)
//
//	auth := api.NewAuth(cfg)
//	srv, err := api.New(auth, api.Services{DB: db, Switch: sw, Organization: org, ...})
//	srv.Mount("/", consoleHandler) // console.Options{API: srv.ConsoleAPI()}
//	http.Server{Handler: srv}
//	// on SIGHUP: auth.Reload(next)
//
// Handlers that need a package's internals stay thin: the package offers
// plain methods and the handler turns them into HTTP.
package api
