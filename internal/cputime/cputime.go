// Package cputime reads the CPU time the process has used, so benchmarks
// can report CPU per operation: unlike ns/op, it does not grow when other
// processes share the cores, and it counts every goroutine's work (the
// collector's, the writers') rather than the time one loop waited.
package cputime

import (
	"syscall"
	"time"
)

// Process returns the user and system CPU time of the whole process so
// far (0 where the system cannot tell).
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// PerOp is the CPU time used since start, per op, in nanoseconds: the
// value of a benchmark's "cpu-ns/op" metric.
func PerOp(start time.Duration, ops int) float64 {
	if ops <= 0 {
		return 0
	}
	return float64((Process() - start).Nanoseconds()) / float64(ops)
}
