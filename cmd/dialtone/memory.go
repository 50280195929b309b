package main

import (
	"bufio"
	"context"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/dialtone/dialtone/config"
)

// memoryLimit is the soft memory limit in force for the config's
// memory_limit: the file's when it sets one, else GOMEMLIMIT when the
// environment sets it, else the default share of the machine's memory.
// 0 means none could be derived (a share of memory the machine does not
// report), math.MaxInt64 none at all, and -1 GOMEMLIMIT's (the runtime's
// own reading of it, envMemoryLimit).
func memoryLimit(limit config.MemoryLimit, env string, machine func() int64) (bytes int64, from string) {
	if !limit.Set() && env != "" {
		return -1, "GOMEMLIMIT" // the runtime read it at start
	}
	from = "default"
	if limit.Set() {
		from = "memory_limit"
	}
	if !limit.IsShare {
		return limit.Of(0), from
	}
	return limit.Of(machine()), from
}

// envMemoryLimit is the limit the runtime took from GOMEMLIMIT at start
// (math.MaxInt64 without it), so that a reload that drops memory_limit
// from the file goes back to it.
var envMemoryLimit = debug.SetMemoryLimit(-1)

// applyMemoryLimit sets the runtime's soft memory limit from the config
// (at start and on SIGHUP) and returns it, 0 when none could be derived.
func applyMemoryLimit(log *slog.Logger, limit config.MemoryLimit) int64 {
	total := machineMemory() // read once: for the share and the log line
	bytes, from := memoryLimit(limit, os.Getenv("GOMEMLIMIT"), func() int64 { return total })
	switch {
	case bytes < 0:
		bytes = envMemoryLimit
		debug.SetMemoryLimit(bytes)
	case bytes == 0:
		log.Warn("memory limit: the machine's memory is unknown; none set", "memory_limit", limit.String())
		return 0
	default:
		debug.SetMemoryLimit(bytes)
	}
	if bytes == math.MaxInt64 {
		log.Info("memory limit off", "from", from)
	} else {
		log.Info("memory limit", "limit_mb", bytes>>20, "from", from, "of_mb", total>>20)
	}
	return bytes
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
func startMemoryPolicy(ctx context.Context, log *slog.Logger, limit config.MemoryLimit) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	applyMemoryLimit(log, limit)
	go returnIdleMemory(ctx, idleCheck, debug.FreeOSMemory)
}
