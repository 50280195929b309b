package main

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// memoryLimitShare is the part of the machine's (or the container's)
// memory the Go runtime is asked to stay under: a soft limit, so the
// collector runs harder near it instead of the process being killed.
const memoryLimitShare = 0.75

// setMemoryLimit sets a soft memory limit derived from the machine unless
// GOMEMLIMIT is set in the environment (the runtime then already uses it).
// It returns the limit in force, 0 when none could be derived.
func setMemoryLimit(log *slog.Logger) int64 {
	if v := os.Getenv("GOMEMLIMIT"); v != "" {
		limit := debug.SetMemoryLimit(-1)
		log.Info("memory limit from GOMEMLIMIT", "limit_mb", limit>>20)
		return limit
	}
	total := machineMemory()
	if total <= 0 {
		return 0
	}
	limit := int64(float64(total) * memoryLimitShare)
	debug.SetMemoryLimit(limit)
	log.Info("memory limit", "limit_mb", limit>>20, "of_mb", total>>20)
	return limit
}

// machineMemory is the memory this process may use: the cgroup's limit
// when there is one, else the machine's; 0 when neither can be read.
func machineMemory() int64 {
	total := memTotal("/proc/meminfo")
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			total = n
		}
	}
	return total
}

// memTotal reads MemTotal from a meminfo file, in bytes (0 if unreadable).
func memTotal(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		rest, ok := strings.CutPrefix(s.Text(), "MemTotal:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// Idle memory return: after a load the heap stays as large as the load
// made it (no allocation, so no collection runs) and the runtime hands
// pages back only slowly. While the switch allocates little, it collects
// and returns free memory to the system every idleCheck, for idleFrees
// checks in a row: enough to outlast the SIP transactions of the load,
// which live 32 s after their last message.
const (
	idleCheck      = 10 * time.Second
	idleFrees      = 6
	idleAllocBytes = 16 << 20 // allocated in one idleCheck: idle below this
)

// returnIdleMemory runs until ctx ends.
func returnIdleMemory(ctx context.Context, check time.Duration, free func()) {
	t := time.NewTicker(check)
	defer t.Stop()
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	allocated := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	idle := newIdleFreer(idleAllocBytes, idleFrees, free)
	last := allocated()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			now := allocated()
			idle.tick(now - last)
			last = now
		}
	}
}

// idleFreer decides when to free: on each of the first frees checks in a
// row that saw less than threshold bytes allocated, none after that until
// the switch has been busy again.
type idleFreer struct {
	threshold uint64
	frees     int
	left      int
	free      func()
}

func newIdleFreer(threshold uint64, frees int, free func()) *idleFreer {
	return &idleFreer{threshold: threshold, frees: frees, left: frees, free: free}
}

func (f *idleFreer) tick(allocated uint64) {
	if allocated >= f.threshold {
		f.left = f.frees
		return
	}
	if f.left > 0 {
		f.left--
		f.free()
	}
}

// gcPercent is the collector's GOGC unless the environment sets one:
// measured with bench/sipp_load.sh, 200 spends 15-20 % less CPU per call
// than the default 100 at 1,000-2,000 calls/s, for about 10 KB more RSS
// per call held; the memory limit bounds the heap it lets grow.
const gcPercent = 200

// startMemoryPolicy sets the collector's pace and the memory limit, and
// returns memory when idle, until ctx ends.
func startMemoryPolicy(ctx context.Context, log *slog.Logger) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	setMemoryLimit(log)
	go returnIdleMemory(ctx, idleCheck, debug.FreeOSMemory)
}
