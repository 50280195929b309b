package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/webhook"
)

// What the dialer must never dial, on the real switch: a lead outside
// its calling hours waits (no attempt), a lead on the do-not-call list is
// blocked with reason dnc and the next lead is dialled; and a CRM that is
// down when the attempts complete gets every event later, signed.
func TestDialerBlocksAndRedeliversToACRMThatWasDown(t *testing.T) {
	t.Parallel()
	const secret = "e2e-webhook-secret-0123"
	var mu sync.Mutex
	down := true
	refused := 0
	got := map[string]map[string]any{} // event id -> event
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if down {
			refused++
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("an event with a bad signature: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var ev map[string]any
		if json.Unmarshal(body, &ev) == nil {
			got[fmt.Sprint(ev["id"])] = ev // a redelivery of an id is the same event
		}
	}))
	defer crm.Close()
	sw := startSwitch(t, switchOpts{Extra: "webhooks:\n  url: " + crm.URL + "\n  secret: " + secret + "\n"})
	startSipp(t, "-sf", scenario("carrier_leads.xml"), "-p", strconv.Itoa(sw.trunk), "-timeout", "60s")
	sw.agentPhone(t, "1001", "alice-secret")
	sw.agentPhone(t, "1002", "bob-secret")

	// Calling hours that exclude now in the leads' zone: nothing is dialled.
	la, _ := time.LoadLocation("America/Los_Angeles")
	hours := `{"start":"22:00","end":"23:00"}` // a window cannot span midnight: pick one that excludes now
	if time.Now().In(la).Hour() >= 20 {
		hours = `{"start":"01:00","end":"02:00"}`
	}
	later := sw.campaignWith(t, `"agents":["1001"],"calling_hours":`+hours, leadStays)
	sw.joinAgent(t, later, "1001")

	// The do-not-call list, then a campaign whose first lead is on it.
	if code, body := sw.api("POST", "/v1/dnc", strings.NewReader(`["`+leadBusy+`"]`)); code/100 != 2 {
		t.Fatalf("dnc: %d %s", code, body)
	}
	open := sw.campaignWith(t, `"agents":["1002"],"calling_hours":{"start":"00:00","end":"23:59"}`, leadBusy, leadMissing)
	sw.joinAgent(t, open, "1002")

	var as []dialerAttempt
	waitFor(t, "the blocked lead and the next one's attempt", 15*time.Second, func() bool {
		as = sw.attempts(t, open)
		return len(as) == 2 && as[1].Outcome != ""
	})
	if as[0].Outcome != "blocked" || as[0].Reason != "dnc" || as[0].CDRLegID != "" {
		t.Errorf("the lead on the do-not-call list: %+v, want blocked (dnc), never dialled", as[0])
	}
	if as[1].Outcome != "failed" || as[1].SIPCode != 404 {
		t.Errorf("the next lead: %+v, want failed 404", as[1])
	}
	if as := sw.attempts(t, later); len(as) != 0 {
		t.Errorf("a lead outside its calling hours was dialled: %+v", as)
	}
	var leads struct {
		Leads []struct {
			State string `json:"state"`
		} `json:"leads"`
	}
	if code, body := sw.api("GET", "/v1/campaigns/"+later+"/leads", nil); code != 200 || json.Unmarshal(body, &leads) != nil ||
		len(leads.Leads) != 1 || leads.Leads[0].State != "pending" {
		t.Errorf("the lead outside its hours is left for later: %d %s", code, body)
	}

	// The CRM comes back: everything it refused arrives, signed.
	waitFor(t, "the CRM refusing the first deliveries", 15*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return refused > 0 })
	mu.Lock()
	down = false
	mu.Unlock()
	completed := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, ev := range got {
			if ev["type"] == "attempt.completed" && strings.Contains(fmt.Sprint(ev["data"]), open) {
				n++
			}
		}
		return n
	}
	waitFor(t, "both attempts redelivered once the CRM is back", 30*time.Second, func() bool { return completed() == 2 })
}

// campaignWith creates and starts a power campaign with the given JSON
// fields (agents, calling hours) and leads in Los Angeles.
func (s *switchProc) campaignWith(t *testing.T, fields string, leads ...string) string {
	t.Helper()
	code, body := s.api("POST", "/v1/campaigns", strings.NewReader(`{"name":"e2e","mode":"power","caller_id":"+14155550100",
		"ring_timeout":"15s","wrap_up":"0s","max_attempts":1,`+fields+`}`))
	if code != 201 {
		t.Fatalf("create campaign: %d %s", code, body)
	}
	var c struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &c)
	var rows []string
	for _, l := range leads {
		rows = append(rows, fmt.Sprintf(`{"phone":%q,"timezone":"America/Los_Angeles"}`, l))
	}
	if code, body := s.api("POST", "/v1/campaigns/"+c.ID+"/leads", strings.NewReader("["+strings.Join(rows, ",")+"]")); code != 200 {
		t.Fatalf("leads: %d %s", code, body)
	}
	if code, body := s.api("POST", "/v1/campaigns/"+c.ID+"/start", nil); code != 200 {
		t.Fatalf("start: %d %s", code, body)
	}
	return c.ID
}
