package sip

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
)

type discardCDRs struct{}

func (discardCDRs) Started(*billing.CDR)     {}
func (discardCDRs) Ended(*billing.CDR) error { return nil }

// recording is which of the config's record settings are on.
type recording struct{ all, user, number bool }

// recordingConfig is a config where bob (1002) calls alice's number
// +14155550100, with the record settings of r.
func recordingConfig(t *testing.T, r recording) *config.Config {
	t.Helper()
	yaml := fmt.Sprintf(`
roles:
  - name: agent
    permissions: [calls.inbound, calls.outbound]
users:
  - extension: "1001"
    password: alice-secret
    role: agent
    record: %t
  - extension: "1002"
    password: bob-secret
    role: agent
numbers:
  - number: "+14155550100"
    user: "1001"
    record: %t
media:
  record_all: %t
organization:
  id: test
trunks:
  - name: carrier
    address: 127.0.0.1:5080
`, r.user, r.number, r.all)
	cfg, err := config.Parse([]byte(yaml), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// recordedCall reports whether bob's call to alice's number is recorded
// as routing leaves it: the number looked up in the directory of the
// moment.
func recordedCall(sw *Switch) bool {
	return sw.CallHost().CallDirectory().Records(sw.directory().Number("+14155550100"), "1002", "1001")
}

func TestWhetherACallIsRecordedFollowsAReload(t *testing.T) {
	tests := []struct {
		name          string
		start, reload recording
		// apiNumber rents a number through the API after the reload,
		// which rebuilds the directory.
		apiNumber bool
	}{
		{name: "record_all turned on", reload: recording{all: true}},
		{name: "record_all turned off", start: recording{all: true}},
		{name: "a user's record turned on", reload: recording{user: true}},
		{name: "a number's record turned off", start: recording{number: true}},
		{name: "a number rented through the API keeps the reloaded record_all", reload: recording{all: true}, apiNumber: true},
		{name: "a number rented through the API keeps the reloaded user's record", reload: recording{user: true}, apiNumber: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := recordingConfig(t, tt.start)
			sw, err := New(start, Options{CDRs: discardCDRs{}, Organization: organizationOf(t, start), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			want := func(r recording) bool { return r.all || r.user || r.number }
			if got := recordedCall(sw); got != want(tt.start) {
				t.Fatalf("before the reload: recorded %v, want %v", got, want(tt.start))
			}
			reloadSwitch(t, sw, recordingConfig(t, tt.reload))
			if tt.apiNumber {
				if _, err := sw.org.AddNumber(context.Background(), config.Number{Number: "+18885550199", User: "1002"}); err != nil {
					t.Fatalf("add number: %v", err)
				}
			}
			if got := recordedCall(sw); got != want(tt.reload) {
				t.Fatalf("after the reload: recorded %v, want %v", got, want(tt.reload))
			}
		})
	}
}
