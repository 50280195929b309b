package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/dialtone/dialtone/internal/kv"
)

func openStore(t *testing.T) kv.Store {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "test.db"), 0o600, &bbolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return kv.NewBolt(db)
}

// crm is a receiver that can be down, and checks every signature.
type crm struct {
	mu       sync.Mutex
	down     bool
	received []Event
	bad      []string
	now      func() time.Time
}

func (c *crm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if err := Verify("s3cret-s3cret-s3cret", r.Header.Get(SignatureHeader), body, c.now(), 5*time.Minute); err != nil {
		c.bad = append(c.bad, err.Error())
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var ev Event
	_ = json.Unmarshal(body, &ev)
	if r.Header.Get("Dialtone-Event-Id") != ev.ID {
		c.bad = append(c.bad, "event id header")
	}
	c.received = append(c.received, ev)
}

func TestOutboxRedeliversAfterTheReceiverWasDownAnHour(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	recv := &crm{down: true, now: clock}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	store := openStore(t)
	ob := New(Options{Store: store, Now: clock, Target: func() Target { return Target{srv.URL, "s3cret-s3cret-s3cret"} }})
	ctx := context.Background()

	first, err := ob.Publish("attempt.completed", map[string]string{"outcome": "answered"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ob.Publish("campaign.state", map[string]string{"state": "paused"}); err != nil {
		t.Fatal(err)
	}
	// Down for an hour: every round fails and backs off.
	rounds := 0
	for end := now.Add(time.Hour); now.Before(end); rounds++ {
		next := ob.DeliverDue(ctx)
		if next.IsZero() || !next.After(now) {
			t.Fatalf("round %d: next delivery %v is not after now %v", rounds, next, now)
		}
		now = next
	}
	if rounds > 20 {
		t.Errorf("%d attempts in an hour: the backoff does not grow", rounds)
	}
	if n, _ := ob.Pending(); n != 2 {
		t.Fatalf("pending after the outage = %d, want 2", n)
	}
	recv.mu.Lock()
	recv.down = false
	recv.mu.Unlock()
	now = now.Add(MaxBackoff)
	if next := ob.DeliverDue(ctx); !next.IsZero() {
		t.Errorf("next = %v after everything was delivered", next)
	}
	if len(recv.received) != 2 || recv.received[0].ID != first.ID || recv.received[1].Type != "campaign.state" {
		t.Fatalf("received %+v", recv.received)
	}
	if len(recv.bad) > 0 {
		t.Fatalf("bad deliveries: %v", recv.bad)
	}
	if n, _ := ob.Pending(); n != 0 {
		t.Errorf("pending = %d after delivery", n)
	}
}

func TestOutboxSurvivesARestart(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store := openStore(t)
	// No URL yet: events wait.
	ob := New(Options{Store: store, Now: clock})
	ev, err := ob.Publish("agent.state", map[string]string{"state": "ready"})
	if err != nil {
		t.Fatal(err)
	}
	recv := &crm{now: clock}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	again := New(Options{Store: store, Now: clock, Target: func() Target { return Target{srv.URL, "s3cret-s3cret-s3cret"} }})
	again.DeliverDue(context.Background())
	if len(recv.received) != 1 || recv.received[0].ID != ev.ID {
		t.Fatalf("received %+v, want %s", recv.received, ev.ID)
	}
}

func TestSignature(t *testing.T) {
	at := time.Unix(1_700_000_000, 0)
	body := []byte(`{"id":"evt_1"}`)
	h := Sign("secret", at, body)
	if h != "t=1700000000,v1="+mac("secret", "1700000000", body) {
		t.Fatalf("header %q", h)
	}
	tests := []struct {
		name   string
		secret string
		header string
		body   string
		now    time.Time
		ok     bool
	}{
		{"good", "secret", h, string(body), at.Add(time.Minute), true},
		{"wrong secret", "other", h, string(body), at, false},
		{"body changed", "secret", h, `{"id":"evt_2"}`, at, false},
		{"replayed late", "secret", h, string(body), at.Add(time.Hour), false},
		{"no timestamp", "secret", "v1=00", string(body), at, false},
		{"rotated: second v1 matches", "secret", h + ",v1=deadbeef", string(body), at, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.header, []byte(tt.body), tt.now, 5*time.Minute)
			if (err == nil) != tt.ok {
				t.Fatalf("Verify = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestBackoffDoublesToACap(t *testing.T) {
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second}
	for i, w := range want {
		if got := Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := Backoff(50); got != MaxBackoff {
		t.Errorf("Backoff(50) = %v", got)
	}
}
