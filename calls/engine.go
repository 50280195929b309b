package calls

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/dialtone/dialtone/media"
)

// Engine holds the legs it placed or adopted and their media.
//
// Locking: e.mu guards the legs and their media owners (Endpoint, Relay);
// media taps never take it (they publish through the hub, which has its
// own lock), so detaching a relay under e.mu cannot wait on a tap that
// waits on e.mu. No method waits for an event to be read: subscribers
// that fall behind are dropped. Play waits for the prompt, without e.mu.
type Engine struct {
	net      Network
	log      *slog.Logger
	hub      hub
	chargeOf func(cdrLegID string) string

	mu   sync.Mutex
	legs map[LegID]*legState
}

// legState is one leg and what its media is doing.
type legState struct {
	leg     Leg
	id      LegID
	placed  bool  // placed by Originate (the empty filter covers it)
	earlyTo LegID // hears this leg's call progress
	up      bool  // answered (or adopted)
	early   bool  // has early media
	ended   bool

	ep        *media.Endpoint // the engine's own media end while unbridged
	epStop    context.CancelFunc
	prompting *atomic.Int32 // Plays in progress on ep: comfort silence waits
	relay     *media.Relay  // bridged: the relay and the other leg
	peer      *legState
	isA       bool          // the leg is the relay's A side
	relayDone chan struct{} // closed when the relay's media-timeout watch ends
}

// Option configures an Engine.
type Option func(*Engine)

// WithCharges has each leg-ended event carry the leg's charge as chargeOf
// reads it from the CDR the leg wrote (the leg has written and rated its
// CDR by the time it reports its end); without it Charge stays empty.
func WithCharges(chargeOf func(cdrLegID string) string) Option {
	return func(e *Engine) { e.chargeOf = chargeOf }
}

// New makes an engine that places legs through net.
func New(net Network, log *slog.Logger, opts ...Option) *Engine {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{net: net, log: log, legs: map[LegID]*legState{}}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Originate places a leg and returns its id at once; progress comes as
// events. Refusals wrap ErrRefused or billing.ErrInsufficientCredit.
func (e *Engine) Originate(ctx context.Context, o Origination) (LegID, error) {
	leg, err := e.net.Place(ctx, o)
	if err != nil {
		return "", err
	}
	ls := &legState{leg: leg, id: leg.ID(), placed: true, earlyTo: o.EarlyMediaTo, prompting: new(atomic.Int32)}
	e.mu.Lock()
	e.legs[ls.id] = ls
	e.mu.Unlock()
	go e.follow(ls)
	return ls.id, nil
}

// Adopt takes a leg that is already answered (an agent's *55 call): the
// engine terminates its media at once. Its events go only to
// subscribers that name it.
func (e *Engine) Adopt(leg Leg) LegID {
	ls := &legState{leg: leg, id: leg.ID(), up: true, prompting: new(atomic.Int32)}
	e.mu.Lock()
	e.legs[ls.id] = ls
	e.terminateLocked(ls)
	e.mu.Unlock()
	go e.follow(ls)
	return ls.id
}

// Subscribe streams the events of the legs f selects until ctx ends (or
// the subscriber falls more than a few thousand events behind).
func (e *Engine) Subscribe(ctx context.Context, f Filter) <-chan Event {
	return e.hub.subscribe(ctx, f)
}

// Hangup ends a leg (CANCEL or BYE).
func (e *Engine) Hangup(_ context.Context, id LegID, reason string) error {
	e.mu.Lock()
	ls := e.legs[id]
	e.mu.Unlock()
	if ls == nil {
		return fmt.Errorf("hang up %s: %w", id, ErrNoLeg)
	}
	ls.leg.Hangup(reason)
	return nil
}

// follow applies a leg's progress until it ends.
func (e *Engine) follow(ls *legState) {
	for p := range ls.leg.Progress() {
		switch p.Kind {
		case ProgressRinging:
			e.publish(ls, Event{Kind: EventRinging, At: p.At})
		case ProgressEarlyMedia:
			e.mu.Lock()
			ls.early = true
			e.earlyMediaLocked(ls)
			e.mu.Unlock()
			e.publish(ls, Event{Kind: EventEarlyMedia, At: p.At})
		case ProgressAnswered:
			e.mu.Lock()
			ls.up = true
			if ls.relay == nil {
				e.terminateLocked(ls)
			}
			e.mu.Unlock()
			e.publish(ls, Event{Kind: EventAnswered, At: p.At})
		case ProgressDTMF:
			e.publish(ls, Event{Kind: EventDTMF, At: p.At, Key: p.Key})
		case ProgressEnded:
			e.mu.Lock()
			ls.ended = true
			e.releaseLocked(ls)
			delete(e.legs, ls.id)
			e.mu.Unlock()
			ev := Event{Kind: EventLegEnded, At: p.At, Code: p.Code, Disposition: p.Disposition, CDRLegID: p.CDRLegID}
			if e.chargeOf != nil && p.CDRLegID != "" {
				ev.Charge = e.chargeOf(p.CDRLegID)
			}
			e.publish(ls, ev)
		}
	}
}

func (e *Engine) publish(ls *legState, ev Event) {
	ev.Leg = ls.id
	e.hub.publish(ev, ls.placed)
}

// earlyMediaLocked lets the leg that asked for it hear a leg's ringback:
// the two are relayed until the call is answered (the dialer bridges
// them then) or fails.
func (e *Engine) earlyMediaLocked(ls *legState) {
	to := e.legs[ls.earlyTo]
	if ls.earlyTo == "" || to == nil || to.ended || !to.up || ls.relay != nil {
		return
	}
	if err := e.bridgeLocked(to, ls); err != nil {
		e.log.Warn("calls: early media to agent", "leg", ls.id, "to", to.id, "error", err)
	}
}
