package calls

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
	orgdir "github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/internal/testorg"
	"github.com/dialtone/dialtone/media"
)

// The loop's tests run calls on a fake host: the directory of a config,
// the forwarding rules saved through the API, a fake network, and the
// CDRs kept in memory. No SIP, no sockets.

// loopYAML: alice may call anything, bob may call out at home, carol
// may not call out; the sales group is alice and bob.
const loopYAML = testorg.PermissionsYAML

// keptCDRs keeps the CDRs a test's calls write.
type keptCDRs struct {
	mu   sync.Mutex
	legs []billing.CDR
}

// savedForwarding is forwarding rules saved through the API earlier.
type savedForwarding map[string]config.Forwarding

func (s savedForwarding) LoadForwarding() (map[string]config.Forwarding, error) { return s, nil }
func (s savedForwarding) SaveForwarding(ext string, f config.Forwarding) error {
	s[ext] = f
	return nil
}

// fakeHost is a switch as a call sees it.
type fakeHost struct {
	dir    atomic.Pointer[Directory]
	fwd    *orgdir.Forwardings
	meter  Meter
	ringer HopRinger
	cdrs   *keptCDRs
	log    *slog.Logger
	ctx    context.Context
	calls  sync.WaitGroup
	// announcement is the recording announcement (nil: none configured).
	announcement []int16
	registered   map[string]bool // extensions with a phone registered
	pool         *media.Pool     // nil: media goes end to end
	stopping     bool            // shutting down: no engine leg is admitted
	overloaded   bool            // every place for a call in setup is taken
	settingUp    atomic.Int32    // engine legs admitted whose setup is not done
	agentJoin    AgentJoin
}

func newFakeHost(t *testing.T, fwd savedForwarding) *fakeHost {
	t.Helper()
	h := &fakeHost{cdrs: &keptCDRs{}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var cancel context.CancelFunc
	h.ctx, cancel = context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h.load(t, loopYAML)
	var store orgdir.ForwardingStore
	if fwd != nil {
		store = fwd
	}
	var err error
	if h.fwd, err = orgdir.LoadForwardings(store, h.dir.Load().Directory); err != nil {
		t.Fatal(err)
	}
	return h
}

// load applies a config, as the switch's reload does: calls started
// before it keep their settings.
func (h *fakeHost) load(t *testing.T, yaml string) {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	noHash := func(_, _ string) string { return "" }
	h.dir.Store(&Directory{Directory: orgdir.New(cfg, noHash), RecordAll: cfg.Media.RecordAll, Settings: Settings{
		RingTimeout: cfg.SIP.RingTimeout.Duration, MaxCallDuration: cfg.SIP.MaxCallDuration.Duration,
		TransferRecall: true, ForwardCallerID: cfg.SIP.ForwardCallerID, MaxForks: config.DefaultMaxForks,
	}})
}

func (h *fakeHost) HopRinger() HopRinger                          { return h.ringer }
func (h *fakeHost) CallDirectory() *Directory                     { return h.dir.Load() }
func (h *fakeHost) ForwardingOf(u *orgdir.User) config.Forwarding { return h.fwd.Of(u) }
func (h *fakeHost) Registered(ext string) bool                    { return h.registered[ext] }
func (h *fakeHost) CreditMeter() Meter                            { return h.meter }
func (h *fakeHost) ClaimUserCall(*orgdir.User) (func(), bool)     { return func() {}, true }
func (h *fakeHost) MediaPool() *media.Pool                        { return h.pool }
func (h *fakeHost) MediaAddr() string                             { return "127.0.0.1" }
func (h *fakeHost) RecordingsDir() string                         { return "" }
func (h *fakeHost) RecordingAnnouncement() []int16                { return h.announcement }
func (h *fakeHost) VoicemailBox() Voicemail                       { return nil }
func (h *fakeHost) AgentJoiner() AgentJoin                        { return h.agentJoin }
func (h *fakeHost) LegStarted(*billing.CDR)                       {}
func (h *fakeHost) LegEnded(c *billing.CDR) error {
	h.cdrs.mu.Lock()
	defer h.cdrs.mu.Unlock()
	h.cdrs.legs = append(h.cdrs.legs, *c)
	return nil
}
func (h *fakeHost) CountCall(string)                          {}
func (h *fakeHost) CountLeg(billing.Disposition)              {}
func (h *fakeHost) CountNoAck()                               {}
func (h *fakeHost) CountMedia(billing.Direction, media.Stats) {}
func (h *fakeHost) StoreDialog(*CallLeg)                      {}
func (h *fakeHost) ForgetDialog(*CallLeg)                     {}
func (h *fakeHost) LegByDialog(*Replaces) *CallLeg            { return nil }
func (h *fakeHost) StoreCall(*Call)                           {}
func (h *fakeHost) ForgetCall(string)                         {}
func (h *fakeHost) RunContext() context.Context               { return h.ctx }
func (h *fakeHost) CallStarted()                              { h.calls.Add(1) }
func (h *fakeHost) CallDone()                                 { h.calls.Done() }
func (h *fakeHost) AckTimeout() time.Duration                 { return 32 * time.Second }
func (h *fakeHost) ByeTimeout() time.Duration                 { return 5 * time.Second }
func (h *fakeHost) AdmitCall() (done, setupDone func(), err error) {
	if h.stopping {
		return nil, nil, ErrStopping
	}
	if h.overloaded {
		return nil, nil, ErrOverloaded
	}
	h.calls.Add(1)
	h.settingUp.Add(1)
	var once sync.Once
	return h.calls.Done, func() { once.Do(func() { h.settingUp.Add(-1) }) }, nil
}
