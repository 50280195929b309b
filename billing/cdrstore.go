package billing

import (
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
)

// Buckets of the CDR store.
var (
	bucketCDRs     = []byte("cdrs")        // leg id -> CDR JSON
	bucketCDRIndex = []byte("cdrs_by_end") // ended unix ms (8 bytes) + leg id -> leg id
	bucketOpenLegs = []byte("legs_open")   // leg id -> CDR JSON of a leg that has started
)

// CDRStore writes CDRs to bbolt through one writer goroutine that groups
// everything queued into a single transaction (group commit): one fsync
// covers hundreds of legs at high call rates, and the single writer keeps
// a leg's "started" record ordered before its CDR.
type CDRStore struct {
	db *bbolt.DB
	// meter charges each ended leg inside the transaction that stores
	// its CDR (Meter.postLeg), so the CDR, its charge and the balance
	// change commit together; the transaction never leaves the package.
	meter *Meter
	log   *slog.Logger
	queue chan writeReq
	done  chan struct{}

	// closeMu orders sends on queue before Close closes it: a leg that
	// ends after Close gets ErrCDRStoreClosed, never a panic that would
	// lose every CDR still in flight.
	closeMu sync.RWMutex
	closed  bool

	// commits and records count the group commits and what they carried:
	// records/commits is the batch size the writer reaches.
	commits, records atomic.Uint64
}

// Commits returns how many transactions the writer committed and how many
// records (legs opened and ended) they carried.
func (s *CDRStore) Commits() (commits, records uint64) {
	return s.commits.Load(), s.records.Load()
}

// ErrCDRStoreClosed is returned by Ended after Close: the leg stays open
// in the store and is recovered as interrupted on the next start.
var ErrCDRStoreClosed = errors.New("cdr store closed")

type writeReq struct {
	cdr   CDR
	ended bool
	errc  chan error // nil: nobody waits
}

// maxBatch bounds one transaction so a burst cannot make one commit huge.
const maxBatch = 2048

// OpenCDRStore prepares the buckets, turns legs left open by a crash into
// "interrupted" CDRs, and starts the writer. meter rates and charges each
// ended leg in the transaction that stores its CDR (nil: legs are stored
// without a charge).
func OpenCDRStore(db *bbolt.DB, meter *Meter, log *slog.Logger) (*CDRStore, error) {
	if log == nil {
		log = slog.Default()
	}
	s := &CDRStore{db: db, meter: meter, log: log, queue: make(chan writeReq, 4096), done: make(chan struct{})}
	err := db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketCDRs, bucketCDRIndex, bucketOpenLegs} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open cdr store: %w", err)
	}
	if err := s.recoverInterrupted(); err != nil {
		return nil, err
	}
	go s.writer()
	return s, nil
}

// recoverInterrupted writes a CDR for every leg that was up when the
// process died. Their duration after the crash is unknown, so they carry
// no billable time: the customer is never charged for a guess.
func (s *CDRStore) recoverInterrupted() error {
	var open []CDR
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketOpenLegs).ForEach(func(k, v []byte) error {
			var c CDR
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decode open leg %s: %w", k, err)
			}
			open = append(open, c)
			return nil
		})
	})
	if err != nil || len(open) == 0 {
		return err
	}
	now := Millis(time.Now())
	reqs := make([]writeReq, len(open))
	for i, c := range open {
		c.EndedAt = now
		c.Disposition = Interrupted
		c.BillableSecs = 0
		reqs[i] = writeReq{cdr: c, ended: true}
	}
	after, err := s.commit(reqs)
	if err != nil {
		return fmt.Errorf("recover interrupted legs: %w", err)
	}
	for _, f := range after {
		f()
	}
	s.log.Warn("legs interrupted by a restart recorded", "legs", len(open))
	return nil
}

// Started records that a leg is up, without waiting for the disk.
func (s *CDRStore) Started(cdr *CDR) {
	if !s.enqueue(&writeReq{cdr: *cdr}) {
		s.log.Error("leg started after the CDR store closed", "leg_id", cdr.LegID)
	}
}

// Ended writes a leg's final CDR (rated and charged by the meter) and
// returns once it is durable. Writing the same leg twice changes nothing.
func (s *CDRStore) Ended(cdr *CDR) error {
	errc := make(chan error, 1)
	if !s.enqueue(&writeReq{cdr: *cdr, ended: true, errc: errc}) {
		return fmt.Errorf("write cdr %s: %w", cdr.LegID, ErrCDRStoreClosed)
	}
	return <-errc
}

