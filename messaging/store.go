package messaging

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"go.etcd.io/bbolt"
)

// ErrNotFound means no text has that id.
var ErrNotFound = errors.New("message not found")

// Filter selects texts to list; empty fields match all.
type Filter struct {
	User   string
	Number string
	Peer   string
	Since  time.Time
	Limit  int
}

// Store keeps texts, the outbox (queued outbound texts), the texts kept
// for phones that are not registered, and opt-outs. Writes are durable
// when they return.
type Store interface {
	// Create stores a new text. When m.Key is set and a text already has
	// that key, nothing is written and that text is returned.
	Create(m *Message) (existing *Message, err error)
	// Update replaces a stored text.
	Update(m *Message) error
	Get(id string) (*Message, error)
	BySID(sid string) (*Message, error)
	// ByKey is the text stored with an idempotency key (ErrNotFound: none).
	ByKey(key string) (*Message, error)
	List(f Filter) ([]*Message, error)
	// Queued are the outbound texts not yet handed to the carrier, oldest
	// first.
	Queued() ([]*Message, error)
	// Unposted are texts the carrier took whose charge is not posted.
	Unposted() ([]*Message, error)
	// Pending are the texts kept for user's phones, oldest first.
	Pending(user string) ([]*Message, error)
	SetOptOut(number, peer string, out bool) error
	OptedOut(number, peer string) (bool, error)
}

var (
	bktMessages = []byte("messages")
	bktBySID    = []byte("messages_by_sid")
	bktByKey    = []byte("messages_by_key")
	bktOutbox   = []byte("messages_outbox")  // created|id -> nil: queued outbound texts
	bktPending  = []byte("messages_pending") // user|created|id -> nil: kept for a phone
	bktUnposted = []byte("messages_unposted")
	bktOptOut   = []byte("messages_optout") // number|peer -> time
)

// BoltStore is the Store in the switch's bbolt file.
type BoltStore struct{ db *bbolt.DB }

// OpenBoltStore creates the buckets it needs.
func OpenBoltStore(db *bbolt.DB) (*BoltStore, error) {
	err := db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bktMessages, bktBySID, bktByKey, bktOutbox, bktPending, bktUnposted, bktOptOut} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open message store: %w", err)
	}
	return &BoltStore{db: db}, nil
}

func timeKey(t time.Time) string { return t.UTC().Format("20060102T150405.000000000") }

// indexKeys are the index entries a text's state implies.
func indexKeys(m *Message) (outbox, unposted []byte, pending [][]byte) {
	if m.Direction == Outbound && m.SID == "" && m.State == StateQueued {
		outbox = []byte(timeKey(m.Created) + "|" + m.ID)
	}
	if m.SID != "" && !m.Charged && m.Kind != "" {
		unposted = []byte(m.ID)
	}
	for _, u := range m.Waiting {
		pending = append(pending, []byte(u+"|"+timeKey(m.Created)+"|"+m.ID))
	}
	return
}

func (s *BoltStore) put(tx *bbolt.Tx, m *Message, old *Message) error {
	if old != nil {
		o, u, p := indexKeys(old)
		if o != nil {
			_ = tx.Bucket(bktOutbox).Delete(o)
		}
		if u != nil {
			_ = tx.Bucket(bktUnposted).Delete(u)
		}
		for _, k := range p {
			_ = tx.Bucket(bktPending).Delete(k)
		}
	}
	data, err := json.Marshal(storedMessage{Message: m, Key: m.Key})
	if err != nil {
		return err
	}
	if err := tx.Bucket(bktMessages).Put([]byte(m.ID), data); err != nil {
		return err
	}
	if m.SID != "" {
		if err := tx.Bucket(bktBySID).Put([]byte(m.SID), []byte(m.ID)); err != nil {
			return err
		}
	}
	o, u, p := indexKeys(m)
	if o != nil {
		if err := tx.Bucket(bktOutbox).Put(o, nil); err != nil {
			return err
		}
	}
	if u != nil {
		if err := tx.Bucket(bktUnposted).Put(u, nil); err != nil {
			return err
		}
	}
	for _, k := range p {
		if err := tx.Bucket(bktPending).Put(k, nil); err != nil {
			return err
		}
	}
	return nil
}

// storedMessage keeps the idempotency key, which the API does not show.
type storedMessage struct {
	*Message
	Key string `json:"key,omitempty"`
}

func decode(data []byte) (*Message, error) {
	sm := storedMessage{Message: &Message{}}
	if err := json.Unmarshal(data, &sm); err != nil {
		return nil, fmt.Errorf("decode message: %w", err)
	}
	sm.Message.Key = sm.Key
	return sm.Message, nil
}

