package messaging

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
)

func TestWebhookOutboxSignsRetriesAndSurvivesARestart(t *testing.T) {
	const secret = "0123456789abcdef-secret"
	var mu sync.Mutex
	var got []Event
	fail := 1
	received := make(chan struct{}, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get(SignatureHeader) != Sign(secret, body) {
			w.WriteHeader(401)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if fail > 0 {
			fail--
			w.WriteHeader(503)
			return
		}
		var e Event
		_ = json.Unmarshal(body, &e)
		got = append(got, e)
		received <- struct{}{}
	}))
	defer srv.Close()
	db := openDB(t, filepath.Join(t.TempDir(), "d.db"))

	// Persisted before anything runs: a restart delivers it.
	ob, err := NewWebhookOutbox(db, srv.URL, secret, quiet())
	if err != nil {
		t.Fatal(err)
	}
	ob.minBackoff = time.Millisecond
	for _, s := range []State{StateQueued, StateSent} {
		if err := ob.Notify(context.Background(), Event{ID: "m1:" + string(s), Type: "message.status", Data: &Message{ID: "m1", State: s}}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go ob.Run(ctx)
	for range 2 {
		select {
		case <-received:
		case <-time.After(10 * time.Second):
			t.Fatal("event not delivered")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0].Data.State != StateQueued || got[1].Data.State != StateSent || got[0].Type != "message.status" {
		t.Fatalf("got %+v", got)
	}
	if fail != 0 {
		t.Error("the 503 was not retried")
	}
}

func TestSignIsHMACSHA256(t *testing.T) {
	// Known answer: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
	const want = "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	if got := Sign("key", []byte("The quick brown fox jumps over the lazy dog")); got != want {
		t.Errorf("got %s", got)
	}
}
