package kv

import (
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"
)

func TestDeletePrefixKeepsOtherKeys(t *testing.T) {
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "t.db"), 0o600, &bbolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := NewBolt(db)
	keys := []string{"cmp_1/000000000001", "cmp_1/000000000002", "cmp_10/000000000003", "cmp_2/000000000004", "cmp_0/x"}
	err = s.Update(func(tx Tx) error {
		for _, k := range keys {
			if err := tx.Put("b", k, k); err != nil {
				return err
			}
		}
		return tx.DeletePrefix("b", "cmp_1/")
	})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	_ = s.View(func(tx Tx) error {
		return tx.ForEach("b", func(k string, _ []byte) error { left = append(left, k); return nil })
	})
	if len(left) != 3 || left[0] != "cmp_0/x" || left[1] != "cmp_10/000000000003" || left[2] != "cmp_2/000000000004" {
		t.Fatalf("left %v", left)
	}
	var v string
	_ = s.View(func(tx Tx) error {
		found, err := tx.Get("b", "cmp_2/000000000004", &v)
		if !found || err != nil || v != "cmp_2/000000000004" {
			t.Errorf("Get = %v %v %q", found, err, v)
		}
		found, _ = tx.Get("missing-bucket", "k", &v)
		if found {
			t.Error("found in a bucket that does not exist")
		}
		return nil
	})
}