func getTx(tx *bbolt.Tx, id string) (*Message, error) {
	data := tx.Bucket(bktMessages).Get([]byte(id))
	if data == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return decode(data)
}

func (s *BoltStore) Create(m *Message) (*Message, error) {
	var existing *Message
	err := s.db.Update(func(tx *bbolt.Tx) error {
		if m.Key != "" {
			keys := tx.Bucket(bktByKey)
			if id := keys.Get([]byte(m.Key)); id != nil {
				var err error
				existing, err = getTx(tx, string(id))
				return err
			}
			if err := keys.Put([]byte(m.Key), []byte(m.ID)); err != nil {
				return err
			}
		}
		if tx.Bucket(bktMessages).Get([]byte(m.ID)) != nil {
			return fmt.Errorf("message %s exists", m.ID)
		}
		return s.put(tx, m, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("store message %s: %w", m.ID, err)
	}
	return existing, nil
}

func (s *BoltStore) Update(m *Message) error {
	err := s.db.Update(func(tx *bbolt.Tx) error {
		old, err := getTx(tx, m.ID)
		if err != nil {
			return err
		}
		return s.put(tx, m, old)
	})
	if err != nil {
		return fmt.Errorf("update message %s: %w", m.ID, err)
	}
	return nil
}

func (s *BoltStore) Get(id string) (*Message, error) {
	var m *Message
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		m, err = getTx(tx, id)
		return err
	})
	return m, err
}

func (s *BoltStore) BySID(sid string) (*Message, error) { return s.lookup(bktBySID, "sid", sid) }
func (s *BoltStore) ByKey(key string) (*Message, error) { return s.lookup(bktByKey, "key", key) }

// lookup loads the text an index names by key.
func (s *BoltStore) lookup(index []byte, what, key string) (*Message, error) {
	var m *Message
	err := s.db.View(func(tx *bbolt.Tx) error {
		id := tx.Bucket(index).Get([]byte(key))
		if id == nil {
			return fmt.Errorf("%w: %s %s", ErrNotFound, what, key)
		}
		var err error
		m, err = getTx(tx, string(id))
		return err
	})
	return m, err
}

func (s *BoltStore) List(f Filter) ([]*Message, error) {
	out, err := ListMessages(s.db, f)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	return out, err
}

func (f Filter) matches(m *Message) bool {
	switch {
	case f.User != "" && !m.involves(f.User):
		return false
	case f.Number != "" && m.Number != f.Number:
		return false
	case f.Peer != "" && m.Peer != f.Peer && !(m.Direction == Internal && (m.User == f.Peer || slices.Contains(m.Users, f.Peer))):
		return false
	case !f.Since.IsZero() && m.Created.Before(f.Since):
		return false
	}
	return true
}

// byIndex loads the texts an index bucket names, in key order.
func (s *BoltStore) byIndex(bucket []byte, prefix string) ([]*Message, error) {
	var out []*Message
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		for k, _ := c.Seek([]byte(prefix)); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == prefix; k, _ = c.Next() {
			id := string(k)
			if i := lastPipe(id); i >= 0 {
				id = id[i+1:]
			}
			m, err := getTx(tx, id)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

func lastPipe(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '|' {
			return i
		}
	}
	return -1
}

func (s *BoltStore) Queued() ([]*Message, error)   { return s.byIndex(bktOutbox, "") }
func (s *BoltStore) Unposted() ([]*Message, error) { return s.byIndex(bktUnposted, "") }
func (s *BoltStore) Pending(user string) ([]*Message, error) {
	return s.byIndex(bktPending, user+"|")
}

func optOutKey(number, peer string) []byte { return []byte(number + "|" + peer) }

func (s *BoltStore) SetOptOut(number, peer string, out bool) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bktOptOut)
		if !out {
			return b.Delete(optOutKey(number, peer))
		}
		return b.Put(optOutKey(number, peer), []byte(time.Now().UTC().Format(time.RFC3339)))
	})
}

func (s *BoltStore) OptedOut(number, peer string) (bool, error) {
	var out bool
	err := s.db.View(func(tx *bbolt.Tx) error {
		out = tx.Bucket(bktOptOut).Get(optOutKey(number, peer)) != nil
		return nil
	})
	return out, err
}

// ListMessages reads the texts in a database opened read-only (the CLI,
// with the switch stopped): no bucket is created.
func ListMessages(db *bbolt.DB, f Filter) ([]*Message, error) {
	var out []*Message
	err := db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bktMessages)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			m, err := decode(v)
			if err != nil {
				return err
			}
			if f.matches(m) {
				out = append(out, m)
			}
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, err
}
