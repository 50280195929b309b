// Package kv is a small transactional store of JSON values in named
// buckets, over the switch's bbolt file: the dialer and the webhook outbox
// keep their records through it, and can write both in one transaction
// (an attempt and the webhook that reports it land together or not at
// all). Nothing outside this package sees bbolt's types.
//
// It is not a database layer for the whole switch: the meter (package
// billing) keeps its CDRs, ledger and reservations in its own buckets
// behind its own interfaces, and the registrations, numbers, forwarding
// and voicemail stores have theirs. kv holds no schema, no indexes and no
// migrations: a bucket is a map from a string key to one JSON value, read
// back in key order.
//
// # Where it sits
//
// At the bottom, on bbolt only. Package dialer (campaigns, leads, agents,
// attempts, the abandon ledger) and package webhook (the outbox) take a
// Store; cmd/dialtone makes theirs over the switch's one open bbolt file
// (NewBolt), so the dialer can pass its transaction to the outbox.
//
// # Concepts
//
//   - Store: Update runs a function in a read-write transaction, all of
//     whose writes land or none; View in a read-only one.
//   - Tx: Put and Get a JSON value at a key, Delete, ForEach in key
//     order, DeletePrefix, NextSequence (a bucket's counter from 1, which
//     the outbox uses for keys that keep events in order).
//
// An interface rather than *bbolt.Tx so that no exported API of the
// switch takes a bbolt type (the architecture keeps every store behind
// a small interface, so a PostgreSQL implementation for several nodes
// would be a second implementation, not a rewrite). A write transaction
// creates the
// buckets it touches; in a read-only one a missing bucket reads as empty.
//
// # Use
//
//	store := kv.NewBolt(db)
//	err := store.Update(func(tx kv.Tx) error {
//		if err := tx.Put("attempts", id, attempt); err != nil {
//			return err
//		}
//		_, err := outbox.Add(tx, "attempt.completed", attempt) // same transaction
//		return err
//	})
package kv
