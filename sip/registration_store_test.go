package sip

import (
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/dialtone/dialtone/config"
)

// memRegistrations is a RegistrationStore in memory that counts writes.
type memRegistrations struct {
	mu     sync.Mutex
	rows   map[RegistrationKey]Registration
	saves  int
	puts   int
	failed error // the next save fails with this
}

func newMemRegistrations() *memRegistrations {
	return &memRegistrations{rows: map[RegistrationKey]Registration{}}
}

func (m *memRegistrations) LoadRegistrations() ([]Registration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Registration
	for _, r := range m.rows {
		out = append(out, r)
	}
	return out, nil
}

func (m *memRegistrations) SaveRegistrations(puts []Registration, deletes []RegistrationKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failed; err != nil {
		m.failed = nil
		return err
	}
	m.saves++
	m.puts += len(puts)
	for _, k := range deletes {
		delete(m.rows, k)
	}
	for _, r := range puts {
		m.rows[r.RegistrationKey] = r
	}
	return nil
}

func (m *memRegistrations) contacts() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []string{}
	for _, r := range m.rows {
		out = append(out, r.User+" "+r.Contact)
	}
	sort.Strings(out)
	return out
}

const registrationTestConfig = `
organization:
  id: test
trunks:
  - name: carrier
    address: 127.0.0.1:5080
sip:
  max_contacts: 3
roles:
  - name: agent
    permissions: [calls.inbound]
users:
  - extension: "1001"
    password: a-secret
    role: agent
  - extension: "1002"
    password: b-secret
    role: agent
`

func registrationSwitch(t *testing.T, store RegistrationStore, yaml string) *Switch {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), filepath.Join(t.TempDir(), "r.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sw, err := New(cfg, Options{Organization: organizationOf(t, cfg), CDRs: discardCDRs{}, Registrations: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return sw
}

// phoneBinding is a phone behind NAT: a private Contact, a public source.
func phoneBinding(user string, port int, ttl time.Duration) binding {
	now := time.Now()
	return binding{Contact: sip.Uri{Scheme: "sip", User: user, Host: "192.168.1.20", Port: port},
		Source: "198.51.100.7:40112", Transport: "udp", Expires: now.Add(ttl), Registered: now,
		Instance: "", UserAgent: "desk phone"}
}

