package main

import (
	"encoding/json"
	"fmt"

	"github.com/dialtone/dialtone/voicemail"
	"go.etcd.io/bbolt"
)

var bucketVoicemail = []byte("voicemail")

// voicemailStore keeps the mailbox index in bbolt: key user/id.
type voicemailStore struct{ db *bbolt.DB }

func (s voicemailStore) AddMessage(m voicemail.Message) error {
	v, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode voicemail %s: %w", m.ID, err)
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketVoicemail)
		if err != nil {
			return err
		}
		return b.Put([]byte(m.User+"/"+m.ID), v)
	})
}

func (s voicemailStore) Messages(user string) ([]voicemail.Message, error) {
	var out []voicemail.Message
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketVoicemail)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		prefix := []byte(user + "/")
		for k, v := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
			var m voicemail.Message
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("decode voicemail %s: %w", k, err)
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

func (s voicemailStore) DeleteMessage(user, id string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketVoicemail)
		if b == nil {
			return nil
		}
		return b.Delete([]byte(user + "/" + id))
	})
}
