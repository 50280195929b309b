package billing

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// benchBatch is how many legs one transaction carries, as the CDR store
// groups them under load.
const benchBatch = 1000

// benchLegID makes distinct, scattered ids like the switch's random leg
// ids, cheaply, so that both benchmarks insert in the same key order.
func benchLegID(run, i int) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(i)*0x9E3779B97F4A7C15)
	binary.BigEndian.PutUint64(b[8:], uint64(run))
	return hex.EncodeToString(b[:])
}

func benchCDR(run, i int) CDR {
	return CDR{
		LegID: benchLegID(run, i), CallID: "c", BillingClass: ClassPSTNOutbound, From: "1001",
		To: auLocal, CallerID: orgNumber, User: "1001", BillableSecs: int64(1 + i%600), EndedAt: t0,
	}
}

// samplePostingSize is the size of a call posting as stored, so the raw
// baseline writes records of the same size.
func samplePostingSize() int {
	p := Posting{ID: "call:" + benchLegID(0, 1), Account: "acme", Kind: PostCall, Amount: dec("-0.35"),
		Time: t0, Ref: benchLegID(0, 1), User: "1001", Seq: 123456, Balance: dec("999999.65")}
	v, _ := json.Marshal(&p)
	return len(v)
}

var benchRun int

// postLegBatches rates and posts n legs in durable transactions of
// benchBatch legs and returns the time it took.
func postLegBatches(b *testing.B, m *Meter, n int) time.Duration {
	benchRun++
	run := benchRun
	batch := make([]CDR, 0, benchBatch)
	after := make([]func(), 0, benchBatch)
	start := time.Now()
	for i := 0; i < n; {
		batch = batch[:0]
		for ; i < n && len(batch) < benchBatch; i++ {
			batch = append(batch, benchCDR(run, i))
		}
		after = after[:0]
		err := m.ledger.db.Update(func(tx *bbolt.Tx) error {
			for j := range batch {
				f, err := m.postLeg(tx, &batch[j])
				if err != nil {
					return err
				}
				after = append(after, f)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range after {
			f()
		}
	}
	return time.Since(start)
}

// rawBatchPuts writes n records of a posting's size under the same keys in
// durable transactions of benchBatch: the floor any durable ledger pays.
func rawBatchPuts(b *testing.B, db *bbolt.DB, n int) time.Duration {
	benchRun++
	run := benchRun
	val := make([]byte, samplePostingSize())
	start := time.Now()
	for i := 0; i < n; {
		err := db.Update(func(tx *bbolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("raw"))
			if err != nil {
				return err
			}
			for end := min(i+benchBatch, n); i < end; i++ {
				if err := bk.Put([]byte("call:"+benchLegID(run, i)), val); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

func benchMeter(b *testing.B) *Meter {
	cfg := testConfig("100000000")
	cfg.Organization.LowBalance = dec("0")
	return newTestMeter(b, openDB(b, filepath.Join(b.TempDir(), "meter.db")), cfg)
}

// BenchmarkPostLegDurable rates and posts legs in durable batches and, in
// the same process, writes the same number of raw records of the same
// size, reporting both rates and their ratio.
func BenchmarkPostLegDurable(b *testing.B) {
	m := benchMeter(b)
	raw := openDB(b, filepath.Join(b.TempDir(), "raw.db"))
	b.ResetTimer()
	posted := postLegBatches(b, m, b.N)
	b.StopTimer()
	rawTook := rawBatchPuts(b, raw, b.N)
	legsPerSec := float64(b.N) / posted.Seconds()
	rawPerSec := float64(b.N) / rawTook.Seconds()
	b.ReportMetric(legsPerSec, "legs/s")
	b.ReportMetric(rawPerSec, "raw-legs/s")
	b.ReportMetric(legsPerSec/rawPerSec, "ratio")
}

// BenchmarkPostLeg is BenchmarkPostLegDurable without the baseline.
func BenchmarkPostLeg(b *testing.B) {
	m := benchMeter(b)
	b.ResetTimer()
	took := postLegBatches(b, m, b.N)
	b.ReportMetric(float64(b.N)/took.Seconds(), "legs/s")
}

// BenchmarkRawBatchPut is the baseline alone: raw bbolt puts of records of
// a posting's size, benchBatch per durable transaction.
func BenchmarkRawBatchPut(b *testing.B) {
	db := openDB(b, filepath.Join(b.TempDir(), "raw.db"))
	b.ResetTimer()
	took := rawBatchPuts(b, db, b.N)
	b.ReportMetric(float64(b.N)/took.Seconds(), "legs/s")
}

// BenchmarkAuthorize reserves and releases credit from many goroutines.
func BenchmarkAuthorize(b *testing.B) {
	m := benchMeter(b)
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := benchLegID(0, int(n.Add(1)))
			if _, err := m.Credit().Authorize(context.Background(), LegRequest{LegID: id, Class: ClassPSTNOutbound, CallerID: orgNumber, To: auLocal}); err != nil {
				b.Fatal(err)
			}
			m.Credit().Release(id)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "legs/s")
}

// BenchmarkCDRStoreLegs opens and ends legs from many goroutines through
// the CDR writer, as calls do (no rating): ns/op per leg, the records each
// group commit carried, and the cost of encoding one CDR.
func BenchmarkCDRStoreLegs(b *testing.B) {
	s, err := OpenCDRStore(openDB(b, filepath.Join(b.TempDir(), "cdrs.db")), nil, quietLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var next atomic.Int64
	b.SetParallelism(64) // many calls end at once
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := benchCDR(1, int(next.Add(1)))
			s.Started(&c)
			if err := s.Ended(&c); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	commits, records := s.Commits()
	b.ReportMetric(float64(records)/float64(commits), "records/commit")
	c := benchCDR(1, 1)
	start := time.Now()
	for range 1000 {
		if _, err := json.Marshal(&c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/1000, "ns/encode")
}
