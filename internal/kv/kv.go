package kv

import (
	"encoding/json"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// Store keeps named buckets of JSON values under string keys, updated in
// transactions.
type Store interface {
	// Update runs fn in a read-write transaction: all its writes land,
	// or none.
	Update(fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(fn func(Tx) error) error
}

// Tx is one transaction of a Store.
type Tx interface {
	Put(bucket, key string, v any) error
	// Get decodes the value at key into v; found is false when there is
	// none.
	Get(bucket, key string, v any) (found bool, err error)
	Delete(bucket, key string) error
	// ForEach calls fn with each key and its raw JSON value in key order.
	ForEach(bucket string, fn func(key string, raw []byte) error) error
	// DeletePrefix deletes every key starting with prefix.
	DeletePrefix(bucket, prefix string) error
	// NextSequence returns the bucket's next sequence number (from 1).
	NextSequence(bucket string) (uint64, error)
}

// NewBolt keeps the records in db's buckets.
func NewBolt(db *bbolt.DB) Store { return boltStore{db} }

type boltStore struct{ db *bbolt.DB }

func (s boltStore) Update(fn func(Tx) error) error {
	return s.db.Update(func(tx *bbolt.Tx) error { return fn(boltTx{tx}) })
}

func (s boltStore) View(fn func(Tx) error) error {
	return s.db.View(func(tx *bbolt.Tx) error { return fn(boltTx{tx}) })
}

type boltTx struct{ tx *bbolt.Tx }

func (t boltTx) bucket(name string) (*bbolt.Bucket, error) {
	if !t.tx.Writable() {
		return t.tx.Bucket([]byte(name)), nil
	}
	return t.tx.CreateBucketIfNotExists([]byte(name))
}

func (t boltTx) Put(bucket, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", bucket, key, err)
	}
	b, err := t.bucket(bucket)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), data)
}

func (t boltTx) Get(bucket, key string, v any) (bool, error) {
	b, err := t.bucket(bucket)
	if err != nil || b == nil {
		return false, err
	}
	data := b.Get([]byte(key))
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("decode %s %s: %w", bucket, key, err)
	}
	return true, nil
}

func (t boltTx) Delete(bucket, key string) error {
	b, err := t.bucket(bucket)
	if err != nil || b == nil {
		return err
	}
	return b.Delete([]byte(key))
}

func (t boltTx) ForEach(bucket string, fn func(string, []byte) error) error {
	b, err := t.bucket(bucket)
	if err != nil || b == nil {
		return err
	}
	return b.ForEach(func(k, v []byte) error { return fn(string(k), v) })
}

func (t boltTx) DeletePrefix(bucket, prefix string) error {
	b, err := t.bucket(bucket)
	if err != nil || b == nil {
		return err
	}
	c := b.Cursor()
	for k, _ := c.Seek([]byte(prefix)); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == prefix; k, _ = c.Seek([]byte(prefix)) {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func (t boltTx) NextSequence(bucket string) (uint64, error) {
	b, err := t.bucket(bucket)
	if err != nil {
		return 0, err
	}
	if b == nil {
		return 0, errors.New("next sequence in a read-only transaction")
	}
	return b.NextSequence()
}
