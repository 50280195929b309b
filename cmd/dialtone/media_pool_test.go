package main

import (
	"testing"

	"github.com/dialtone/dialtone/config"
)

// The media pool keeps idle pairs for the whole range unless their
// descriptors would take more than half of what the open files limit
// leaves after the TCP connections.
func TestIdleMediaPairs(t *testing.T) {
	tests := []struct {
		name      string
		openFiles uint64
		want      int
	}{
		{name: "a high limit keeps the whole range", openFiles: 1 << 20, want: 5000},
		{name: "an unknown limit keeps the whole range", openFiles: 0, want: 5000},
		{name: "a limit of 20,000 with 4,096 TCP connections: a quarter of the rest", openFiles: 20000, want: (20000 - 4096) / 4},
		{name: "a limit TCP takes whole keeps none", openFiles: 4000, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg config.Config
			cfg.Media.PortMin, cfg.Media.PortMax = 20000, 29999
			cfg.SIP.TCPMaxConns = 4096
			if got := idleMediaPairs(&cfg, tt.openFiles); got != tt.want {
				t.Errorf("idleMediaPairs = %d, want %d", got, tt.want)
			}
		})
	}
}
