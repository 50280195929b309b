package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"go.etcd.io/bbolt"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/console"
	"github.com/dialtone/dialtone/dialer"
	"github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/messaging"
	"github.com/dialtone/dialtone/sip"
)

// Services are what the API serves; a nil one has no routes (a switch
// without billing has no /v1/balance).
type Services struct {
	DB      *bbolt.DB // CDRs, the call log, usage and recordings
	DataDir string    // where recordings are
	Switch  *sip.Switch
	Meter   *Meter // the billing routes
	Dialer  *dialer.Dialer
	Texts   *messaging.Service
	// Organization is the users' forwarding and the numbers the API
	// changes.
	Organization *directory.Organization
	// Voicemail is the users' mailboxes (package voicemail).
	Voicemail Mailboxes
	// Metrics is served at /metrics to organization tokens; nil when it
	// has a listener of its own (http.metrics_listen).
	Metrics http.Handler
}

// Server is the HTTP API: /healthz, /metrics, every /v1 route behind
// bearer authentication and its permission, Twilio's webhooks, and
// whatever is mounted next to them (the console at /).
type Server struct {
	mux  *http.ServeMux
	v1   http.Handler // the /v1 routes with their permission checks, before authentication
	auth *Auth
}

// New builds the route table. Organization tokens may do everything; a
// user's token only what the user's role permits: listening to
// recordings needs recording.listen, texts sms, the dialer dialer, the
// rest of the API an organization token.
func New(auth *Auth, s Services) (*Server, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`+"\n")
	})
	if s.Metrics != nil {
		// The metrics carry the balance and the call volume: an
		// organization token reads them, like the API.
		mux.Handle("GET /metrics", auth.Bearer(Require("", s.Metrics)))
	}
	mux.Handle("/debug/pprof/", auth.Bearer(Require("", pprofHandler())))

	org := http.NewServeMux() // organization tokens only
	root := http.NewServeMux()
	if s.DB != nil {
		org.Handle("GET /v1/cdrs", cdrsHandler(s.DB))
		org.Handle("GET /v1/call-log", callLogHandler(s.DB))
		org.Handle("GET /v1/usage/calls", callUsageHandler(s.DB))
		root.Handle("GET /v1/recordings/{leg_id}", Require(config.PermRecordingListen, recordingHandler(s.DB, s.DataDir)))
	}
	if s.Switch != nil {
		switchRoutes(org, s.Switch)
	}
	if s.Organization != nil {
		organizationRoutes(org, s.Organization)
	}
	if s.Voicemail != nil {
		voicemailRoutes(org, s.Voicemail)
	}
	if s.Meter != nil {
		meterRoutes(org, s.Meter)
	}
	root.Handle("/v1/", Require("", org))

	if s.Dialer != nil {
		dial := http.NewServeMux()
		s.Dialer.Routes(dial)
		h := Require(config.PermDialer, dial)
		for _, prefix := range []string{"/v1/campaigns", "/v1/campaigns/", "/v1/dnc", "/v1/dnc/"} {
			root.Handle(prefix, h)
		}
	}
	if s.Texts != nil {
		// A user's token sends and reads texts as that user.
		s.Texts.WebhookRoutes(mux)
		texts := http.NewServeMux()
		s.Texts.APIRoutes(texts, Caller)
		root.Handle("/v1/messages", Require(config.PermSMS, texts))
		root.Handle("/v1/messages/", Require(config.PermSMS, texts))
	}
	doc, err := json.Marshal(openAPIDocument())
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	root.Handle("GET /v1/openapi.json", handleOpenAPI(doc))

	mux.Handle("/v1/", auth.Bearer(root))
	return &Server{mux: mux, v1: root, auth: auth}, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Mount serves h at pattern next to the API (the console at "/").
func (s *Server) Mount(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// ConsoleAPI is the /v1 chain the console calls: behind bearer
// authentication (a session holding a token sends it as a bearer), or,
// for a user who signed in with the SIP password, as that user with the
// role's permissions, as the user's own api_token would.
func (s *Server) ConsoleAPI() http.Handler {
	bearer := s.auth.Bearer(s.v1)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ext, ok := console.SessionUser(r.Context()); ok {
			s.auth.AsUser(ext, s.v1).ServeHTTP(w, r)
			return
		}
		bearer.ServeHTTP(w, r)
	})
}
