package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MemoryLimit is memory_limit: the soft limit the Go runtime keeps the
// process's memory under (runtime/debug.SetMemoryLimit). Near it the
// collector runs more often instead of letting the heap grow to twice or
// three times what is live; past the knee of the call rate that extra CPU
// shows as INVITEs refused for waiting in the socket, so the switch sheds
// calls rather than grow until the kernel kills it. Either a size
// (512MiB, 2GiB, 300MB), a share of the machine's memory (or its cgroup's
// limit) such as 75%, or off.
type MemoryLimit struct {
	Bytes int64   // a fixed size, unless IsShare or Off
	Share float64 // of the machine's memory when IsShare, 0 < Share <= 1
	// IsShare says the limit is Share of the machine's memory.
	IsShare bool
	Off     bool // no limit: the heap grows as GOGC lets it
	line    int  // where the file set it (0: not set)
}

// DefaultMemoryLimit is memory_limit when the file leaves it out (and
// GOMEMLIMIT is not set in the environment).
var DefaultMemoryLimit = MemoryLimit{Share: 0.75, IsShare: true}

// MinMemoryLimit is the smallest size accepted: below it the switch's own
// tables and one burst of calls fill the limit, and the collector would
// run without pause.
const MinMemoryLimit = 64 << 20

// Set reports whether the file set memory_limit.
func (m MemoryLimit) Set() bool { return m.line > 0 }

// Of is the limit in bytes on a machine with total bytes of memory:
// math.MaxInt64 when off, 0 when it is a share and total is unknown.
func (m MemoryLimit) Of(total int64) int64 {
	switch {
	case m.Off:
		return math.MaxInt64
	case m.IsShare:
		return int64(float64(total) * m.Share)
	}
	return m.Bytes
}

// String writes the limit as the file would.
func (m MemoryLimit) String() string {
	switch {
	case m.Off:
		return "off"
	case m.IsShare:
		return strconv.FormatFloat(m.Share*100, 'f', -1, 64) + "%"
	}
	return formatBytes(m.Bytes)
}

// memoryUnits are the suffixes a size may carry, longest first so that
// "MiB" is not read as "B".
var memoryUnits = []struct {
	suffix string
	bytes  int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
}

// ParseMemoryLimit reads "off", a share like "75%" or a size like "512MiB".
func ParseMemoryLimit(s string) (MemoryLimit, error) {
	bad := fmt.Errorf("%q is not a memory size (like 512MiB, 2GiB or 75%%, or off)", s)
	s = strings.TrimSpace(s)
	if s == "off" {
		return MemoryLimit{Off: true}, nil
	}
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
		if err != nil || math.IsNaN(v) {
			return MemoryLimit{}, bad
		}
		return MemoryLimit{Share: v / 100, IsShare: true}, nil
	}
	for _, u := range memoryUnits {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || v < 0 || math.IsNaN(v) || v*float64(u.bytes) >= math.MaxInt64 {
			return MemoryLimit{}, bad
		}
		return MemoryLimit{Bytes: int64(v * float64(u.bytes))}, nil
	}
	return MemoryLimit{}, bad
}

// UnmarshalYAML parses the scalar; the error carries the line so the
// loader can point at it.
func (m *MemoryLimit) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a memory size (like 512MiB, 2GiB or 75%%, or off)", n.Line)
	}
	v, err := ParseMemoryLimit(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %v", n.Line, err)
	}
	v.line = n.Line
	*m = v
	return nil
}

// problem says what is wrong with a parsed limit, "" when nothing is.
func (m MemoryLimit) problem() string {
	switch {
	case m.Off:
		return ""
	case m.IsShare && (m.Share <= 0 || m.Share > 1):
		return fmt.Sprintf("%s is out of range (a share above 0%% and at most 100%%)", m)
	case !m.IsShare && m.Bytes < MinMemoryLimit:
		return fmt.Sprintf("%s is out of range (%s or more, or off)", m, formatBytes(MinMemoryLimit))
	}
	return ""
}

// formatBytes writes n in the largest binary unit that divides it.
func formatBytes(n int64) string {
	for _, u := range []struct {
		suffix string
		bytes  int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.bytes && n%u.bytes == 0 {
			return strconv.FormatInt(n/u.bytes, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
