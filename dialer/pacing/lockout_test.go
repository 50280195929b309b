package pacing

import (
	"testing"
	"time"
)

func TestMayRedialAfterAbandon(t *testing.T) {
	abandoned := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		abandoned  time.Time
		now        time.Time
		guaranteed bool
		want       bool
	}{
		{"never abandoned", time.Time{}, abandoned, false, true},
		{"within the lockout, predictive", abandoned, abandoned.Add(71 * time.Hour), false, false},
		{"within the lockout, agent guaranteed", abandoned, abandoned.Add(time.Hour), true, true},
		{"lockout over", abandoned, abandoned.Add(72 * time.Hour), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MayRedial(tt.abandoned, tt.now, DefaultAbandonLockout, tt.guaranteed); got != tt.want {
				t.Fatalf("MayRedial = %v, want %v", got, tt.want)
			}
		})
	}
}
