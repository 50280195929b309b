package dialer

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/internal/kv"
	"github.com/dialtone/dialtone/webhook"
)

// fakeEngine records what the dialer asks; tests play the network's
// answers with h.event.
type fakeEngine struct {
	mu         sync.Mutex
	placed     []placed
	hungUp     []LegID
	bridged    [][2]LegID
	unbridged  []LegID
	played     chan LegID
	refuse     func(Origination) error
	subscribed [][]LegID
	subs       []chan Event
}

type placed struct {
	Leg LegID
	Origination
}

var legSeq atomic.Int64

func newFakeEngine() *fakeEngine { return &fakeEngine{played: make(chan LegID, 16)} }

func (e *fakeEngine) Originate(_ context.Context, o Origination) (LegID, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.refuse != nil {
		if err := e.refuse(o); err != nil {
			return "", err
		}
	}
	leg := LegID(fmt.Sprintf("leg-%d", legSeq.Add(1))) // unique across restarts, like the engine's
	e.placed = append(e.placed, placed{leg, o})
	return leg, nil
}

// overloadLeads makes the engine turn every lead's call away as a switch
// at its setup limit does (an agent's own leg still rings); refused is
// how many it turned away so far.
func (h *harness) overloadLeads() (refused func() int) {
	n := 0 // under h.eng.mu: Originate calls refuse with it held
	h.eng.refuse = func(o Origination) error {
		if o.Tags[TagLead] == "" {
			return nil
		}
		n++
		return fmt.Errorf("originate: %w", ErrOverloaded)
	}
	return func() int {
		h.eng.mu.Lock()
		defer h.eng.mu.Unlock()
		return n
	}
}

func (e *fakeEngine) Bridge(_ context.Context, a, b LegID) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.bridged = append(e.bridged, [2]LegID{a, b})
	return nil
}

func (e *fakeEngine) Unbridge(_ context.Context, leg LegID) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.unbridged = append(e.unbridged, leg)
	return nil
}

func (e *fakeEngine) Play(_ context.Context, leg LegID, _ []int16) error {
	e.played <- leg
	return nil
}

func (e *fakeEngine) Hangup(_ context.Context, leg LegID, _ string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hungUp = append(e.hungUp, leg)
	return nil
}

func (e *fakeEngine) Subscribe(ctx context.Context, f EventFilter) <-chan Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.subscribed = append(e.subscribed, f.Legs)
	ch := make(chan Event, 16)
	e.subs = append(e.subs, ch)
	return ch
}

// send delivers an event through the dialer's main subscription, as the
// engine does.
func (e *fakeEngine) send(ev Event) {
	e.mu.Lock()
	ch := e.subs[0]
	e.mu.Unlock()
	ch <- ev
}

func (e *fakeEngine) dials() []placed {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []placed
	for _, p := range e.placed {
		if strings.HasPrefix(p.To, "+") {
			out = append(out, p)
		}
	}
	return out
}

func (e *fakeEngine) wasHungUp(leg LegID) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Contains(e.hungUp, leg)
}

// fakeClock fires timers when a test advances it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
	c       *fakeClock
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f, c: c}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves time on, firing the timers that come due in order, in
// the test's goroutine.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
		var next *fakeTimer
		for i, t := range c.timers {
			if t.stopped {
				continue
			}
			if !t.at.After(end) {
				next = t
				c.timers = append(c.timers[:i:i], c.timers[i+1:]...)
			}
			break
		}
		if next == nil {
			c.timers = slices.DeleteFunc(c.timers, func(t *fakeTimer) bool { return t.stopped })
			c.now = end
			c.mu.Unlock()
			return
		}
		next.stopped = true
		c.now = next.at
		c.mu.Unlock()
		next.f()
	}
}

// fakeDirectory: users by extension with their permissions.
type fakeDirectory struct {
	mu        sync.Mutex
	users     map[string]map[string]bool
	callerIDs []string
}

func (f *fakeDirectory) Permissions(user string) (map[string]bool, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.users[user]
	return p, ok
}

func (f *fakeDirectory) CallerIDs() []string { return f.callerIDs }

func agentPerms(extra ...string) map[string]bool {
	p := map[string]bool{config.PermDialer: true, config.PermCallsOutbound: true}
	for _, x := range extra {
		p[x] = true
	}
	return p
}

// harness is a dialer on a fake engine, a fake clock and a real store.
type harness struct {
	t      testing.TB
	d      *Dialer
	eng    *fakeEngine
	clock  *fakeClock
	store  kv.Store
	dir    *fakeDirectory
	outbox *webhook.Outbox
	ctx    context.Context
}

// Monday 2 March 2026, 15:00 UTC: 10:00 in New York, 07:00 in Los Angeles.
var monday = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

const callerID = "+12125550100"

