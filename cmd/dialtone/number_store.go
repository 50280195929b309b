package main

import (
	"encoding/json"
	"fmt"

	"github.com/dialtone/dialtone/config"
	"go.etcd.io/bbolt"
)

var bucketAPINumbers = []byte("numbers_api")

// numberStore keeps numbers rented through the API in bbolt.
type numberStore struct{ db *bbolt.DB }

func (s numberStore) LoadNumbers() ([]config.Number, error) {
	var out []config.Number
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAPINumbers)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var n config.Number
			if err := json.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("decode number %s: %w", k, err)
			}
			out = append(out, n)
			return nil
		})
	})
	return out, err
}

func (s numberStore) SaveNumber(n config.Number) error {
	v, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode number %s: %w", n.Number, err)
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketAPINumbers)
		if err != nil {
			return err
		}
		return b.Put([]byte(n.Number), v)
	})
}

func (s numberStore) DeleteNumber(e164 string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAPINumbers)
		if b == nil {
			return nil
		}
		return b.Delete([]byte(e164))
	})
}
