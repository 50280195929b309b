package config

import (
	"math"
	"strings"
	"testing"
)

func TestMemoryLimitIsReadCheckedAndNamedWhereWrong(t *testing.T) {
	tests := []struct {
		name    string
		line    string // the first line of the file; "" leaves the key out
		want    string // the limit as String writes it
		set     bool
		of24GiB int64
		err     string // the exact error: file, line, field, problem
	}{
		{name: "left out: 75% of the machine", want: "75%", of24GiB: 18 << 30},
		{name: "a binary size", line: "memory_limit: 512MiB", want: "512MiB", set: true, of24GiB: 512 << 20},
		{name: "a decimal size", line: "memory_limit: 300MB", want: "300000000B", set: true, of24GiB: 300e6},
		{name: "a fraction of a unit", line: "memory_limit: 1.5GiB", want: "1536MiB", set: true, of24GiB: 1536 << 20},
		{name: "a share", line: "memory_limit: 50%", want: "50%", set: true, of24GiB: 12 << 30},
		{name: "off", line: "memory_limit: off", want: "off", set: true, of24GiB: math.MaxInt64},
		{name: "no unit", line: "memory_limit: 512", err: `v.yaml:1: memory_limit: "512" is not a memory size (like 512MiB, 2GiB or 75%, or off)`},
		{name: "a word", line: "memory_limit: lots", err: `v.yaml:1: memory_limit: "lots" is not a memory size (like 512MiB, 2GiB or 75%, or off)`},
		{name: "a list", line: "memory_limit: [1GiB]", err: `v.yaml:1: memory_limit: want a memory size (like 512MiB, 2GiB or 75%, or off)`},
		{name: "too small to run in", line: "memory_limit: 16MiB", err: "v.yaml:1: memory_limit: 16MiB is out of range (64MiB or more, or off)"},
		{name: "zero", line: "memory_limit: 0B", err: "v.yaml:1: memory_limit: 0B is out of range (64MiB or more, or off)"},
		{name: "a share over the whole", line: "memory_limit: 150%", err: "v.yaml:1: memory_limit: 150% is out of range (a share above 0% and at most 100%)"},
		{name: "no share at all", line: "memory_limit: 0%", err: "v.yaml:1: memory_limit: 0% is out of range (a share above 0% and at most 100%)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := minimalConfig
			if tt.line != "" {
				file = tt.line + "\n" + file
			}
			cfg, err := Parse([]byte(file), "v.yaml")
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m := cfg.MemoryLimit
			if m.String() != tt.want || m.Set() != tt.set || m.Of(24<<30) != tt.of24GiB {
				t.Fatalf("%s (set %v, of 24GiB %d); want %s (set %v, %d)", m, m.Set(), m.Of(24<<30), tt.want, tt.set, tt.of24GiB)
			}
		})
	}
}

func TestMemoryLimitUnknownKeyNearItIsSuggested(t *testing.T) {
	_, err := Parse([]byte("memory_limt: 1GiB\n"+minimalConfig), "v.yaml")
	if err == nil || !strings.Contains(err.Error(), `v.yaml:1: memory_limt: unknown field (in Config): did you mean "memory_limit"?`) {
		t.Fatalf("error %v", err)
	}
}
