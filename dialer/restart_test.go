package dialer

import (
	"context"
	"testing"
)

func TestRestartMidCampaign(t *testing.T) {
	h := newHarness(t)
	c := h.campaign(nil)
	h.leads(c.ID, "+12125551101", "+12125551102", "+12125551103")
	h.startCampaign(c.ID)
	h.join(c, "1001")
	h.join(c, "1002")
	ringing := h.lastDial("1001")
	talking := h.lastDial("1002")
	h.event(EventAnswered, talking.Leg, "", 0)

	// The switch dies: same store, a new dialer and engine.
	h.start()
	st, err := h.d.Stats(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != CampaignRunning {
		t.Fatalf("campaign resumed %s, want running", st.State)
	}
	if st.Attempts[OutcomeInterrupted] != 2 || len(st.Agents) != 0 {
		t.Fatalf("after the restart: attempts %v, agents %v", st.Attempts, st.Agents)
	}
	for _, p := range []string{ringing.To, talking.To} {
		if l := h.lead(c.ID, p); l.State != LeadPending || l.Agent != "" || l.LastOutcome != OutcomeInterrupted || l.Attempts != 0 {
			t.Fatalf("in-flight lead after the restart: %+v", l)
		}
	}
	if n := len(h.eng.dials()); n != 0 {
		t.Fatalf("dialled with no agent: %d", n)
	}
	left := 0
	for _, ev := range h.webhooks("agent.state") {
		if ev["state"] == AgentLeft {
			left++
		}
	}
	interrupted := 0
	for _, ev := range h.webhooks("attempt.completed") {
		if ev["outcome"] == OutcomeInterrupted {
			interrupted++
		}
	}
	if left != 2 || interrupted != 2 {
		t.Fatalf("webhooks after the restart: %d agents left, %d attempts interrupted", left, interrupted)
	}
	// Agents join again: each gets a different lead, the interrupted ones
	// first (list order), none twice.
	h.join(c, "1001")
	h.join(c, "1002")
	a, b := h.lastDial("1001"), h.lastDial("1002")
	if a.To == b.To || a.To != "+12125551101" || b.To != "+12125551102" {
		t.Fatalf("after the restart 1001 dials %s, 1002 dials %s", a.To, b.To)
	}
	// Events of the old process's legs change nothing.
	h.ended(ringing.Leg, "answered", 200)
	if l := h.lead(c.ID, a.To); l.State != LeadDialing {
		t.Fatalf("a stale event moved the lead: %+v", l)
	}
	// A second restart keeps the earlier outcome counts.
	h.start()
	if st, _ := h.d.Stats(c.ID); st.Attempts[OutcomeInterrupted] != 4 {
		t.Fatalf("attempts %v", st.Attempts)
	}
	if n, _ := h.outbox.Pending(); n == 0 {
		t.Fatal("no webhooks queued")
	}
}

func TestPausedCampaignResumesPaused(t *testing.T) {
	h := newHarness(t)
	c := h.campaign(nil)
	h.leads(c.ID, "+12125551201")
	h.startCampaign(c.ID)
	if _, err := h.d.PauseCampaign(c.ID); err != nil {
		t.Fatal(err)
	}
	h.start()
	if err := h.d.AgentJoined(context.Background(), "1001", c.Number, "agent-1001"); err != nil {
		t.Fatal(err)
	}
	if st, _ := h.d.Stats(c.ID); st.State != CampaignPaused || len(h.eng.dials()) != 0 {
		t.Fatalf("campaign %s, %d dials", st.State, len(h.eng.dials()))
	}
}
