package main

import (
	"os"
	"path/filepath"
	"testing"
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