// enqueue hands r to the writer unless the store is closed. r is a
// pointer so the CDR is copied once on the way, not once more into the
// call's arguments: the goroutines that end legs stay in a small stack.
func (s *CDRStore) enqueue(r *writeReq) bool {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return false
	}
	s.queue <- *r
	return true
}

// Close stops the writer after everything queued is written. Closing
// twice is harmless.
func (s *CDRStore) Close() {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		<-s.done
		return
	}
	s.closed = true
	close(s.queue)
	s.closeMu.Unlock()
	<-s.done
}

// commitGap spaces the group commits of a busy store: a commit costs
// about the same CPU (page writes, the meta page, two fdatasyncs) whether
// it carries 2 records or 200, so at 1,000 calls/s, committing as soon as
// the previous commit ended (7 records each) spent ≈ 0.3 ms of CPU per
// call in the writer. Within commitGap of a commit that carried more than
// one record, the writer collects until the gap is over; a lone writer
// (one record per commit) or a store that was idle is never held back.
// It bounds what it adds to a leg's end: Ended waits at most this long
// more.
const commitGap = 20 * time.Millisecond

// holdBack is how long the writer collects before its next commit, given
// when the last one began and how many records it carried.
func holdBack(last time.Time, records int, now time.Time) time.Duration {
	if records < 2 {
		return 0
	}
	return max(0, last.Add(commitGap).Sub(now))
}

func (s *CDRStore) writer() {
	defer close(s.done)
	batch := make([]writeReq, 0, maxBatch)
	var lastCommit time.Time // when the last commit began
	lastRecords := 0         // and how many records it carried
	gap := time.NewTimer(time.Hour)
	gap.Stop()
	for first := range s.queue {
		// Held back (a nil channel when not): collect until the gap ends,
		// else take only what is queued already.
		var hold <-chan time.Time
		if wait := holdBack(lastCommit, lastRecords, time.Now()); wait > 0 {
			gap.Reset(wait)
			hold = gap.C
		}
		batch = s.collect(append(batch[:0], first), hold)
		gap.Stop()
		lastCommit, lastRecords = time.Now(), len(batch)
		after, err := s.commit(batch)
		s.commits.Add(1)
		s.records.Add(uint64(len(batch)))
		if err == nil {
			for _, f := range after {
				f()
			}
		} else {
			s.log.Error("commit CDR batch", "legs", len(batch), "error", err)
		}
		for _, r := range batch {
			if r.errc != nil {
				r.errc <- err
			}
		}
	}
}

// collect adds queued records to batch, up to maxBatch: while hold has
// not fired, waiting for more; with a nil hold, only those queued now. It
// stops early when the queue is closed.
func (s *CDRStore) collect(batch []writeReq, hold <-chan time.Time) []writeReq {
	for len(batch) < maxBatch {
		var r writeReq
		var ok bool
		if hold == nil {
			select {
			case r, ok = <-s.queue:
			default:
				return batch
			}
		} else {
			select {
			case r, ok = <-s.queue:
			case <-hold:
				return batch
			}
		}
		if !ok {
			return batch
		}
		batch = append(batch, r)
	}
	return batch
}

