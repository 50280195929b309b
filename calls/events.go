package calls

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// EventKind is what happened to a leg.
type EventKind string

// Event kinds.
const (
	EventRinging    EventKind = "ringing"
	EventEarlyMedia EventKind = "early-media"
	EventAnswered   EventKind = "answered"
	EventBridged    EventKind = "bridged"
	EventDTMF       EventKind = "dtmf"
	EventAudio      EventKind = "audio"
	EventLegEnded   EventKind = "leg-ended"
)

// Event is one thing that happened to a leg.
type Event struct {
	Kind        EventKind
	Leg         LegID
	At          time.Time
	Key         rune    // dtmf
	Code        int     // leg-ended: the SIP code
	Disposition string  // leg-ended: the CDR's disposition
	CDRLegID    string  // leg-ended
	Charge      string  // leg-ended: the charge as a decimal string, if rated (see WithCharges)
	Samples     []int16 // audio: 20 ms received from the leg's party
}

// Filter selects the legs a subscription streams.
type Filter struct {
	Legs []LegID // empty: every leg the engine placed with Originate
	// Audio also delivers each 20 ms of audio the legs' parties send
	// while the engine terminates their media (answering-machine
	// detection).
	Audio bool
}

// subBuffer is how many events a subscriber may fall behind; beyond it
// the subscription is closed (the subscriber subscribes again) rather
// than holding the legs' goroutines.
const subBuffer = 4096

type subscriber struct {
	f  Filter
	ch chan Event
}

// hub fans events out to subscribers without ever blocking a publisher.
type hub struct {
	mu    sync.Mutex
	subs  map[*subscriber]struct{}
	audio atomic.Int32 // subscribers that want audio
}

func (h *hub) subscribe(ctx context.Context, f Filter) <-chan Event {
	s := &subscriber{f: f, ch: make(chan Event, subBuffer)}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*subscriber]struct{}{}
	}
	h.subs[s] = struct{}{}
	if f.Audio {
		h.audio.Add(1)
	}
	h.mu.Unlock()
	go func() {
		<-ctx.Done()
		h.mu.Lock()
		h.dropLocked(s)
		h.mu.Unlock()
	}()
	return s.ch
}

func (h *hub) dropLocked(s *subscriber) {
	if _, ok := h.subs[s]; !ok {
		return
	}
	delete(h.subs, s)
	if s.f.Audio {
		h.audio.Add(-1)
	}
	close(s.ch)
}

func (h *hub) wantsAudio() bool {
	return h.audio.Load() > 0
}

// publish hands ev to every subscriber whose filter covers it; placed
// says whether the leg is one the engine placed (covered by the empty
// filter).
func (h *hub) publish(ev Event, placed bool) {
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if ev.Kind == EventAudio && !s.f.Audio {
			continue
		}
		if len(s.f.Legs) == 0 && !placed || len(s.f.Legs) > 0 && !slices.Contains(s.f.Legs, ev.Leg) {
			continue
		}
		select {
		case s.ch <- ev:
		default:
			h.dropLocked(s) // too slow: it resubscribes and knows it lost events
		}
	}
}
