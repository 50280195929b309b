package sip

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// RegistrationStore keeps registrations across restarts, as Kamailio's
// location table or Asterisk's astdb do: after a restart the phones
// still believe they are registered, for up to an hour.
type RegistrationStore interface {
	LoadRegistrations() ([]Registration, error)
	// SaveRegistrations writes puts and deletes together (one
	// transaction), so a batch lands whole or not at all.
	SaveRegistrations(puts []Registration, deletes []RegistrationKey) error
}

// RegistrationKey names one binding: its user and the binding's own key
// (the device instance, or the contact URI).
type RegistrationKey struct {
	User    string `json:"user"`
	Binding string `json:"binding"`
}

// Registration is one binding as the store keeps it: what a REGISTER
// said, and where it came from, so that a phone behind NAT is reached
// at the same source address after a restart.
type Registration struct {
	RegistrationKey
	Contact    string    `json:"contact"`
	Source     string    `json:"source"`
	Transport  string    `json:"transport"`
	Expires    time.Time `json:"expires"`
	Registered time.Time `json:"registered"`
	Instance   string    `json:"instance,omitempty"`
	RegID      string    `json:"reg_id,omitempty"`
	UserAgent  string    `json:"user_agent,omitempty"`
	CallID     string    `json:"call_id"`
	CSeq       uint32    `json:"cseq"`
}

func registrationOf(user string, b binding) Registration {
	return Registration{
		RegistrationKey: RegistrationKey{User: user, Binding: b.key()},
		Contact:         b.contactString(), Source: b.Source, Transport: b.Transport,
		Expires: b.Expires.UTC(), Registered: b.Registered.UTC(),
		Instance: b.Instance, RegID: b.RegID, UserAgent: b.UserAgent,
		CallID: b.CallID, CSeq: b.CSeq,
	}
}

func (r Registration) binding() (binding, error) {
	var uri sip.Uri
	if err := sip.ParseUri(r.Contact, &uri); err != nil {
		return binding{}, fmt.Errorf("contact %q: %w", r.Contact, err)
	}
	return binding{
		Contact: uri, Source: r.Source, Transport: r.Transport,
		Expires: r.Expires, Registered: r.Registered,
		Instance: r.Instance, RegID: r.RegID, UserAgent: r.UserAgent,
		CallID: r.CallID, CSeq: r.CSeq,
	}, nil
}

// registrationWriter writes binding changes to the store off the
// REGISTER path: a REGISTER only records its change in pending (latest
// state per binding), and one goroutine writes everything pending in one
// transaction, so a storm of REGISTERs costs one fsync per batch, not
// one each. pending holds at most one entry per binding the registrar
// has or the store holds, so it is bounded by users × max_contacts
// twice over, however fast REGISTERs come.
type registrationWriter struct {
	store RegistrationStore
	log   *slog.Logger

	mu      sync.Mutex
	pending map[RegistrationKey]*Registration // nil: delete
	stored  map[RegistrationKey]bool          // in the store as far as we know
	wake    chan struct{}

	stop context.CancelFunc
	done chan struct{}
}

// registrationWriteDelay is how long changes gather before they are
// written: at most this (and a commit) of REGISTERs is what a crash loses,
// and a REGISTER storm costs at most 1/registrationWriteDelay commits a
// second.
const registrationWriteDelay = 100 * time.Millisecond

func newRegistrationWriter(store RegistrationStore, log *slog.Logger) *registrationWriter {
	return &registrationWriter{store: store, log: log, pending: map[RegistrationKey]*Registration{},
		stored: map[RegistrationKey]bool{}, wake: make(chan struct{}, 1)}
}

func (w *registrationWriter) put(user string, b binding) {
	r := registrationOf(user, b)
	w.mu.Lock()
	w.pending[r.RegistrationKey] = &r
	w.mu.Unlock()
	w.signal()
}

