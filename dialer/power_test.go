package dialer

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestPowerDialsLeadsInListOrderAndMovesOn(t *testing.T) {
	h := newHarness(t)
	c := h.campaign(nil)
	h.leads(c.ID, "+12125551001", "+12125551002", "+12125551003", "+12125551004", "+12125551005")
	h.startCampaign(c.ID)
	agent := h.join(c, "1001")

	// Each no-answer, busy and failure moves on to the next lead by
	// itself; an answer is bridged to the agent.
	steps := []struct {
		phone       string
		disposition string
		code        int
		want        string
	}{
		{"+12125551001", "no-answer", 480, OutcomeNoAnswer},
		{"+12125551002", "busy", 486, OutcomeBusy},
		{"+12125551003", "failed", 404, OutcomeFailed},
	}
	for _, s := range steps {
		d := h.lastDial("1001")
		if d.To != s.phone {
			t.Fatalf("dialled %s, want %s next in list order", d.To, s.phone)
		}
		if d.EarlyMediaTo != agent || d.CallerID != callerID || d.RingTimeout != DefaultRingTimeout || d.Reason != "dialer" {
			t.Fatalf("origination %+v", d.Origination)
		}
		if d.Tags[TagCampaign] != c.ID || d.Tags[TagLead] == "" || d.Tags[TagAttempt] == "" {
			t.Fatalf("tags %v", d.Tags)
		}
		if got := h.agentState(c, "1001"); got != AgentDialing {
			t.Fatalf("agent is %s while the lead rings", got)
		}
		h.ended(d.Leg, s.disposition, s.code)
		if l := h.lead(c.ID, s.phone); l.LastOutcome != s.want || l.State != LeadPending || l.Attempts != 1 {
			t.Fatalf("lead %s after %s: %+v", s.phone, s.disposition, l)
		}
	}
	d := h.lastDial("1001")
	if d.To != "+12125551004" {
		t.Fatalf("dialled %s, want the fourth lead", d.To)
	}
	h.event(EventAnswered, d.Leg, "", 0)
	if got := h.eng.bridged; len(got) != 1 || got[0] != [2]LegID{agent, d.Leg} {
		t.Fatalf("bridged %v", got)
	}
	if got := h.agentState(c, "1001"); got != AgentTalking {
		t.Fatalf("agent is %s on an answered call", got)
	}
	h.clock.Advance(90 * time.Second)
	h.ended(d.Leg, "answered", 200)
	if got := h.agentState(c, "1001"); got != AgentWrapUp {
		t.Fatalf("agent is %s after the call", got)
	}
	if l := h.lead(c.ID, "+12125551004"); l.State != LeadDone || l.LastOutcome != OutcomeAnswered {
		t.Fatalf("answered lead %+v", l)
	}
	done := h.webhooks("attempt.completed")
	if len(done) != 4 || done[3]["outcome"] != OutcomeAnswered || done[3]["cdr_leg_id"] == nil || done[3]["charge"] != "0.02" ||
		done[3]["lead"].(map[string]any)["phone"] != "+12125551004" || done[2]["sip_code"] != float64(404) {
		t.Fatalf("attempt.completed webhooks %v", done)
	}
	failed := h.attempts(c.ID)[2]
	if failed.Outcome != OutcomeFailed || failed.SIPCode != 404 || failed.CDRLegID == "" || failed.Charge != "0.02" {
		t.Fatalf("failed attempt %+v", failed)
	}
	st, _ := h.d.Stats(c.ID)
	if st.Attempts[OutcomeAnswered] != 1 || st.Attempts[OutcomeNoAnswer] != 1 || st.Leads.Done != 1 || st.Leads.Remaining != 4 {
		t.Fatalf("stats %+v", st)
	}
	if st.TalkTime.Duration != 90*time.Second || st.Agents[0].Dials != 4 || st.Agents[0].Connects != 1 {
		t.Fatalf("talk %v, agent %+v", st.TalkTime, st.Agents[0])
	}
}

