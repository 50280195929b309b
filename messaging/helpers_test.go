package messaging

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/sip"
	"github.com/shopspring/decimal"
	"go.etcd.io/bbolt"
)

const (
	testSID   = "ACtest00000000000000000000000000"
	testToken = "testauthtoken0123"
	testBase  = "https://switch.example.com"

	orgSMS   = "+14155550100" // 1001's, sms: true
	orgNoSMS = "+14155550101" // 1001's, no sms
	orgGB    = "+442071838750"
	orgGroup = "+14155550102" // group sales, sms: true
	usPeer   = "+12125550123"
	caPeer   = "+14165550123"
	gbPeer   = "+447400123456"
	frPeer   = "+33612345678"
)

func testConfig() *config.Config {
	return &config.Config{
		Organization: config.Organization{ID: "acme", Currency: "USD", StartingBalance: decimal.RequireFromString("10")},
		Roles: []config.Role{
			{Name: "agent", Permissions: []string{config.PermSMS, config.PermMMS}},
			{Name: "smsonly", Permissions: []string{config.PermSMS}},
			{Name: "voice", Permissions: []string{config.PermCallsOutbound}},
		},
		Users: []config.User{
			{Extension: "1001", Name: "alice", Role: "agent", CallerIDs: []string{orgNoSMS, orgSMS}},
			{Extension: "1002", Name: "bob", Role: "voice", CallerIDs: []string{orgSMS}},
			{Extension: "1003", Name: "carol", Role: "smsonly", CallerIDs: []string{orgGB}},
			{Extension: "1004", Name: "dave", Role: "agent"},
		},
		Groups: []config.Group{{Name: "sales", Members: []string{"1003", "1004"}}},
		Numbers: []config.Number{
			{Number: orgSMS, User: "1001", SMS: true},
			{Number: orgNoSMS, User: "1001"},
			{Number: orgGB, User: "1003", SMS: true},
			{Number: orgGroup, Group: "sales", SMS: true},
		},
		Twilio: config.Twilio{AccountSID: testSID, AuthToken: testToken, WebhookBaseURL: testBase, RatePerNumber: 1000},
	}
}

// fakeTwilio is Twilio's Messages API: it records every request and
// answers by the To number: refused with a scripted error code, failing
// (HTTP 500) a scripted number of times, else accepted with Twilio's
// segment count.
type fakeTwilio struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []url.Values
	// refuse maps a To number to the Twilio error code it gets.
	refuse map[string]int
	// fail500 counts down the requests answered 500 before accepting.
	fail500 int
	seq     int
}

var twilioErrors = map[int]string{
	21610: "Attempt to send to unsubscribed recipient",
	21211: "Invalid 'To' Phone Number",
}

