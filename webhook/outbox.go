package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/dialtone/dialtone/internal/kv"
)

// Event is what the CRM receives: the body of one POST. ID stays the same
// across redeliveries, so the CRM can deduplicate on it.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// queued is an event waiting in the outbox.
type queued struct {
	Event     Event     `json:"event"`
	Attempts  int       `json:"attempts"`
	NextAt    time.Time `json:"next_at"`
	LastError string    `json:"last_error,omitempty"`
}

const bucketOutbox = "webhook_outbox"

// Backoff bounds: the first retry after MinBackoff, doubling up to
// MaxBackoff; an event is given up (and logged) after MaxAge. A CRM down
// for an hour gets everything within MaxBackoff of coming back.
const (
	MinBackoff = 5 * time.Second
	MaxBackoff = 10 * time.Minute
	MaxAge     = 72 * time.Hour
)

// Target is where events go; an empty URL keeps them in the outbox until
// one is configured.
type Target struct {
	URL    string
	Secret string
}

// Options configure an Outbox.
type Options struct {
	Store  kv.Store
	Target func() Target // read at each delivery, so a reload applies
	Client *http.Client
	Now    func() time.Time
	Log    *slog.Logger
}

// Outbox persists events and delivers them.
type Outbox struct {
	opts  Options
	wake  chan struct{}
	mu    sync.Mutex // one delivery round at a time
	holdU time.Time  // after a failure, nothing is sent before this
}

// New makes an outbox; Run delivers.
func New(opts Options) *Outbox {
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Target == nil {
		opts.Target = func() Target { return Target{} }
	}
	return &Outbox{opts: opts, wake: make(chan struct{}, 1)}
}

// Add queues an event inside the caller's transaction, so the event is
// kept exactly when what it reports is. Call Notify after the commit.
func (o *Outbox) Add(tx kv.Tx, typ string, data any) (Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Event{}, fmt.Errorf("encode %s event: %w", typ, err)
	}
	seq, err := tx.NextSequence(bucketOutbox)
	if err != nil {
		return Event{}, fmt.Errorf("queue %s event: %w", typ, err)
	}
	now := o.opts.Now().UTC()
	ev := Event{ID: "evt_" + uuid.NewString(), Type: typ, CreatedAt: now, Data: raw}
	if err := tx.Put(bucketOutbox, outboxKey(seq), queued{Event: ev, NextAt: now}); err != nil {
		return Event{}, fmt.Errorf("queue %s event: %w", typ, err)
	}
	return ev, nil
}

// Publish queues an event in a transaction of its own and wakes the
// delivery.
func (o *Outbox) Publish(typ string, data any) (Event, error) {
	var ev Event
	err := o.opts.Store.Update(func(tx kv.Tx) error {
		var err error
		ev, err = o.Add(tx, typ, data)
		return err
	})
	if err == nil {
		o.Notify()
	}
	return ev, err
}

// Notify wakes Run: events were added.
func (o *Outbox) Notify() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

func outboxKey(seq uint64) string { return fmt.Sprintf("%020d", seq) }

// Pending counts the events not yet delivered.
func (o *Outbox) Pending() (int, error) {
	n := 0
	err := o.opts.Store.View(func(tx kv.Tx) error {
		return tx.ForEach(bucketOutbox, func(string, []byte) error { n++; return nil })
	})
	return n, err
}

// Run delivers until ctx ends.
func (o *Outbox) Run(ctx context.Context) {
	for {
		next := o.DeliverDue(ctx)
		wait := time.Minute
		if !next.IsZero() {
			wait = max(next.Sub(o.opts.Now()), 10*time.Millisecond)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-o.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// DeliverDue sends the events that are due, oldest first, and returns
// when the next one is due (zero: none left). After a failed delivery
// the round stops and nothing is sent until that event's retry time:
// events keep their order and a CRM that is down is not hammered.
func (o *Outbox) DeliverDue(ctx context.Context) (next time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	target := o.opts.Target()
	if target.URL == "" {
		return time.Time{}
	}
	now := o.opts.Now()
	if now.Before(o.holdU) {
		return o.holdU
	}
	type item struct {
		key string
		q   queued
	}
	var due []item
	err := o.opts.Store.View(func(tx kv.Tx) error {
		return tx.ForEach(bucketOutbox, func(k string, raw []byte) error {
			var q queued
			if err := json.Unmarshal(raw, &q); err != nil {
				return fmt.Errorf("decode outbox %s: %w", k, err)
			}
			if !q.NextAt.After(now) {
				due = append(due, item{k, q})
			} else if next.IsZero() || q.NextAt.Before(next) {
				next = q.NextAt
			}
			return nil
		})
	})
	if err != nil {
		o.opts.Log.Error("webhook outbox", "error", err)
		return now.Add(MinBackoff)
	}
	for _, it := range due {
		if ctx.Err() != nil {
			return now
		}
		err := o.send(ctx, target, it.q.Event)
		if err == nil {
			if err := o.opts.Store.Update(func(tx kv.Tx) error { return tx.Delete(bucketOutbox, it.key) }); err != nil {
				o.opts.Log.Error("webhook outbox: delivered but not removed (it will be sent again)", "event", it.q.Event.ID, "error", err)
			}
			continue
		}
		it.q.Attempts++
		it.q.LastError = err.Error()
		it.q.NextAt = now.Add(Backoff(it.q.Attempts))
		if now.Sub(it.q.Event.CreatedAt) > MaxAge {
			o.opts.Log.Error("webhook given up", "event", it.q.Event.ID, "type", it.q.Event.Type, "attempts", it.q.Attempts, "error", err)
			_ = o.opts.Store.Update(func(tx kv.Tx) error { return tx.Delete(bucketOutbox, it.key) })
			continue
		}
		o.opts.Log.Warn("webhook delivery failed; will retry", "event", it.q.Event.ID, "attempts", it.q.Attempts, "retry_at", it.q.NextAt, "error", err)
		if err := o.opts.Store.Update(func(tx kv.Tx) error { return tx.Put(bucketOutbox, it.key, it.q) }); err != nil {
			o.opts.Log.Error("webhook outbox", "error", err)
		}
		o.holdU = it.q.NextAt
		return it.q.NextAt
	}
	return next
}

// Backoff is the wait before the n-th retry: MinBackoff doubling, capped
// at MaxBackoff.
func Backoff(n int) time.Duration {
	d := MinBackoff
	for i := 1; i < n && d < MaxBackoff; i++ {
		d *= 2
	}
	return min(d, MaxBackoff)
}

// send POSTs one event; any answer but 2xx is a failure.
func (o *Outbox) send(ctx context.Context, t Target, ev Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Dialtone-Event-Id", ev.ID)
	req.Header.Set("Dialtone-Event-Type", ev.Type)
	req.Header.Set(SignatureHeader, Sign(t.Secret, o.opts.Now(), body))
	resp, err := o.opts.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s", t.URL, resp.Status)
	}
	return nil
}
