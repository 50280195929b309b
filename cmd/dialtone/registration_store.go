package main

import (
	"encoding/json"
	"fmt"

	"github.com/dialtone/dialtone/sip"
	"go.etcd.io/bbolt"
)

var bucketRegistrations = []byte("registrations")

// registrationStore keeps the registrar's bindings in bbolt, so phones
// stay reachable across a restart: key user NUL binding key.
type registrationStore struct{ db *bbolt.DB }

func registrationKey(k sip.RegistrationKey) []byte {
	return []byte(k.User + "\x00" + k.Binding)
}

func (s registrationStore) LoadRegistrations() ([]sip.Registration, error) {
	var out []sip.Registration
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketRegistrations)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var r sip.Registration
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode registration %q: %w", k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

func (s registrationStore) SaveRegistrations(puts []sip.Registration, deletes []sip.RegistrationKey) error {
	values := make([][]byte, len(puts))
	for i, r := range puts {
		v, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode registration of %s: %w", r.User, err)
		}
		values[i] = v
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketRegistrations)
		if err != nil {
			return err
		}
		for _, k := range deletes {
			if err := b.Delete(registrationKey(k)); err != nil {
				return fmt.Errorf("delete registration of %s: %w", k.User, err)
			}
		}
		for i, r := range puts {
			if err := b.Put(registrationKey(r.RegistrationKey), values[i]); err != nil {
				return fmt.Errorf("put registration of %s: %w", r.User, err)
			}
		}
		return nil
	})
}
