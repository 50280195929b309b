package sip

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/calls"
	"github.com/dialtone/dialtone/config"
	orgdir "github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/internal/testorg"
)

// keptCDRs keeps the CDRs a test's calls write.
type keptCDRs struct {
	mu   sync.Mutex
	legs []billing.CDR
}

func (k *keptCDRs) Started(*billing.CDR) {}
func (k *keptCDRs) Ended(c *billing.CDR) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.legs = append(k.legs, *c)
	return nil
}

// permissionsYAML: alice may call anything, bob may call out at home,
// carol may not call out; the sales group is alice and bob.
const permissionsYAML = testorg.PermissionsYAML

func permissionsSwitch(t *testing.T, yaml string) (*Switch, *keptCDRs) {
	t.Helper()
	return permissionsSwitchWith(t, yaml, nil)
}

// permissionsSwitchWith starts with forwarding rules saved through the
// API (nil: none).
func permissionsSwitchWith(t *testing.T, yaml string, fwd ForwardingStore) (*Switch, *keptCDRs) {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cdrs := &keptCDRs{}
	sw, err := New(cfg, Options{CDRs: cdrs, Forwarding: fwd, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return sw, cdrs
}

func TestPutForwardingRefusesWhatTheUserMayNotCall(t *testing.T) {
	tests := []struct {
		name, path, body string
		code             int
		rule             string
	}{
		{"a premium number for a user who may not call out", "/v1/users/1003/forwarding", `{"always":"+19002345678"}`, 422, "calls.outbound"},
		{"a premium number for a user who may call out", "/v1/users/bob/forwarding", `{"no_answer":"+19002345678"}`, 422, "calls.premium"},
		{"abroad for a user who may not", "/v1/users/bob/forwarding", `{"busy":"+61291234567"}`, 422, "calls.international"},
		{"a number at home", "/v1/users/bob/forwarding", `{"busy":"+14155550199"}`, 200, ""},
		{"the organization's own number rings inside", "/v1/users/carol/forwarding", `{"always":"+14155550100"}`, 200, ""},
		{"another user", "/v1/users/carol/forwarding", `{"always":"1001"}`, 200, ""},
		{"a number rented with forwarding its owner may not call", "/v1/numbers", `{"number":"+14155550103","user":"carol","forwarding":{"always":"+14155550199"}}`, 422, "calls.outbound"},
		{"a group's number forwarding abroad", "/v1/numbers", `{"number":"+14155550103","group":"sales","forwarding":{"always":"+61291234567"}}`, 422, "calls.international"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sw, _ := permissionsSwitch(t, permissionsYAML)
			var err error
			if tt.path == "/v1/numbers" {
				var n config.Number
				if err := json.Unmarshal([]byte(tt.body), &n); err != nil {
					t.Fatal(err)
				}
				_, err = sw.AddNumber(context.Background(), n)
			} else {
				var f config.Forwarding
				if err := json.Unmarshal([]byte(tt.body), &f); err != nil {
					t.Fatal(err)
				}
				err = sw.SetForwarding(strings.Split(tt.path, "/")[3], f)
			}
			if tt.code/100 == 2 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			// Package api answers a ForwardingRefusedError 422 with its
			// fields (TestSwitchErrorsAreAnsweredWithTheirStatus).
			var refused *ForwardingRefusedError
			if !errors.As(err, &refused) {
				t.Fatalf("error %v, want a forwarding refusal (%d)", err, tt.code)
			}
			if refused.Rule != tt.rule || !strings.Contains(refused.Error(), tt.rule) {
				t.Fatalf("error %+v, want the rule %s named", refused, tt.rule)
			}
			for _, ext := range []string{"1001", "1002", "1003"} {
				if f, _ := sw.Forwarding(ext); !f.IsZero() {
					t.Fatalf("a refused request set %s's forwarding: %+v", ext, f)
				}
			}
			if n := sw.Numbers(); len(n) != 2 {
				t.Fatalf("a refused request changed the numbers: %+v", n)
			}
		})
	}
}

func TestOutgoingInvitesNameTheUserEachRings(t *testing.T) {
	sw, _ := permissionsSwitch(t, permissionsYAML)
	for i, ext := range []string{"1001", "1002", "1002"} {
		b := binding{Contact: sip.Uri{Scheme: "sip", User: ext, Host: "127.0.0.1", Port: 5070 + i}, Source: "127.0.0.1:5070", Transport: "udp", Expires: time.Now().Add(time.Hour)}
		sw.reg.update(ext, registerChange{add: []binding{b}}, 10)
	}
	sw.cfg.SIP.Domain = "example.test"
	r := calls.RingRequest{CallID: "c", Origin: calls.Origin{From: "sales"}, Caller: sw.directory().User("1003"), MaxForks: sw.directory().Settings.MaxForks}
	reqs, parties, err := sipNetwork{sw}.outgoingInvites(r, &orgdir.Hop{Users: []*user{sw.directory().User("1001"), sw.directory().User("1002")}})
	if err != nil {
		t.Fatal(err)
	}
	sorted := slices.Sorted(slices.Values(parties)) // the order is the contacts' freshness
	if len(reqs) != 3 || strings.Join(sorted, ",") != "1001,1002,1002" {
		t.Fatalf("%d invites for %v", len(reqs), parties)
	}
	for i, r := range reqs {
		if r.Recipient.User != parties[i] {
			t.Errorf("invite to %s is said to ring %s", r.Recipient.User, parties[i])
		}
	}
}
