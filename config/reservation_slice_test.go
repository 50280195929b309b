package config

import (
	"testing"
	"time"
)

func TestReservationSlice(t *testing.T) {
	tests := []struct {
		name    string
		billing string // lines under billing:
		want    time.Duration
		err     string
	}{
		{name: "the default is 5 minutes", want: 5 * time.Minute},
		{name: "it can be set", billing: "  reservation_slice: 2m\n", want: 2 * time.Minute},
		{name: "the bounds themselves are allowed", billing: "  reservation_slice: 1s\n", want: time.Second},
		{name: "a zero slice is refused", billing: "  reservation_slice: 0s\n", err: "v.yaml:2: billing.reservation_slice: must be positive (1s to 1h)"},
		{name: "a slice under a second is refused", billing: "  reservation_slice: 500ms\n", err: "v.yaml:2: billing.reservation_slice: 500ms is out of range (1s to 1h)"},
		{name: "a slice over an hour is refused", billing: "  reservation_slice: 2h\n", err: "v.yaml:2: billing.reservation_slice: 2h is out of range (1s to 1h)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parseSection(t, "billing", tt.billing, tt.err)
			if cfg == nil {
				return
			}
			if got := cfg.Billing.ReservationSlice.Duration; got != tt.want {
				t.Errorf("reservation_slice %s, want %s", got, tt.want)
			}
		})
	}
}

// minimalConfig is the rest of a config that loads: an organization, a user
// and a trunk.
const minimalConfig = `organization:
  id: t
roles:
  - name: agent
    permissions: [calls.inbound]
users:
  - extension: "1001"
    password: a-good-secret
    role: agent
trunks:
  - name: c
    address: 127.0.0.1:5080
`