func (w *registrationWriter) drop(user, key string) {
	k := RegistrationKey{User: user, Binding: key}
	w.mu.Lock()
	if w.stored[k] {
		w.pending[k] = nil
	} else {
		delete(w.pending, k) // never written: nothing to delete
	}
	w.mu.Unlock()
	w.signal()
}

func (w *registrationWriter) signal() {
	select {
	case w.wake <- struct{}{}:
	default: // a write is due already; it will take this change too
	}
}

// start writes pending changes as they come until stop.
func (w *registrationWriter) start() {
	ctx, cancel := context.WithCancel(context.Background())
	w.stop, w.done = cancel, make(chan struct{})
	go func() {
		defer close(w.done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-w.wake:
			}
			// Let a storm's changes gather: a bbolt commit rewrites the
			// pages it touches and syncs, whether it carries one binding
			// or a thousand.
			select {
			case <-ctx.Done():
				return // close writes what is pending
			case <-time.After(registrationWriteDelay):
			}
			if err := w.flush(); err != nil {
				w.log.Error("save registrations; retrying", "error", err)
				select { // the store is failing: do not spin on it
				case <-ctx.Done():
					return
				case <-time.After(time.Second):
					w.signal()
				}
			}
		}
	}()
}

// close stops the writer and writes what is still pending.
func (w *registrationWriter) close() error {
	if w.stop != nil {
		w.stop()
		<-w.done
	}
	return w.flush()
}

// flush writes everything pending in one batch; on failure the batch
// goes back to pending, under any change made meanwhile.
func (w *registrationWriter) flush() error {
	w.mu.Lock()
	batch := w.pending
	w.pending = map[RegistrationKey]*Registration{}
	var puts []Registration
	var deletes []RegistrationKey
	for k, r := range batch {
		if r == nil {
			deletes = append(deletes, k)
		} else {
			puts = append(puts, *r)
			// From now on: a drop while this batch is written must
			// delete it afterwards.
			w.stored[k] = true
		}
	}
	w.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := w.store.SaveRegistrations(puts, deletes)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		for k, r := range batch {
			if _, newer := w.pending[k]; !newer {
				w.pending[k] = r
			}
		}
		return fmt.Errorf("save %d registrations, delete %d: %w", len(puts), len(deletes), err)
	}
	w.log.Debug("registrations saved", "saved", len(puts), "deleted", len(deletes))
	for _, k := range deletes {
		if _, again := w.pending[k]; !again {
			delete(w.stored, k)
		}
	}
	return nil
}

// loadRegistrations restores the unexpired bindings of users the
// directory still has, and deletes the rest from the store.
func (sw *Switch) loadRegistrations(store RegistrationStore) error {
	saved, err := store.LoadRegistrations()
	if err != nil {
		return fmt.Errorf("load registrations: %w", err)
	}
	w := sw.regWriter
	now := sw.reg.now()
	restored := 0
	for _, r := range saved {
		w.stored[r.RegistrationKey] = true
		b, err := r.binding()
		u := sw.directory().User(r.User)
		if err != nil || u == nil || u.Extension != r.User || !b.Expires.After(now) {
			w.drop(r.User, r.Binding)
			continue
		}
		sw.reg.restore(r.User, b)
		restored++
	}
	// A config that lowered max_contacts while the switch was down.
	trimmed := sw.pruneRegistrations()
	if len(saved) > 0 {
		sw.log.Info("registrations restored", "contacts", restored-trimmed, "dropped", len(saved)-restored+trimmed)
	}
	return w.flush()
}

// pruneRegistrations forgets the contacts of users the directory no
// longer has (a reload removed them) and trims the others to
// max_contacts (a reload lowered it); it returns how many it dropped.
func (sw *Switch) pruneRegistrations() int {
	dir := sw.directory()
	known := func(ext string) bool { u := dir.User(ext); return u != nil && u.Extension == ext }
	return sw.reg.retain(known, func(binding) bool { return true }, dir.settings.maxContacts)
}
