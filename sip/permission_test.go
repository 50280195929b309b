package sip

import (
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
	cfg, err := config.Parse([]byte(yaml), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cdrs := &keptCDRs{}
	sw, err := New(cfg, Options{CDRs: cdrs, Organization: organizationOf(t, cfg), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return sw, cdrs
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
