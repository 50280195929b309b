package messaging

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/phone"
	"github.com/dialtone/dialtone/sip"
	"github.com/google/uuid"
)

// Phones reaches users' phones: the switch.
type Phones interface {
	// DeliverText sends a text to every registered phone of user; with
	// none registered it is sip.ErrNoPhones.
	DeliverText(ctx context.Context, user string, t sip.OutgoingText) (int, error)
}

// Meter prices and charges texts (*billing.Texts).
type Meter interface {
	Authorize(msg billing.TextRecord) (*billing.Charge, error)
	Post(ctx context.Context, msg billing.TextRecord) (*billing.Charge, error)
}

// Options are the service's collaborators.
type Options struct {
	Store    Store
	Carrier  Carrier  // nil: texts to outside numbers are refused
	Meter    Meter    // nil: texts are free
	Phones   Phones   // nil: texts to users are only stored
	Notifier Notifier // nil: no CRM events
	// Config is the running config (users, roles, numbers' sms flags,
	// the twilio section); Numbers the organization's numbers (config and
	// API).
	Config  func() *config.Config
	Numbers func() []config.Number
	Logger  *slog.Logger
	Now     func() time.Time
	// AfterAccept runs after the carrier's acceptance is stored and before
	// the charge is posted: a crash test pauses there.
	AfterAccept func(m *Message)
}

// Service is texts' business logic: it implements sip.MessageHandler.
type Service struct {
	o      Options
	log    *slog.Logger
	outbox *outbox

	userMu sync.Map // extension -> *sync.Mutex: one delivery run per user, in order
	bg     sync.WaitGroup
	ctx    context.Context
}

var _ sip.MessageHandler = (*Service)(nil)

// New builds the service; Start runs the outbox.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Config == nil {
		return nil, fmt.Errorf("messaging: a store and a config are required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Numbers == nil {
		o.Numbers = func() []config.Number { return o.Config().Numbers }
	}
	s := &Service{o: o, log: o.Logger, ctx: context.Background()}
	s.outbox = newOutbox(s)
	return s, nil
}

// Start posts the charges a crash left unposted, sends what the outbox
// holds and delivers as phones register, until ctx ends.
func (s *Service) Start(ctx context.Context) error {
	s.ctx = ctx
	unposted, err := s.o.Store.Unposted()
	if err != nil {
		return fmt.Errorf("messaging start: %w", err)
	}
	for _, m := range unposted {
		s.log.Info("text: posting the charge a restart left unposted", "id", m.ID, "sid", m.SID)
		s.postCharge(ctx, m)
	}
	return s.outbox.start(ctx)
}

func (s *Service) now() time.Time { return s.o.Now().UTC() }

func newID() string { return "msg_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:20] }

// directory views of the config.

type userInfo struct {
	ext       string
	name      string
	display   string
	perms     map[string]bool
	callerIDs []string
}

func (s *Service) user(name string) *userInfo {
	cfg := s.o.Config()
	perms := cfg.RolePermissions()
	for _, u := range cfg.Users {
		if u.Extension == name || (u.Name != "" && u.Name == name) {
			return &userInfo{ext: u.Extension, name: u.Name, display: u.DisplayName, perms: perms[u.Role], callerIDs: u.CallerIDs}
		}
	}
	return nil
}

func (s *Service) number(e164 string) *config.Number {
	for _, n := range s.o.Numbers() {
		if n.Number == e164 {
			return &n
		}
	}
	return nil
}

// owners are the extensions a number's texts go to: its user, or its
// group's members.
func (s *Service) owners(n *config.Number) []string {
	if n.User != "" {
		if u := s.user(n.User); u != nil {
			return []string{u.ext}
		}
		return nil
	}
	for _, g := range s.o.Config().Groups {
		if g.Name == n.Group {
			var out []string
			for _, m := range g.Members {
				if u := s.user(m); u != nil {
					out = append(out, u.ext)
				}
			}
			return out
		}
	}
	return nil
}

// e164 accepts a number already in E.164 (phones' numbers are made so
// by the switch, the API takes only E.164).
func e164(s string) (string, bool) {
	e, err := phone.Normalize(s, "")
	return e, err == nil
}

// notify tells the CRM a text's state changed.
func (s *Service) notify(m *Message) {
	if s.o.Notifier == nil {
		return
	}
	e := Event{ID: fmt.Sprintf("%s:%s", m.ID, m.State), Type: "message.status", Time: s.now(), Data: m.clone()}
	if err := s.o.Notifier.Notify(s.ctx, e); err != nil {
		s.log.Error("crm event not persisted", "id", m.ID, "error", err)
	}
}