func TestTwoAgentsNeverGetTheSameLead(t *testing.T) {
	h := newHarness(t)
	c := h.campaign(nil)
	var phones []string
	for i := range 6 {
		phones = append(phones, fmt.Sprintf("+1212555%04d", 2001+i))
	}
	h.leads(c.ID, phones...)
	h.startCampaign(c.ID)
	h.join(c, "1001")
	h.join(c, "1002")
	inFlight := map[string]string{} // phone -> agent
	for round := 0; round < 3; round++ {
		a, b := h.lastDial("1001"), h.lastDial("1002")
		if a.To == b.To {
			t.Fatalf("round %d: both agents dial %s", round, a.To)
		}
		for _, p := range []placed{a, b} {
			if who, ok := inFlight[p.To]; ok {
				t.Fatalf("%s dialled again (had %s)", p.To, who)
			}
			inFlight[p.To] = p.User
		}
		h.ended(a.Leg, "no-answer", 480)
		h.ended(b.Leg, "busy", 486)
	}
	if len(inFlight) != 6 {
		t.Fatalf("dialled %d leads, want all 6 once", len(inFlight))
	}
	// Everyone was called within retry_after: nothing more to dial.
	if n := len(h.eng.dials()); n != 6 {
		t.Fatalf("%d dials", n)
	}
	if got := h.agentState(c, "1001"); got != AgentReady {
		t.Fatalf("agent %s", got)
	}
}

func TestRetryAfterAndMaxAttempts(t *testing.T) {
	h := newHarness(t)
	two := 2
	c := h.campaign(func(r *CampaignRequest) {
		r.MaxAttempts = &two
		r.RetryAfter = &Duration{Duration: 2 * time.Hour}
	})
	h.leads(c.ID, "+12125553001")
	h.startCampaign(c.ID)
	h.join(c, "1001")
	h.ended(h.lastDial("1001").Leg, "no-answer", 480)
	h.clock.Advance(2*time.Hour - time.Minute)
	if n := len(h.eng.dials()); n != 1 {
		t.Fatalf("redialled within retry_after: %d dials", n)
	}
	h.clock.Advance(2 * time.Minute) // the recheck finds it due
	if n := len(h.eng.dials()); n != 2 {
		t.Fatalf("not redialled after retry_after: %d dials", n)
	}
	h.ended(h.lastDial("1001").Leg, "no-answer", 480)
	h.clock.Advance(5 * time.Hour)
	if n := len(h.eng.dials()); n != 2 {
		t.Fatalf("dialled past max_attempts: %d dials", n)
	}
	if l := h.lead(c.ID, "+12125553001"); l.State != LeadDone || l.Reason != ReasonMaxAttempts || l.Attempts != 2 {
		t.Fatalf("lead %+v", l)
	}
}

func TestDNCBlocksBeforeEveryDial(t *testing.T) {
	h := newHarness(t)
	c := h.campaign(nil)
	h.leads(c.ID, "+12125554001", "+12125554002")
	if _, errs, err := h.d.AddDNC([]byte("2125554001\n"), true, "US"); err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	h.startCampaign(c.ID)
	h.join(c, "1001")
	if d := h.lastDial("1001"); d.To != "+12125554002" {
		t.Fatalf("dialled %s", d.To)
	}
	if l := h.lead(c.ID, "+12125554001"); l.State != LeadBlocked || l.Reason != ReasonDNC {
		t.Fatalf("DNC lead %+v", l)
	}
	// Added to the list while the campaign runs: checked at the next dial.
	h.leads(c.ID, "+12125554003")
	if added, _, err := h.d.AddDNC([]byte(`["+12125554003", {"number": "(212) 555-4003"}, "+12125554001"]`), false, "US"); err != nil || len(added) != 1 {
		t.Fatal(added, err)
	}
	h.ended(h.lastDial("1001").Leg, "busy", 486)
	if n := len(h.eng.dials()); n != 1 {
		t.Fatalf("%d dials: a DNC number was dialled", n)
	}
	as := h.attempts(c.ID)
	blocked := 0
	for _, a := range as {
		if a.Outcome == OutcomeBlocked && a.Reason == ReasonDNC {
			blocked++
		}
	}
	if blocked != 2 {
		t.Fatalf("attempts %+v", as)
	}
}

