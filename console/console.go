package console

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"
)

//go:embed assets
var assets embed.FS

// Options wire the console to the switch.
type Options struct {
	// API is the /v1 handler chain, bearer authentication and permission
	// checks included. A request whose context carries a user
	// (SessionUser) acts as that user: the chain must accept it as it
	// would the user's token.
	API http.Handler
	// CheckPassword says whether password is the SIP password of the
	// user with this extension.
	CheckPassword func(extension, password string) bool
	Logger        *slog.Logger
	// SessionTTL is how long an idle session lasts (default 8h).
	SessionTTL time.Duration
	// MaxSessions bounds the sessions kept in memory (default 1000): the
	// least recently used goes first.
	MaxSessions int
	// LivePeriod is how often a live view polls the API (default 1s).
	LivePeriod time.Duration
	// Context ends the live views when the switch shuts down.
	Context context.Context
}

// Console serves the pages.
type Console struct {
	opts     Options
	log      *slog.Logger
	sessions *sessions
	limiter  *signInLimiter
	pages    map[string]*template.Template
	mux      *http.ServeMux
}

// New returns the console; it serves everything under / except /v1/.
func New(opts Options) (*Console, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 8 * time.Hour
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = 1000
	}
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	if opts.LivePeriod <= 0 {
		opts.LivePeriod = time.Second
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c := &Console{opts: opts, log: opts.Logger, pages: pages,
		sessions: newSessions(opts.MaxSessions, opts.SessionTTL, time.Now),
		limiter:  newSignInLimiter(5, 5*time.Minute, 10000, time.Now)}
	c.mux = c.routes()
	return c, nil
}

func (c *Console) routes() *http.ServeMux {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets/static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticFiles(static)))
	mux.HandleFunc("GET /signin", c.handleSignInPage)
	mux.HandleFunc("POST /signin", c.handleSignIn)
	mux.HandleFunc("POST /signout", c.withSession(c.handleSignOut))
	mux.HandleFunc("GET /{$}", c.withSession(func(w http.ResponseWriter, r *http.Request, s *session) {
		http.Redirect(w, r, c.firstTab(r.Context(), s), http.StatusSeeOther)
	}))
	mux.HandleFunc("GET /credit", c.withSession(c.handleCredit))
	mux.HandleFunc("POST /credit/topup", c.withSession(c.handleTopUp))
	mux.HandleFunc("GET /usage", c.withSession(c.handleUsage))
	mux.HandleFunc("GET /usage.csv", c.withSession(c.handleUsageCSV))
	mux.HandleFunc("GET /calls", c.withSession(c.handleCalls))
	mux.HandleFunc("GET /calls/live", c.withSession(c.handleCallsLive))
	mux.HandleFunc("GET /recordings/{leg_id}", c.withSession(c.handleRecording))
	mux.HandleFunc("GET /phones", c.withSession(c.handlePhones))
	mux.HandleFunc("GET /texts", c.withSession(c.handleTexts))
	mux.HandleFunc("GET /campaigns", c.withSession(c.handleCampaigns))
	mux.HandleFunc("GET /campaigns/{id}", c.withSession(c.handleCampaign))
	mux.HandleFunc("GET /campaigns/{id}/live", c.withSession(c.handleCampaignLive))
	mux.HandleFunc("POST /campaigns/{id}/{action}", c.withSession(c.handleCampaignAction))
	return mux
}

// ServeHTTP serves the console with headers that keep its pages from
// loading anything from elsewhere or being framed.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
		"media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	c.mux.ServeHTTP(w, r)
}

// staticFiles serves the embedded CSS and JS, cacheable for an hour.
func staticFiles(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