// commit writes a batch in one transaction.
func (s *CDRStore) commit(batch []writeReq) ([]func(), error) {
	var after []func()
	err := s.db.Update(func(tx *bbolt.Tx) error {
		after = after[:0]
		cdrs, index, open := tx.Bucket(bucketCDRs), tx.Bucket(bucketCDRIndex), tx.Bucket(bucketOpenLegs)
		for i := range batch {
			r := &batch[i]
			id := []byte(r.cdr.LegID)
			if !r.ended {
				if cdrs.Get(id) != nil {
					continue // ended already (queued after its end)
				}
				v, err := json.Marshal(&r.cdr)
				if err != nil {
					return fmt.Errorf("encode open leg %s: %w", r.cdr.LegID, err)
				}
				if err := open.Put(id, v); err != nil {
					return fmt.Errorf("store open leg %s: %w", r.cdr.LegID, err)
				}
				continue
			}
			if cdrs.Get(id) != nil {
				continue // idempotent: a replayed CDR is not charged twice
			}
			if s.meter != nil {
				f, err := s.meter.postLeg(tx, &r.cdr)
				if err != nil {
					// The CDR is kept even when it cannot be rated: losing
					// the record would be worse than an unrated leg, which
					// shows as one without a charge and is logged.
					s.log.Error("rate leg", "leg_id", r.cdr.LegID, "error", err)
				} else if f != nil {
					after = append(after, f)
				}
			}
			v, err := json.Marshal(&r.cdr)
			if err != nil {
				return fmt.Errorf("encode cdr %s: %w", r.cdr.LegID, err)
			}
			if err := cdrs.Put(id, v); err != nil {
				return fmt.Errorf("store cdr %s: %w", r.cdr.LegID, err)
			}
			if err := index.Put(indexKey(r.cdr.EndedAt, r.cdr.LegID), id); err != nil {
				return fmt.Errorf("index cdr %s: %w", r.cdr.LegID, err)
			}
			if err := open.Delete(id); err != nil {
				return fmt.Errorf("close leg %s: %w", r.cdr.LegID, err)
			}
		}
		return nil
	})
	return after, err
}

func indexKey(t time.Time, legID string) []byte {
	k := make([]byte, 8, 8+len(legID))
	binary.BigEndian.PutUint64(k, uint64(t.UnixMilli()))
	return append(k, legID...)
}

// ListCDRs calls fn for every CDR of a leg that ended at or after since,
// oldest first.
func ListCDRs(db *bbolt.DB, since time.Time, fn func(*CDR) error) error {
	return db.View(func(tx *bbolt.Tx) error {
		cdrs, index := tx.Bucket(bucketCDRs), tx.Bucket(bucketCDRIndex)
		if cdrs == nil || index == nil {
			return nil
		}
		c := index.Cursor()
		start := make([]byte, 8)
		if !since.IsZero() {
			binary.BigEndian.PutUint64(start, uint64(since.UnixMilli()))
		}
		for k, id := c.Seek(start); k != nil; k, id = c.Next() {
			v := cdrs.Get(id)
			if v == nil {
				continue
			}
			var cdr CDR
			if err := json.Unmarshal(v, &cdr); err != nil {
				return fmt.Errorf("decode cdr %s: %w", id, err)
			}
			if err := fn(&cdr); err != nil {
				return err
			}
		}
		return nil
	})
}

// CDRWriter writes CDRs as JSON lines or CSV.
type CDRWriter struct {
	json *json.Encoder
	csv  *csv.Writer
	n    int
}

// NewCDRWriter returns a writer for format "json" (one object per line) or "csv".
func NewCDRWriter(w io.Writer, format string) (*CDRWriter, error) {
	switch format {
	case "", "json":
		return &CDRWriter{json: json.NewEncoder(w)}, nil
	case "csv":
		return &CDRWriter{csv: csv.NewWriter(w)}, nil
	}
	return nil, fmt.Errorf("unknown format %q (json or csv)", format)
}

// Write writes one CDR.
func (w *CDRWriter) Write(c *CDR) error {
	if w.json != nil {
		return w.json.Encode(c)
	}
	if w.n == 0 {
		if err := w.csv.Write(CSVHeader); err != nil {
			return err
		}
	}
	w.n++
	return w.csv.Write(csvRecord(c))
}

// Flush flushes buffered CSV output.
func (w *CDRWriter) Flush() error {
	if w.csv != nil {
		if w.n == 0 {
			_ = w.csv.Write(CSVHeader)
		}
		w.csv.Flush()
		return w.csv.Error()
	}
	return nil
}

// ParseSince parses a --since / ?since= value: RFC 3339 time, a date, or a
// duration back from now ("24h").
func ParseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("since %q: want RFC 3339 time, YYYY-MM-DD or a duration like 24h", s)
}

// GetCDR returns the CDR of one leg, or nil.
func GetCDR(db *bbolt.DB, legID string) (*CDR, error) {
	var out *CDR
	err := db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketCDRs)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(legID))
		if v == nil {
			return nil
		}
		out = &CDR{}
		return json.Unmarshal(v, out)
	})
	if err != nil {
		return nil, fmt.Errorf("get cdr %s: %w", legID, err)
	}
	return out, nil
}