func newHarness(t testing.TB) *harness {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "dialtone.db"), 0o600, &bbolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	h := &harness{t: t, clock: &fakeClock{now: monday}, store: kv.NewBolt(db),
		dir: &fakeDirectory{users: map[string]map[string]bool{
			"1001": agentPerms(), "1002": agentPerms(), "1003": agentPerms(config.PermCallsInternational),
			"1009": {config.PermCallsOutbound: true}, // no dialer permission
		}, callerIDs: []string{callerID}}}
	h.start()
	return h
}

// start makes the dialer from the store, as a (re)start of the switch.
func (h *harness) start() {
	h.t.Helper()
	h.eng = newFakeEngine()
	h.outbox = webhook.New(webhook.Options{Store: h.store, Now: h.clock.Now})
	d, err := New(Options{Store: h.store, Engine: h.eng, Directory: h.dir, Outbox: h.outbox, Clock: h.clock,
		LoadAudio: func(ref string) ([]int16, error) {
			if ref != "vm.wav" {
				return nil, fmt.Errorf("no message %q", ref)
			}
			return make([]int16, 800), nil
		}})
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.t.Cleanup(cancel)
	h.ctx = ctx
	h.d = d
	d.Start(ctx)
}

func (h *harness) campaign(mut func(*CampaignRequest)) Campaign {
	h.t.Helper()
	req := CampaignRequest{Name: "spring", CallerID: callerID, Agents: []string{"1001", "1002", "1003"}}
	if mut != nil {
		mut(&req)
	}
	c, err := h.d.CreateCampaign(req)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func (h *harness) leads(id string, phones ...string) {
	h.t.Helper()
	body := "phone,name\n"
	for i, p := range phones {
		body += fmt.Sprintf("%s,lead %d\n", p, i+1)
	}
	res, err := h.d.AddLeads(id, []byte(body), true)
	if err != nil || len(res.Errors) > 0 {
		h.t.Fatalf("AddLeads: %v %+v", err, res.Errors)
	}
}

func (h *harness) startCampaign(id string) {
	h.t.Helper()
	if _, err := h.d.StartCampaign(id); err != nil {
		h.t.Fatal(err)
	}
}

// join makes user an agent through *55<number>; the agent's leg is
// "agent-USER".
func (h *harness) join(c Campaign, user string) LegID {
	h.t.Helper()
	leg := LegID("agent-" + user)
	if err := h.d.AgentJoined(h.ctx, user, c.Number, leg); err != nil {
		h.t.Fatal(err)
	}
	return leg
}

func (h *harness) event(kind EventKind, leg LegID, disposition string, code int) {
	h.d.handleEvent(Event{Kind: kind, Leg: leg, At: h.clock.Now(), Disposition: disposition, Code: code,
		CDRLegID: "cdr-" + string(leg), Charge: "0.02"})
}

func (h *harness) ended(leg LegID, disposition string, code int) {
	h.event(EventLegEnded, leg, disposition, code)
}

func (h *harness) key(leg LegID, keys string) {
	for _, k := range keys {
		h.d.handleEvent(Event{Kind: EventDTMF, Leg: leg, Key: k})
	}
}

// lastDial is the latest lead leg placed for agent.
func (h *harness) lastDial(agent string) placed {
	h.t.Helper()
	ds := h.eng.dials()
	for i := len(ds) - 1; i >= 0; i-- {
		if ds[i].User == agent {
			return ds[i]
		}
	}
	h.t.Fatalf("no dial for agent %s (dials %+v)", agent, ds)
	return placed{}
}

func (h *harness) lead(campaignID, phone string) Lead {
	h.t.Helper()
	ls, err := h.d.Leads(campaignID, "")
	if err != nil {
		h.t.Fatal(err)
	}
	for _, l := range ls {
		if l.Phone == phone {
			return l
		}
	}
	h.t.Fatalf("no lead %s", phone)
	return Lead{}
}

func (h *harness) agentState(c Campaign, user string) string {
	h.t.Helper()
	st, err := h.d.Stats(c.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, a := range st.Agents {
		if a.User == user {
			return a.State
		}
	}
	return ""
}

func (h *harness) attempts(campaignID string) []Attempt {
	h.t.Helper()
	as, err := h.d.Attempts(campaignID)
	if err != nil {
		h.t.Fatal(err)
	}
	return as
}

// webhooks are the data of the queued webhook events of a type, oldest
// first.
func (h *harness) webhooks(typ string) []map[string]any {
	h.t.Helper()
	var out []map[string]any
	err := h.store.View(func(tx kv.Tx) error {
		return tx.ForEach("webhook_outbox", func(_ string, raw []byte) error {
			var q struct{ Event webhook.Event }
			if err := json.Unmarshal(raw, &q); err != nil {
				return err
			}
			if q.Event.Type == typ {
				var data map[string]any
				if err := json.Unmarshal(q.Event.Data, &data); err != nil {
					return err
				}
				out = append(out, data)
			}
			return nil
		})
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}
