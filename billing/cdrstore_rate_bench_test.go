package billing

import (
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/cputime"
	"github.com/google/uuid"
)

// BenchmarkCDRStoreAtRate offers legs to the CDR store at the rate a
// switch at 1,000 calls/s does (2,000 legs/s: each opened, then ended
// 200 ms later, rated and posted by a meter) and reports the CPU the
// whole process spent per leg and the records each group commit carried.
// Unlike BenchmarkCDRStoreLegs, which saturates the writer, this shows
// what a commit costs at a rate the writer keeps up with, where batches
// are small. ns/op is the pacing, not a cost. The leg ids are random
// UUIDs (version 4) or time-ordered ones (version 7, as the switch makes).
func BenchmarkCDRStoreAtRate(b *testing.B) {
	b.Run("uuid4", func(b *testing.B) { benchCDRStoreAtRate(b, uuid.NewString) })
	b.Run("uuid7", func(b *testing.B) {
		benchCDRStoreAtRate(b, func() string { return uuid.Must(uuid.NewV7()).String() })
	})
}

func benchCDRStoreAtRate(b *testing.B, newID func() string) {
	const legsPerSec, hold = 2000, 200 * time.Millisecond
	m := benchMeter(b)
	s, err := OpenCDRStore(m.ledger.db, m, quietLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	commits0, records0 := s.Commits()
	var wg sync.WaitGroup
	cpu0 := cputime.Process()
	start := time.Now()
	b.ResetTimer()
	for i := range b.N {
		if wait := time.Until(start.Add(time.Duration(i) * time.Second / legsPerSec)); wait > 0 {
			time.Sleep(wait)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := benchCDR(0, i)
			c.LegID = newID()
			s.Started(&c)
			time.Sleep(hold)
			if err := s.Ended(&c); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(cputime.PerOp(cpu0, b.N), "cpu-ns/leg")
	commits, records := s.Commits()
	b.ReportMetric(float64(records-records0)/float64(commits-commits0), "records/commit")
}