func TestCallingHoursInTheLeadsZone(t *testing.T) {
	h := newHarness(t)
	c := h.campaign(nil)
	// 10:00 in New York, 07:00 in Los Angeles, 16:00 in Berlin (given).
	h.leads(c.ID, "+13105555001", "+12125555002")
	if _, err := h.d.AddLeads(c.ID, []byte(`[{"phone":"+13105555003","timezone":"Europe/Berlin"}]`), false); err != nil {
		t.Fatal(err)
	}
	h.startCampaign(c.ID)
	h.join(c, "1001")
	if d := h.lastDial("1001"); d.To != "+12125555002" {
		t.Fatalf("dialled %s: Los Angeles is at 07:00", d.To)
	}
	h.ended(h.lastDial("1001").Leg, "busy", 486)
	if d := h.lastDial("1001"); d.To != "+13105555003" {
		t.Fatalf("dialled %s: the lead's own zone (Berlin, 16:00) allows it", d.To)
	}
	h.ended(h.lastDial("1001").Leg, "busy", 486)
	if l := h.lead(c.ID, "+13105555001"); l.State != LeadPending || l.Attempts != 0 {
		t.Fatalf("lead outside hours was not left for later: %+v", l)
	}
	h.clock.Advance(61 * time.Minute) // 08:01 in Los Angeles
	if d := h.lastDial("1001"); d.To != "+13105555001" {
		t.Fatalf("dialled %s at 08:01 Los Angeles", d.To)
	}
}

func TestCallingHoursOfAnAmbiguousNumberAreTheMostRestrictive(t *testing.T) {
	ny, _ := loadZone("America/New_York")
	la, _ := loadZone("America/Los_Angeles")
	hours := CallingHours{"08:00", "21:00"}
	tests := []struct {
		utc  string
		want bool
	}{
		{"2026-03-02T15:30:00Z", false}, // 10:30 NY, 07:30 LA
		{"2026-03-02T16:00:00Z", true},  // 11:00 NY, 08:00 LA
		{"2026-03-03T01:59:00Z", true},  // 20:59 NY
		{"2026-03-03T02:00:00Z", false}, // 21:00 NY, 18:00 LA
	}
	for _, tt := range tests {
		at, _ := time.Parse(time.RFC3339, tt.utc)
		if got := hours.open(at, []*time.Location{ny, la}); got != tt.want {
			t.Errorf("%s: open = %v, want %v", tt.utc, got, tt.want)
		}
	}
	// A toll-free number spans every North American zone.
	if zs := numberZones("+18885551234"); len(zs) < 2 {
		t.Errorf("toll-free zones %v", zs)
	}
}

