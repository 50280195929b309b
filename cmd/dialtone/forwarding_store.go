package main

import (
	"encoding/json"
	"fmt"

	"github.com/dialtone/dialtone/config"
	"go.etcd.io/bbolt"
)

var bucketForwarding = []byte("forwarding")

// forwardingStore keeps forwarding rules set through the API in bbolt, so
// they survive a restart.
type forwardingStore struct{ db *bbolt.DB }

func (s forwardingStore) LoadForwarding() (map[string]config.Forwarding, error) {
	out := map[string]config.Forwarding{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketForwarding)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var f config.Forwarding
			if err := json.Unmarshal(v, &f); err != nil {
				return fmt.Errorf("decode forwarding of %s: %w", k, err)
			}
			out[string(k)] = f
			return nil
		})
	})
	return out, err
}

func (s forwardingStore) SaveForwarding(ext string, f config.Forwarding) error {
	v, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode forwarding of %s: %w", ext, err)
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketForwarding)
		if err != nil {
			return err
		}
		return b.Put([]byte(ext), v)
	})
}