func TestRegistrationsSurviveARestart(t *testing.T) {
	store := newMemRegistrations()
	sw := registrationSwitch(t, store, registrationTestConfig)
	desk := phoneBinding("1001", 5062, time.Hour)
	desk.Instance, desk.RegID = "<urn:uuid:00000000-0000-1000-8000-000a95a0e128>", "1"
	sw.reg.update("1001", registerChange{add: []binding{desk}, callID: "desk", cseq: 7}, 3)
	sw.reg.update("1002", registerChange{add: []binding{phoneBinding("1002", 5070, time.Hour)}, callID: "bob", cseq: 1}, 3)
	if err := sw.regWriter.close(); err != nil {
		t.Fatal(err)
	}
	// Left in the store by a crash before it expired: not restored.
	old := registrationOf("1001", phoneBinding("1001", 5099, -time.Minute))
	store.rows[old.RegistrationKey] = old

	again := registrationSwitch(t, store, registrationTestConfig)
	got := again.reg.lookup("1001")
	if len(got) != 1 {
		t.Fatalf("after the restart 1001 has %d contacts, want the desk phone only: %+v", len(got), got)
	}
	b := got[0]
	if b.Contact.String() != desk.Contact.String() || b.Source != desk.Source || b.Transport != "udp" || b.Instance != desk.Instance ||
		b.RegID != "1" || b.UserAgent != "desk phone" || b.CallID != "desk" || b.CSeq != 7 || !b.Expires.Equal(desk.Expires) {
		t.Fatalf("restored binding %+v, want %+v", b, desk)
	}
	if b.destination() != desk.Source {
		t.Errorf("a UDP phone behind NAT is called at %s, want its source address %s", b.destination(), desk.Source)
	}
	if want := []string{"1001 sip:1001@192.168.1.20:5062", "1002 sip:1002@192.168.1.20:5070"}; !equalStrings(store.contacts(), want) {
		t.Errorf("store after the restart: %v, want the expired one deleted: %v", store.contacts(), want)
	}
	// The restored Call-ID and CSeq still order REGISTERs: a stale one
	// does not remove the phone.
	again.reg.update("1001", registerChange{remove: []binding{desk}, callID: "desk", cseq: 6}, 3)
	if len(again.reg.lookup("1001")) != 1 {
		t.Fatal("a REGISTER older than the restored one removed the phone")
	}

	t.Run("a reload that removes a user drops their registrations", func(t *testing.T) {
		cfg, err := config.Parse([]byte(strings.Replace(registrationTestConfig, "  - extension: \"1002\"\n    password: b-secret\n    role: agent\n", "", 1)), filepath.Join(t.TempDir(), "r.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		reloadSwitch(t, again, cfg)
		if n := len(again.reg.lookup("1002")); n != 0 {
			t.Fatalf("1002 removed from the config still has %d contacts", n)
		}
		if err := again.regWriter.flush(); err != nil {
			t.Fatal(err)
		}
		if want := []string{"1001 sip:1001@192.168.1.20:5062"}; !equalStrings(store.contacts(), want) {
			t.Fatalf("store after the reload: %v, want %v", store.contacts(), want)
		}
	})
	t.Run("expired registrations are deleted from the store", func(t *testing.T) {
		again.reg.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
		again.reg.expire()
		if err := again.regWriter.flush(); err != nil {
			t.Fatal(err)
		}
		if got := store.contacts(); len(got) != 0 {
			t.Fatalf("store after expiry: %v", got)
		}
	})
}

func TestRestoredTCPContactIsCalledAtItsContactAddress(t *testing.T) {
	b := phoneBinding("1001", 5062, time.Hour)
	b.Transport = "tcp"
	if b.destination() != b.Source {
		t.Fatalf("a live TCP registration is called over its connection's address %s, got %s", b.Source, b.destination())
	}
	b.restored = true
	if got := b.destination(); got != "192.168.1.20:5062" {
		t.Fatalf("a restored TCP registration is called at %s, want its Contact 192.168.1.20:5062 (the connection is gone)", got)
	}
}

func TestARegisterStormIsWrittenInBatches(t *testing.T) {
	store := newMemRegistrations()
	sw := registrationSwitch(t, store, registrationTestConfig)
	for i := uint32(1); i <= 1000; i++ {
		sw.reg.update("1001", registerChange{add: []binding{phoneBinding("1001", 5062, time.Hour)}, callID: "desk", cseq: i}, 3)
		sw.reg.update("1002", registerChange{add: []binding{phoneBinding("1002", int(5000+i), time.Hour)}, callID: "roaming", cseq: i}, 3)
	}
	if store.saves != 0 {
		t.Fatalf("REGISTERs wrote to the store themselves: %d saves", store.saves)
	}
	if n := len(sw.regWriter.pending); n != 4 {
		t.Fatalf("pending changes: %d, want one per binding (1 + 3 kept of 1002's)", n)
	}
	if err := sw.regWriter.flush(); err != nil {
		t.Fatal(err)
	}
	if store.saves != 1 || store.puts != 4 {
		t.Fatalf("2,000 REGISTERs: %d saves of %d bindings, want 1 save of 4", store.saves, store.puts)
	}
	t.Run("a failed write is retried with the changes made meanwhile", func(t *testing.T) {
		store.failed = errors.New("disk full")
		sw.reg.update("1002", registerChange{add: []binding{phoneBinding("1002", 7000, time.Hour)}, callID: "roaming", cseq: 2000}, 3)
		if err := sw.regWriter.flush(); err == nil {
			t.Fatal("the store's error was not reported")
		}
		sw.reg.update("1002", registerChange{add: []binding{phoneBinding("1002", 7001, time.Hour)}, callID: "roaming", cseq: 2001}, 3)
		if err := sw.regWriter.flush(); err != nil {
			t.Fatal(err)
		}
		want := []string{"1001 sip:1001@192.168.1.20:5062", "1002 sip:1002@192.168.1.20:6000", "1002 sip:1002@192.168.1.20:7000", "1002 sip:1002@192.168.1.20:7001"}
		if !equalStrings(store.contacts(), want) {
			t.Fatalf("store: %v, want %v", store.contacts(), want)
		}
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