func TestAgentKeys(t *testing.T) {
	t.Run("## hangs up the lead and moves on", func(t *testing.T) {
		h := newHarness(t)
		c := h.campaign(nil)
		h.leads(c.ID, "+12125556001", "+12125556002")
		h.startCampaign(c.ID)
		agent := h.join(c, "1001")
		first := h.lastDial("1001")
		h.event(EventAnswered, first.Leg, "", 0)
		h.key(agent, "##")
		if !h.eng.wasHungUp(first.Leg) {
			t.Fatal("lead not hung up")
		}
		if d := h.lastDial("1001"); d.To != "+12125556002" {
			t.Fatalf("next dial %s", d.To)
		}
		h.ended(first.Leg, "answered", 200)
		if l := h.lead(c.ID, "+12125556001"); l.LastOutcome != OutcomeAnswered || l.State != LeadDone {
			t.Fatalf("lead %+v", l)
		}
		if got := h.agentState(c, "1001"); got != AgentDialing {
			t.Fatalf("the first lead's end moved the agent to %s", got)
		}
	})
	t.Run("## while the lead rings skips it until retry_after", func(t *testing.T) {
		h := newHarness(t)
		c := h.campaign(nil)
		h.leads(c.ID, "+12125556301", "+12125556302")
		h.startCampaign(c.ID)
		agent := h.join(c, "1001")
		first := h.lastDial("1001")
		h.key(agent, "##")
		h.ended(first.Leg, "canceled", 487)
		second := h.lastDial("1001")
		if second.To != "+12125556302" {
			t.Fatalf("next dial %s", second.To)
		}
		h.ended(second.Leg, "busy", 486)
		if n := len(h.eng.dials()); n != 2 {
			t.Fatalf("the skipped lead was dialled again at once: %d dials", n)
		}
		if l := h.lead(c.ID, first.To); l.Attempts != 0 || l.LastOutcome != OutcomeCanceled || l.State != LeadPending {
			t.Fatalf("skipped lead %+v", l)
		}
		h.clock.Advance(DefaultRetryAfter + time.Minute)
		if d := h.lastDial("1001"); d.To != first.To {
			t.Fatalf("after retry_after dialled %s", d.To)
		}
	})
	t.Run("without wrap_up the next lead is dialled at once", func(t *testing.T) {
		h := newHarness(t)
		c := h.campaign(func(r *CampaignRequest) { r.WrapUp = &Duration{} })
		h.leads(c.ID, "+12125556401", "+12125556402")
		h.startCampaign(c.ID)
		h.join(c, "1001")
		first := h.lastDial("1001")
		h.event(EventAnswered, first.Leg, "", 0)
		h.ended(first.Leg, "answered", 200)
		if d := h.lastDial("1001"); d.To != "+12125556402" {
			t.Fatalf("after the call dialled %s", d.To)
		}
	})
	t.Run("** drops the voicemail message", func(t *testing.T) {
		h := newHarness(t)
		c := h.campaign(func(r *CampaignRequest) { r.VoicemailDrop = "vm.wav" })
		h.leads(c.ID, "+12125556101", "+12125556102")
		h.startCampaign(c.ID)
		agent := h.join(c, "1001")
		first := h.lastDial("1001")
		h.event(EventAnswered, first.Leg, "", 0)
		h.key(agent, "**")
		if len(h.eng.unbridged) != 1 || h.eng.unbridged[0] != agent {
			t.Fatalf("unbridged %v", h.eng.unbridged)
		}
		if leg := <-h.eng.played; leg != first.Leg {
			t.Fatalf("played into %s", leg)
		}
		if d := h.lastDial("1001"); d.To != "+12125556102" {
			t.Fatalf("the agent did not move on: %s", d.To)
		}
		h.ended(first.Leg, "answered", 200)
		if l := h.lead(c.ID, "+12125556101"); l.LastOutcome != OutcomeVMLeft || l.State != LeadDone {
			t.Fatalf("lead %+v", l)
		}
	})
	t.Run("# ends wrap-up, * pauses, the timer ends it", func(t *testing.T) {
		h := newHarness(t)
		c := h.campaign(nil)
		h.leads(c.ID, "+12125556201", "+12125556202", "+12125556203")
		h.startCampaign(c.ID)
		agent := h.join(c, "1001")
		talk := func() {
			d := h.lastDial("1001")
			h.event(EventAnswered, d.Leg, "", 0)
			h.ended(d.Leg, "answered", 200)
		}
		talk()
		h.key(agent, "#")
		if got := h.agentState(c, "1001"); got != AgentDialing {
			t.Fatalf("after #: %s", got)
		}
		talk()
		h.key(agent, "*")
		if got := h.agentState(c, "1001"); got != AgentPaused {
			t.Fatalf("after *: %s", got)
		}
		if _, err := h.d.AgentReadyAgain(c.ID, "1001"); err != nil {
			t.Fatal(err)
		}
		talk()
		h.clock.Advance(DefaultWrapUp - time.Millisecond)
		if got := h.agentState(c, "1001"); got != AgentWrapUp {
			t.Fatalf("wrap-up ended early: %s", got)
		}
		h.clock.Advance(time.Millisecond)
		if got := h.agentState(c, "1001"); got != AgentReady {
			t.Fatalf("after wrap_up: %s", got)
		}
	})
}

func TestPauseMidRingCancels(t *testing.T) {
	h := newHarness(t)
	c := h.campaign(nil)
	h.leads(c.ID, "+12125557001", "+12125557002")
	h.startCampaign(c.ID)
	h.join(c, "1001")
	d := h.lastDial("1001")
	if _, err := h.d.PauseCampaign(c.ID); err != nil {
		t.Fatal(err)
	}
	if !h.eng.wasHungUp(d.Leg) {
		t.Fatal("the ringing lead was not hung up")
	}
	h.ended(d.Leg, "canceled", 487)
	l := h.lead(c.ID, "+12125557001")
	if l.LastOutcome != OutcomeCanceled || l.State != LeadPending || l.Attempts != 0 {
		t.Fatalf("lead %+v", l)
	}
	if n := len(h.eng.dials()); n != 1 {
		t.Fatalf("a paused campaign dialled: %d", n)
	}
	h.startCampaign(c.ID)
	if d := h.lastDial("1001"); d.To != "+12125557001" {
		t.Fatalf("after resuming, dialled %s; the canceled lead is first again", d.To)
	}
}

