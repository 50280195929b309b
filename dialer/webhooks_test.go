package dialer

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/webhook"
)

// The dialer's events reach the CRM signed, with the lead's CRM id and
// fields, through the outbox.
func TestAttemptWebhookReachesTheCRM(t *testing.T) {
	const secret = "crm-secret-0123456789"
	h := newHarness(t)
	var mu sync.Mutex
	var got []webhook.Event
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, h.clock.Now(), 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var ev webhook.Event
		_ = json.Unmarshal(body, &ev)
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	}))
	defer crm.Close()
	c := h.campaign(nil)
	if _, err := h.d.AddLeads(c.ID, []byte(`[{"phone":"+12125550501","crm_id":"deal-7","plan":"gold"}]`), false); err != nil {
		t.Fatal(err)
	}
	h.startCampaign(c.ID)
	h.join(c, "1001")
	h.ended(h.lastDial("1001").Leg, "busy", 486)

	out := webhook.New(webhook.Options{Store: h.store, Now: h.clock.Now,
		Target: func() webhook.Target { return webhook.Target{URL: crm.URL, Secret: secret} }})
	out.DeliverDue(context.Background())
	mu.Lock()
	defer mu.Unlock()
	types := map[string]int{}
	var attempt map[string]any
	for _, ev := range got {
		types[ev.Type]++
		if ev.Type == "attempt.completed" {
			_ = json.Unmarshal(ev.Data, &attempt)
		}
	}
	if types["campaign.state"] != 1 || types["agent.state"] < 2 || types["attempt.completed"] != 1 {
		t.Fatalf("delivered %v", types)
	}
	lead, _ := attempt["lead"].(map[string]any)
	if attempt["crm_id"] != "deal-7" || attempt["outcome"] != OutcomeBusy || lead["fields"].(map[string]any)["plan"] != "gold" {
		t.Fatalf("attempt.completed %v", attempt)
	}
	if n, _ := out.Pending(); n != 0 {
		t.Fatalf("%d events left", n)
	}
}
