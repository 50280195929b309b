package messaging

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.etcd.io/bbolt"
)

// Event is a CRM webhook event.
type Event struct {
	ID   string    `json:"id"`   // stable across redeliveries: the CRM dedups by it
	Type string    `json:"type"` // message.status
	Time time.Time `json:"time"`
	Data *Message  `json:"data"`
}

// Notifier delivers CRM events at least once: Notify returns once the
// event is persisted, and delivery goes on across restarts. The dialer's
// shared webhook outbox can stand in for WebhookOutbox.
type Notifier interface {
	Notify(ctx context.Context, e Event) error
}

// SignatureHeader carries the HMAC-SHA256 of the body, hex, as
// "sha256=...", keyed with the webhook secret.
const SignatureHeader = "X-Dialtone-Signature"

// Sign is the signature a receiver recomputes over the raw body.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

var bktEvents = []byte("messages_events")

// WebhookOutbox is a Notifier that keeps events in the bbolt file and
// POSTs them in order to one URL, retrying with backoff until a 2xx.
type WebhookOutbox struct {
	db     *bbolt.DB
	url    string
	secret string
	client *http.Client
	log    *slog.Logger
	wake   chan struct{}
	// Backoff bounds the wait between failed deliveries.
	minBackoff, maxBackoff time.Duration
}

// NewWebhookOutbox opens the outbox; Run delivers.
func NewWebhookOutbox(db *bbolt.DB, url, secret string, log *slog.Logger) (*WebhookOutbox, error) {
	if err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bktEvents)
		return err
	}); err != nil {
		return nil, fmt.Errorf("open webhook outbox: %w", err)
	}
	return &WebhookOutbox{db: db, url: url, secret: secret, log: log, wake: make(chan struct{}, 1),
		client: &http.Client{Timeout: 10 * time.Second}, minBackoff: 500 * time.Millisecond, maxBackoff: time.Minute}, nil
}

// Notify persists e for delivery.
func (o *WebhookOutbox) Notify(_ context.Context, e Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode event %s: %w", e.ID, err)
	}
	err = o.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bktEvents)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(binary.BigEndian.AppendUint64(nil, seq), body)
	})
	if err != nil {
		return fmt.Errorf("persist event %s: %w", e.ID, err)
	}
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return nil
}

// Pending counts the events not yet delivered.
func (o *WebhookOutbox) Pending() int {
	n := 0
	_ = o.db.View(func(tx *bbolt.Tx) error { n = tx.Bucket(bktEvents).Stats().KeyN; return nil })
	return n
}

func (o *WebhookOutbox) next() (key, body []byte) {
	_ = o.db.View(func(tx *bbolt.Tx) error {
		k, v := tx.Bucket(bktEvents).Cursor().First()
		if k != nil {
			key, body = bytes.Clone(k), bytes.Clone(v)
		}
		return nil
	})
	return key, body
}

// Run delivers events until ctx ends.
func (o *WebhookOutbox) Run(ctx context.Context) {
	backoff := o.minBackoff
	for {
		key, body := o.next()
		if key == nil {
			select {
			case <-ctx.Done():
				return
			case <-o.wake:
			}
			continue
		}
		if err := o.post(ctx, body); err != nil {
			o.log.Warn("crm webhook: delivery failed; retrying", "error", err, "in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, o.maxBackoff)
			continue
		}
		backoff = o.minBackoff
		_ = o.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bktEvents).Delete(key) })
	}
}

func (o *WebhookOutbox) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(o.secret, body))
	res, err := o.client.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("%s answered %d", o.url, res.StatusCode)
	}
	return nil
}
