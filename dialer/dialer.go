package dialer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dialtone/dialtone/dialer/pacing"
	"github.com/dialtone/dialtone/internal/kv"
	"github.com/dialtone/dialtone/webhook"
)

// Outbox queues webhook events in the dialer's own transactions
// (*webhook.Outbox).
type Outbox interface {
	Add(tx kv.Tx, typ string, data any) (webhook.Event, error)
	Notify()
}

// Options configure a Dialer. Store and Directory are required.
type Options struct {
	Store     kv.Store
	Engine    Engine // nil: campaigns and leads can be managed, not dialled
	Directory Directory
	Outbox    Outbox // nil: no webhooks
	Clock     Clock  // nil: the wall clock
	// NewPacer makes a campaign's pacing (nil: NewPowerPacer); the
	// integrator passes pacing.NewPower here.
	NewPacer func(Campaign) Pacer
	// LoadAudio reads a campaign's voicemail_drop (a WAV path or id)
	// into 8 kHz mono samples; nil: voicemail drops are refused.
	LoadAudio func(ref string) ([]int16, error)
	// Recheck is how often leads are looked at again for a retry_after
	// or calling hours that have come (default 30s).
	Recheck time.Duration
	Log     *slog.Logger
}

// Dialer is the campaigns of one organization.
type Dialer struct {
	opts  Options
	clock Clock
	log   *slog.Logger

	mu        sync.Mutex
	ctx       context.Context
	campaigns map[string]*run
	order     []string // campaign ids, oldest first
	dnc       map[string]DNCEntry
	legs      map[LegID]legRef // the legs the dialer placed or was handed
	recheck   Timer
	stopping  bool // the engine is shutting down: dial nothing more
	metrics   *metrics
	// savedLedgers are the abandon ledgers load read, for addRunLocked.
	savedLedgers map[string]*pacing.LedgerState
}

// legRef says what a leg is to the dialer.
type legRef struct {
	campaign string
	attempt  string // a lead's leg
	agent    string // an agent's session leg
}

// run is a campaign with its leads, attempts in flight and agents.
type run struct {
	c        Campaign
	leads    []*Lead // list order
	byID     map[string]*Lead
	byPhone  map[string]*Lead
	zones    map[string][]*time.Location // by lead id, computed once
	inFlight map[string]*Attempt         // by attempt id
	outcomes map[string]int              // attempts by outcome
	agents   map[string]*session         // live sessions by user
	ended    []AgentSession              // past sessions, for the stats
	pacer    Pacer
	ledger   *pacing.AbandonLedger // persons answered and abandons (abandon_ledger.go)
	pred     *predictiveState      // predictive calls between answer and agent
	// overloadedUntil: the switch refused a lead's call for overload
	// (ErrOverloaded); the campaign dials nothing until then.
	overloadedUntil time.Time
}

// session is a live agent session with what only lives in memory.
type session struct {
	AgentSession
	gen     int // bumped at each state change: a stale wrap-up timer sees it moved on
	lastKey rune
	keyAt   time.Time
	timer   Timer
	cancel  context.CancelFunc // ends the subscription to a *55 leg's events
}

// New loads the dialer's records and recovers from a crash: attempts that
// were in flight become interrupted and their leads eligible again,
// sessions of agents whose calls died with the process end, and
// campaigns keep the state they were in.
func New(opts Options) (*Dialer, error) {
	if opts.Store == nil || opts.Directory == nil {
		return nil, errors.New("dialer: a store and a directory are required")
	}
	if opts.Clock == nil {
		opts.Clock = wallClock{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.NewPacer == nil {
		opts.NewPacer = func(Campaign) Pacer { return NewPowerPacer() }
	}
	if opts.Recheck <= 0 {
		opts.Recheck = 30 * time.Second
	}
	d := &Dialer{opts: opts, clock: opts.Clock, log: opts.Log, ctx: context.Background(),
		campaigns: map[string]*run{}, dnc: map[string]DNCEntry{}, legs: map[LegID]legRef{}, metrics: newMetrics()}
	if err := d.load(); err != nil {
		return nil, err
	}
	return d, nil
}

// Start follows the engine's events and dials until ctx ends. Without an
// engine it does nothing: nothing can be dialled.
func (d *Dialer) Start(ctx context.Context) {
	if d.opts.Engine == nil {
		return
	}
	events := d.opts.Engine.Subscribe(ctx, EventFilter{})
	d.mu.Lock()
	d.ctx = ctx
	d.scheduleRecheckLocked()
	for _, id := range d.order {
		d.dispatchLocked(d.campaigns[id])
	}
	d.mu.Unlock()
	go func() {
		for {
			d.follow(ctx, events)
			if ctx.Err() != nil {
				return
			}
			// The engine dropped the subscription (a reader too slow):
			// events were lost, so say so, and follow again.
			d.log.Error("dialer: the engine ended the event subscription; subscribing again (calls in flight may need a hand)")
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second): // not a busy loop if the engine keeps refusing
			}
			events = d.opts.Engine.Subscribe(ctx, EventFilter{})
		}
	}()
	go func() {
		<-ctx.Done()
		d.mu.Lock()
		if d.recheck != nil {
			d.recheck.Stop()
		}
		d.mu.Unlock()
	}()
}

// follow handles a subscription's events until it ends.
func (d *Dialer) follow(ctx context.Context, events <-chan Event) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			d.handleEvent(ev)
		}
	}
}

// scheduleRecheckLocked looks at every running campaign's leads again
// after Recheck: leads whose retry_after passed or whose calling hours
// opened are dialled without waiting for another event.
func (d *Dialer) scheduleRecheckLocked() {
	d.recheck = d.clock.AfterFunc(d.opts.Recheck, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.ctx.Err() != nil {
			return
		}
		for _, id := range d.order {
			d.dispatchLocked(d.campaigns[id])
		}
		d.scheduleRecheckLocked()
	})
}

// update writes records (and the webhook events reporting them) in one
// transaction and wakes the outbox after the commit.
func (d *Dialer) update(fn func(tx kv.Tx) error) error {
	err := d.opts.Store.Update(fn)
	if err == nil && d.opts.Outbox != nil {
		d.opts.Outbox.Notify()
	}
	return err
}

// emit queues a webhook event in tx.
func (d *Dialer) emit(tx kv.Tx, typ string, data any) error {
	if d.opts.Outbox == nil {
		return nil
	}
	_, err := d.opts.Outbox.Add(tx, typ, data)
	return err
}

// engineCtx is the context engine calls are made under.
func (d *Dialer) engineCtx() context.Context { return d.ctx }

func (d *Dialer) now() time.Time { return d.clock.Now().UTC() }

// campaign finds a campaign by id.
func (d *Dialer) campaignLocked(id string) (*run, error) {
	r, ok := d.campaigns[id]
	if !ok {
		return nil, fmt.Errorf("%w: campaign %s", ErrNotFound, id)
	}
	return r, nil
}

// Errors the API maps to status codes.
var (
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid")
	ErrConflict = errors.New("conflict")
	// ErrForbidden: the user may not do this (not an agent of the
	// campaign, or lacks a permission).
	ErrForbidden = errors.New("forbidden")
)