func newFakeTwilio(t *testing.T) *fakeTwilio {
	f := &fakeTwilio{refuse: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != testSID || pass != testToken {
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"code":20003,"message":"Authenticate","status":401}`)
			return
		}
		if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+testSID+"/Messages.json" {
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `{"code":20404,"message":"not found","status":404}`)
			return
		}
		_ = r.ParseForm()
		f.mu.Lock()
		f.got = append(f.got, r.PostForm)
		to := r.PostForm.Get("To")
		code, refused := f.refuse[to]
		fail := f.fail500 > 0
		if fail {
			f.fail500--
		}
		f.seq++
		sid := fmt.Sprintf("SM%030d", f.seq)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case fail:
			w.WriteHeader(500)
			_, _ = io.WriteString(w, `{"code":20500,"message":"Internal Server Error","status":500}`)
		case refused:
			w.WriteHeader(400)
			_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": twilioErrors[code], "status": 400})
		default:
			w.WriteHeader(201)
			segs := billing.Segments(r.PostForm.Get("Body")).Segments
			_ = json.NewEncoder(w).Encode(map[string]any{
				"sid": sid, "status": "queued", "num_segments": fmt.Sprint(max(segs, 1)),
				"from": r.PostForm.Get("From"), "to": to, "body": r.PostForm.Get("Body"),
			})
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTwilio) requests() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.got...)
}

// fakePhones are the switch's phones: registered users take texts.
type fakePhones struct {
	mu         sync.Mutex
	registered map[string]bool
	got        map[string][]sip.OutgoingText
	delivered  chan string
}

func newFakePhones(registered ...string) *fakePhones {
	p := &fakePhones{registered: map[string]bool{}, got: map[string][]sip.OutgoingText{}, delivered: make(chan string, 100)}
	for _, u := range registered {
		p.registered[u] = true
	}
	return p
}

func (p *fakePhones) DeliverText(_ context.Context, user string, t sip.OutgoingText) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.registered[user] {
		return 0, sip.ErrNoPhones
	}
	p.got[user] = append(p.got[user], t)
	p.delivered <- user
	return 1, nil
}

func (p *fakePhones) register(user string) {
	p.mu.Lock()
	p.registered[user] = true
	p.mu.Unlock()
}

func (p *fakePhones) texts(user string) []sip.OutgoingText {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]sip.OutgoingText(nil), p.got[user]...)
}

// waitDelivered waits for n deliveries (events, not time thresholds: the
// deadline only keeps a broken test from hanging).
func (p *fakePhones) waitDelivered(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-p.delivered:
		case <-time.After(10 * time.Second):
			t.Fatal("text not delivered to a phone")
		}
	}
}

// recordingNotifier keeps CRM events.
type recordingNotifier struct {
	mu     sync.Mutex
	events []Event
}

func (n *recordingNotifier) Notify(_ context.Context, e Event) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.events = append(n.events, e)
	return nil
}

func (n *recordingNotifier) states(id string) []State {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []State
	for _, e := range n.events {
		if e.Data.ID == id {
			out = append(out, e.Data.State)
		}
	}
	return out
}

type env struct {
	t      *testing.T
	db     *bbolt.DB
	cfgMu  sync.Mutex
	cfg    *config.Config
	store  *BoltStore
	meter  *billing.Meter
	twilio *fakeTwilio
	phones *fakePhones
	events *recordingNotifier
	svc    *Service
	cancel context.CancelFunc
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openDB(t *testing.T, path string) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newEnv starts a service on a fresh database with a fake Twilio, a
// meter on the sample deck and fake phones.
func newEnv(t *testing.T, registered ...string) *env {
	t.Helper()
	e := &env{t: t, db: openDB(t, filepath.Join(t.TempDir(), "dialtone.db")), cfg: testConfig(),
		twilio: newFakeTwilio(t), phones: newFakePhones(registered...), events: &recordingNotifier{}}
	e.cfg.Twilio.APIBaseURL = e.twilio.srv.URL
	var err error
	if e.store, err = OpenBoltStore(e.db); err != nil {
		t.Fatal(err)
	}
	if e.meter, err = billing.NewMeter(e.db, e.cfg, billing.SampleDeck(), billing.WithLogger(quiet())); err != nil {
		t.Fatal(err)
	}
	e.start(nil)
	return e
}

// start (re)starts the service on the env's store, as a restart would.
func (e *env) start(afterAccept func(*Message)) {
	e.t.Helper()
	if e.cancel != nil {
		e.cancel()
		e.svc.Wait()
	}
	tw, err := NewTwilio(testSID, testToken, e.twilio.srv.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	svc, err := New(Options{Store: e.store, Carrier: tw, Meter: e.meter.Texts(), Phones: e.phones, Notifier: e.events,
		Config: e.config, Logger: quiet(), AfterAccept: afterAccept})
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.t.Cleanup(cancel)
	if err := svc.Start(ctx); err != nil {
		e.t.Fatal(err)
	}
	e.svc = svc
}

func (e *env) config() *config.Config {
	e.cfgMu.Lock()
	defer e.cfgMu.Unlock()
	return e.cfg
}

// setRate changes twilio.rate_per_number as a reload would: a new config.
func (e *env) setRate(rate float64) {
	e.cfgMu.Lock()
	defer e.cfgMu.Unlock()
	c := *e.cfg
	c.Twilio.RatePerNumber = rate
	e.cfg = &c
}

// waitFor polls the store until cond holds for the text (the outbox works
// in the background); the deadline only bounds a broken test.
func (e *env) waitFor(id string, cond func(*Message) bool) *Message {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := e.store.Get(id)
		if err != nil {
			e.t.Fatal(err)
		}
		if cond(m) {
			return m
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("text %s stuck: %+v", id, m)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func charged(m *Message) bool { return m.Charged }

func (e *env) balance() string { return e.meter.Ledger().Balance("acme").StringFixed(2) }

// textPostings counts the ledger's text postings.
func (e *env) textPostings() []billing.Posting {
	ps, err := e.meter.Ledger().Postings(time.Time{}, time.Time{}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []billing.Posting
	for _, p := range ps {
		if p.Kind == billing.PostText {
			out = append(out, p)
		}
	}
	return out
}

// twilioSignature signs a webhook as Twilio does (the validator's
// algorithm): HMAC-SHA1 over the URL and the sorted form, base64.
func twilioSignature(token, u string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(u)
	for _, k := range keys {
		b.WriteString(k + form.Get(k))
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// webhook posts a form to one of the service's Twilio routes, signed
// with sig ("" leaves the header out).
func (e *env) webhook(path string, form url.Values, sig string) *httptest.ResponseRecorder {
	mux := http.NewServeMux()
	e.svc.WebhookRoutes(mux)
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sig != "" {
		r.Header.Set("X-Twilio-Signature", sig)
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	return w
}

func (e *env) signedWebhook(path string, form url.Values) *httptest.ResponseRecorder {
	return e.webhook(path, form, twilioSignature(testToken, testBase+path, form))
}