func TestNoCreditPausesTheCampaign(t *testing.T) {
	h := newHarness(t)
	c := h.campaign(nil)
	h.leads(c.ID, "+12125558001", "+12125558002")
	h.eng.refuse = func(Origination) error { return fmt.Errorf("originate: %w", ErrNoCredit) }
	h.startCampaign(c.ID)
	h.join(c, "1001")
	st, _ := h.d.Stats(c.ID)
	if st.State != CampaignPaused || st.PauseReason != ReasonCredit {
		t.Fatalf("campaign %s (%s)", st.State, st.PauseReason)
	}
	if l := h.lead(c.ID, "+12125558001"); l.State != LeadPending || l.Attempts != 0 {
		t.Fatalf("lead %+v", l)
	}
	if st.Attempts[OutcomeBlocked] != 1 {
		t.Fatalf("attempts %v", st.Attempts)
	}
	if evs := h.webhooks("campaign.state"); len(evs) != 2 || evs[1]["state"] != CampaignPaused || evs[1]["reason"] != ReasonCredit {
		t.Fatalf("campaign.state webhooks %v", evs)
	}
	h.eng.refuse = nil
	h.startCampaign(c.ID)
	if d := h.lastDial("1001"); d.To != "+12125558001" {
		t.Fatalf("dialled %s", d.To)
	}
}

// A switch at its setup limit turns a lead's call away before dialling
// it (ErrOverloaded): the lead stays as it was, the attempt counts for
// nothing, the campaign does not run through its other leads meanwhile,
// and it dials the same lead once the back-off is over.
func TestAnOverloadedSwitchDelaysTheLeadWithoutSpendingIt(t *testing.T) {
	h := newHarness(t)
	c := h.campaign(nil)
	h.leads(c.ID, "+12125558001", "+12125558002")
	refused := h.overloadLeads()
	h.startCampaign(c.ID)
	h.join(c, "1001")
	if n := refused(); n != 1 {
		t.Fatalf("the switch was offered %d leads while overloaded, want 1", n)
	}
	for _, phone := range []string{"+12125558001", "+12125558002"} {
		if l := h.lead(c.ID, phone); l.State != LeadPending || l.Attempts != 0 {
			t.Fatalf("lead %s after the refusal: %+v, want pending with no attempt counted", phone, l)
		}
	}
	st, _ := h.d.Stats(c.ID)
	if st.State != CampaignRunning || st.Attempts[OutcomeInterrupted] != 1 {
		t.Fatalf("campaign %s, attempts %v: want running, one interrupted", st.State, st.Attempts)
	}

	h.eng.refuse = nil
	h.clock.Advance(overloadBackoff / 2)
	if ds := h.eng.dials(); len(ds) != 0 {
		t.Fatalf("dialled %+v before the back-off was over", ds)
	}
	h.clock.Advance(overloadBackoff / 2)
	if d := h.lastDial("1001"); d.To != "+12125558001" {
		t.Fatalf("after the back-off 1001 dialled %s, want the lead the switch turned away", d.To)
	}
}

