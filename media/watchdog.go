package media

import (
	"sync"
	"time"
)

// watchdog checks the media timeout of every armed leg of a pool on one
// timer, where each leg had a timer of its own: with 1,000 calls up that
// was 2,000 timers firing, each in a goroutine of its own, every period,
// and a timer kept per leg. It runs only while some leg is armed.
type watchdog struct {
	period time.Duration // how often it looks (Leg.watchPeriod)

	mu    sync.Mutex
	legs  map[*Leg]struct{}
	timer *time.Timer // nil while no leg is armed
}

// add arms l's timeout check; it is checked every period from now on until
// it closes, times out or is detached. The caller holds l.mu.
func (w *watchdog) add(l *Leg) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.legs == nil {
		w.legs = map[*Leg]struct{}{}
	}
	w.legs[l] = struct{}{}
	if w.timer == nil {
		w.timer = time.AfterFunc(w.period, w.tick)
	}
}

// tick checks every armed leg, without holding w.mu: a check takes the
// leg's lock, under which the leg is added and removed.
func (w *watchdog) tick() {
	w.mu.Lock()
	legs := make([]*Leg, 0, len(w.legs))
	for l := range w.legs {
		legs = append(legs, l)
	}
	w.mu.Unlock()
	for _, l := range legs {
		l.watch()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.legs) == 0 {
		w.timer = nil
		return
	}
	w.timer.Reset(w.period)
}

// remove stops checking l; the caller holds l.mu.
func (w *watchdog) remove(l *Leg) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.legs, l)
}
