package main

import (
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/dialtone/dialtone/config"
)

func TestIdleFreerFreesOnlyWhileIdleAndOnlyAFewTimes(t *testing.T) {
	tests := []struct {
		name      string
		allocated []uint64 // per check
		frees     int
	}{
		{"busy throughout", []uint64{100, 200, 100, 100}, 0},
		{"idle after a load: the first three idle checks", []uint64{100, 1, 1, 1, 1, 1, 0}, 3},
		{"busy again: three more", []uint64{1, 1, 1, 1, 100, 1, 1, 1, 1}, 6},
		{"idle from the start", []uint64{0, 0}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			f := newIdleFreer(10, 3, func() { n++ })
			for _, a := range tt.allocated {
				f.tick(a)
			}
			if n != tt.frees {
				t.Fatalf("freed %d times, want %d", n, tt.frees)
			}
		})
	}
}

func TestMemTotalReadsMeminfo(t *testing.T) {
	tests := []struct {
		name, content string
		want          int64
	}{
		{"a machine", "MemFree:  1000 kB\nMemTotal:       24683832 kB\n", 24683832 << 10},
		{"no MemTotal", "MemFree: 1000 kB\n", 0},
		{"garbage", "MemTotal: lots\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "meminfo")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if got := memTotal(path); got != tt.want {
				t.Fatalf("%d, want %d", got, tt.want)
			}
		})
	}
	if got := memTotal(filepath.Join(t.TempDir(), "missing")); got != 0 {
		t.Fatalf("missing file: %d", got)
	}
}

func TestMemoryLimitComesFromTheFileThenGOMEMLIMITThenTheDefault(t *testing.T) {
	parse := func(s string) config.MemoryLimit {
		cfg, err := config.Parse([]byte("memory_limit: "+s+"\n"+minimalServeConfig), "m.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return cfg.MemoryLimit
	}
	fileDefault, err := config.Parse([]byte(minimalServeConfig), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const machine = 8 << 30
	tests := []struct {
		name     string
		limit    config.MemoryLimit
		env      string
		machine  int64
		want     int64
		wantFrom string
	}{
		{"the default: 75% of the machine", fileDefault.MemoryLimit, "", machine, 6 << 30, "default"},
		{"GOMEMLIMIT replaces the default", fileDefault.MemoryLimit, "1GiB", machine, -1, "GOMEMLIMIT"},
		{"the file's size wins over GOMEMLIMIT", parse("512MiB"), "1GiB", machine, 512 << 20, "memory_limit"},
		{"the file's share", parse("25%"), "", machine, 2 << 30, "memory_limit"},
		{"a share of unknown memory: none", parse("25%"), "", 0, 0, "memory_limit"},
		{"off", parse("off"), "", machine, math.MaxInt64, "memory_limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, from := memoryLimit(tt.limit, tt.env, func() int64 { return tt.machine })
			if got != tt.want || from != tt.wantFrom {
				t.Fatalf("%d from %s, want %d from %s", got, from, tt.want, tt.wantFrom)
			}
		})
	}
}

func TestMemoryLimitIsAppliedToTheRuntime(t *testing.T) {
	if os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOMEMLIMIT is set: the default would not apply")
	}
	was := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(was) })
	cfg, err := config.Parse([]byte("memory_limit: 300MiB\n"+minimalServeConfig), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if got := applyMemoryLimit(log, cfg.MemoryLimit); got != 300<<20 {
		t.Fatalf("applied %d", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 300<<20 {
		t.Fatalf("the runtime's limit is %d, want 300 MiB", got)
	}
	// A reload to a file without memory_limit, with GOMEMLIMIT set: back to
	// the limit the runtime took from it at start, not the file's old one.
	t.Setenv("GOMEMLIMIT", "1GiB")
	envWas := envMemoryLimit
	envMemoryLimit = 1 << 30 // as the runtime read it at start
	t.Cleanup(func() { envMemoryLimit = envWas })
	unset, err := config.Parse([]byte(minimalServeConfig), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := applyMemoryLimit(log, unset.MemoryLimit); got != 1<<30 || debug.SetMemoryLimit(-1) != 1<<30 {
		t.Fatalf("applied %d, the runtime's is %d; want GOMEMLIMIT's 1 GiB", got, debug.SetMemoryLimit(-1))
	}
}

// minimalServeConfig is the rest of a config that loads.
const minimalServeConfig = `organization: {id: t}
roles: [{name: agent, permissions: [calls.inbound]}]
users: [{extension: "1001", password: a-good-secret, role: agent}]
trunks: [{name: c, address: "127.0.0.1:5080"}]
`