func TestPermissionsAreAHandDialledCallsRules(t *testing.T) {
	h := newHarness(t)
	c := h.campaign(func(r *CampaignRequest) { r.Agents = []string{"1001", "1003", "1009"} })
	// Germany is international from a US caller ID: only 1003 may.
	h.leads(c.ID, "+4915123456789", "+12125559002")
	h.eng.refuse = func(o Origination) error {
		if o.To == "+12125559002" && o.User == "1003" {
			return fmt.Errorf("%w: route says no", ErrRefused)
		}
		return nil
	}
	h.startCampaign(c.ID)
	if err := h.d.AgentJoined(h.ctx, "1009", c.Number, "agent-1009"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("agent without the dialer permission joined: %v", err)
	}
	h.join(c, "1001")
	if d := h.lastDial("1001"); d.To != "+12125559002" {
		t.Fatalf("1001 dialled %s", d.To)
	}
	h.join(c, "1003")
	if d := h.lastDial("1003"); d.To != "+4915123456789" {
		t.Fatalf("1003 dialled %s", d.To)
	}
	// Nobody may call it: blocked with the reason.
	h2 := newHarness(t)
	c2 := h2.campaign(func(r *CampaignRequest) { r.Agents = []string{"1001"} })
	h2.leads(c2.ID, "+4915123456789")
	h2.startCampaign(c2.ID)
	h2.join(c2, "1001")
	if l := h2.lead(c2.ID, "+4915123456789"); l.State != LeadBlocked || l.Reason == "" {
		t.Fatalf("lead %+v", l)
	}
}

func TestLeadsAddedToARunningCampaignArePickedUp(t *testing.T) {
	h := newHarness(t)
	c := h.campaign(nil)
	h.startCampaign(c.ID)
	h.join(c, "1001")
	if n := len(h.eng.dials()); n != 0 {
		t.Fatalf("dials without leads: %d", n)
	}
	h.leads(c.ID, "+12125550201")
	if d := h.lastDial("1001"); d.To != "+12125550201" {
		t.Fatalf("dialled %s", d.To)
	}
}

func TestAgentHangingUpEndsTheSession(t *testing.T) {
	h := newHarness(t)
	c := h.campaign(nil)
	h.leads(c.ID, "+12125550301", "+12125550302")
	h.startCampaign(c.ID)
	agent := h.join(c, "1001")
	d := h.lastDial("1001")
	h.ended(agent, "answered", 200)
	if !h.eng.wasHungUp(d.Leg) {
		t.Fatal("the lead ringing for the agent was not canceled")
	}
	h.ended(d.Leg, "canceled", 487)
	if got := h.agentState(c, "1001"); got != "" {
		t.Fatalf("agent still %s", got)
	}
	if n := len(h.eng.dials()); n != 1 {
		t.Fatalf("dialled for an agent who left: %d", n)
	}
	// Through the API: the dialer rings the agent, who is ready on answer.
	s, err := h.d.JoinAgent(c.ID, "1002")
	if err != nil || s.State != AgentJoining {
		t.Fatal(s, err)
	}
	h.event(EventAnswered, s.Leg, "", 0)
	if d := h.lastDial("1002"); d.EarlyMediaTo != s.Leg {
		t.Fatalf("dial %+v", d)
	}
	if err := h.d.LeaveAgent(c.ID, "1002"); err != nil || !h.eng.wasHungUp(s.Leg) {
		t.Fatal("DELETE did not hang up the agent", err)
	}
}

func TestEventsArriveThroughTheSubscription(t *testing.T) {
	h := newHarness(t)
	c := h.campaign(nil)
	h.leads(c.ID, "+12125550401")
	h.startCampaign(c.ID)
	s, err := h.d.JoinAgent(c.ID, "1001")
	if err != nil {
		t.Fatal(err)
	}
	if len(h.eng.subscribed) != 1 || h.eng.subscribed[0] != nil {
		t.Fatalf("subscriptions %v: want one to every dialer leg", h.eng.subscribed)
	}
	h.eng.send(Event{Kind: EventAnswered, Leg: s.Leg})
	// The dialer's goroutine handles it: wait for the dial it causes.
	deadline := time.Now().Add(5 * time.Second)
	for len(h.eng.dials()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the agent's answer through the subscription did not start dialling")
		}
		time.Sleep(time.Millisecond)
	}
	// A *55 leg the engine answered is followed by its id.
	if err := h.d.AgentJoined(h.ctx, "1002", "", "star55-leg"); err != nil {
		t.Fatal(err)
	}
	h.eng.mu.Lock()
	defer h.eng.mu.Unlock()
	if got := h.eng.subscribed[len(h.eng.subscribed)-1]; len(got) != 1 || got[0] != "star55-leg" {
		t.Fatalf("subscriptions %v", h.eng.subscribed)
	}
}
