package dialer

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func predictiveCampaign(h *harness, mut func(*CampaignRequest)) Campaign {
	return h.campaign(func(r *CampaignRequest) {
		r.Mode = ModePredictive
		r.AbandonMessage = "vm.wav"
		r.WrapUp = &Duration{}
		if mut != nil {
			mut(r)
		}
	})
}

// waitUntil polls a condition a goroutine of the dialer brings about; the
// limit only keeps a broken test from hanging.
func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// A predictive campaign dials for the campaign, not for an agent: the
// lead's leg has no early media to anyone, and the person who answers
// goes to the agent who waited longest. The answer counts in the abandon
// ledger.
func TestPredictiveConnectsAPersonToAFreeAgent(t *testing.T) {
	h := newHarness(t)
	c := predictiveCampaign(h, nil)
	h.leads(c.ID, "+12125551001", "+12125551002")
	h.startCampaign(c.ID)
	agent := h.join(c, "1001")
	ds := h.eng.dials()
	if len(ds) != 1 || ds[0].EarlyMediaTo != "" || ds[0].To != "+12125551001" {
		t.Fatalf("dials during the warm-up (one line per free agent): %+v", ds)
	}
	if got := h.agentState(c, "1001"); got != AgentReady {
		t.Fatalf("agent %s while a predictive lead rings", got)
	}
	h.event(EventAnswered, ds[0].Leg, "", 0)
	if got := h.eng.bridged; len(got) != 1 || got[0] != [2]LegID{agent, ds[0].Leg} {
		t.Fatalf("bridged %v", got)
	}
	if got := h.agentState(c, "1001"); got != AgentTalking {
		t.Fatalf("agent %s on a connected call", got)
	}
	h.ended(ds[0].Leg, "answered", 200)
	if a := h.attempts(c.ID)[0]; a.Outcome != OutcomeAnswered || a.Agent != "1001" {
		t.Fatalf("attempt %+v", a)
	}
	if humans, abandoned := h.d.campaigns[c.ID].ledger.Counts(h.clock.Now()); humans != 1 || abandoned != 0 {
		t.Fatalf("ledger %d persons %d abandons", humans, abandoned)
	}
	if ds := h.eng.dials(); len(ds) != 2 || ds[1].To != "+12125551002" {
		t.Fatalf("the next lead after the call: %+v", ds)
	}
}

// A person nobody can take within 2 s is abandoned: the abandon message
// plays, 9 puts the number on the do-not-call list, the abandon is in the
// ledger and the ledger survives a restart.
func TestPredictiveAbandonsAfterTwoSecondsAndOffersOptOut(t *testing.T) {
	h := newHarness(t)
	c := predictiveCampaign(h, nil)
	h.leads(c.ID, "+12125551001", "+12125551002", "+12125551003")
	h.startCampaign(c.ID)
	agent := h.join(c, "1001")
	h.join(c, "1002")
	ds := h.eng.dials()
	if len(ds) != 2 {
		t.Fatalf("dials for two free agents: %+v", ds)
	}
	if err := h.d.LeaveAgent(c.ID, "1002"); err != nil {
		t.Fatal(err)
	}
	h.event(EventAnswered, ds[0].Leg, "", 0)
	h.event(EventAnswered, ds[1].Leg, "", 0) // nobody free: waits
	if got := h.eng.bridged; len(got) != 1 || got[0] != [2]LegID{agent, ds[0].Leg} {
		t.Fatalf("bridged %v", got)
	}
	h.clock.Advance(AbandonAfter - time.Millisecond)
	if h.eng.wasHungUp(ds[1].Leg) || len(h.eng.played) != 0 {
		t.Fatal("abandoned before 2 s")
	}
	h.clock.Advance(time.Millisecond)
	if leg := <-h.eng.played; leg != ds[1].Leg {
		t.Fatalf("the abandon message went to %s", leg)
	}
	h.d.handleEvent(Event{Kind: EventDTMF, Leg: ds[1].Leg, Key: '9'})
	waitUntil(t, "the opted-out lead hung up", func() bool { return h.eng.wasHungUp(ds[1].Leg) })
	h.ended(ds[1].Leg, "answered", 200)
	a := h.attempts(c.ID)[1]
	if a.Outcome != OutcomeAbandoned || a.Reason != ReasonOptedOut {
		t.Fatalf("abandoned attempt %+v", a)
	}
	if dnc := h.d.DNC(); len(dnc) != 1 || dnc[0].Number != "+12125551002" {
		t.Fatalf("do-not-call list %+v", dnc)
	}
	humans, abandoned := h.d.campaigns[c.ID].ledger.Counts(h.clock.Now())
	if humans != 2 || abandoned != 1 {
		t.Fatalf("ledger %d persons %d abandons", humans, abandoned)
	}
	h.start() // a restart: the rate over the window is kept
	humans, abandoned = h.d.campaigns[c.ID].ledger.Counts(h.clock.Now())
	if humans != 2 || abandoned != 1 {
		t.Fatalf("ledger after a restart: %d persons %d abandons", humans, abandoned)
	}
	// The stats show the rate live, against the campaign's limit.
	st, err := h.d.Stats(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a := st.Abandon; a.Persons != 2 || a.Abandoned != 1 || a.Rate != 0.5 || a.Limit != DefaultAbandonLimit || a.Window != "30d" || a.Pacing == "" {
		t.Fatalf("abandon stats after a restart: %+v", a)
	}
}

// A lead abandoned within abandon_lockout is dialled again only while an
// agent is guaranteed (the warm-up dials progressively, so here it is).
func TestPredictiveLockoutFollowsThePacersMode(t *testing.T) {
	h := newHarness(t)
	c := predictiveCampaign(h, nil)
	h.leads(c.ID, "+12125551001")
	r := h.d.campaigns[c.ID]
	l := r.leads[0]
	l.LastOutcome, l.LastDialed = OutcomeAbandoned, h.clock.Now()
	if !h.d.mayRedialLocked(r, l, h.clock.Now().Add(time.Hour)) {
		t.Fatal("refused while the pacer guarantees an agent")
	}
	r.pacer = stuckPredictive{}
	if h.d.mayRedialLocked(r, l, h.clock.Now().Add(time.Hour)) {
		t.Fatal("dialled within the lockout while dialling predictively")
	}
	if !h.d.mayRedialLocked(r, l, h.clock.Now().Add(73*time.Hour)) {
		t.Fatal("refused after the lockout")
	}
}

type stuckPredictive struct{ Pacer }

// answeredAMDLead starts a predictive campaign with amd hangup, one lead
// and agent 1001, and answers the lead.
func answeredAMDLead(h *harness) (Campaign, LegID) {
	c := predictiveCampaign(h, func(r *CampaignRequest) { r.AMD = AMDHangup })
	h.leads(c.ID, "+12125551001")
	h.startCampaign(c.ID)
	h.join(c, "1001")
	lead := h.eng.dials()[0].Leg
	h.event(EventAnswered, lead, "", 0)
	return c, lead
}

// sayWords sends the answered lead's audio to the dialer's latest
// subscription: 400 frames of 20 ms (8 s), speech-like noise in those for
// which word says so and silence in the others, until the lead is hung
// up. It returns at once.
func (h *harness) sayWords(lead LegID, word func(frame int) bool) {
	h.eng.mu.Lock()
	audio := h.eng.subs[len(h.eng.subs)-1]
	h.eng.mu.Unlock()
	go func() {
		for i := 0; i < 400 && !h.eng.wasHungUp(lead); i++ {
			frame := make([]int16, 160)
			if word(i) {
				for j := range frame {
					frame[j] = int16(6000 * math.Sin(float64(i*160+j)*0.7) * math.Sin(float64(j)*0.05+1))
				}
			}
			audio <- Event{Kind: EventAudio, Leg: lead, Samples: frame}
		}
	}()
}

func (stuckPredictive) Mode() pacingMode { return "predictive" }

// Answering-machine detection (amd: hangup) listens to the answered
// lead's audio and hangs up on a machine's long greeting; the machine is
// not a person in the abandon ledger.
func TestPredictiveAMDHangsUpOnAMachine(t *testing.T) {
	h := newHarness(t)
	c, lead := answeredAMDLead(h)
	// A recorded greeting: words of speech-like noise with short pauses,
	// on and on. 8 s of it: a machine is hung up once its verdict can no
	// longer turn out a person (about 5.8 s after the answer).
	h.sayWords(lead, func(frame int) bool { return frame%20 < 16 })
	waitUntil(t, "the machine hung up", func() bool { return h.eng.wasHungUp(lead) })
	h.ended(lead, "answered", 200)
	if a := h.attempts(c.ID)[0]; a.Outcome != OutcomeMachine {
		t.Fatalf("attempt %+v", a)
	}
	if len(h.eng.bridged) != 0 {
		t.Fatalf("a machine was bridged: %v", h.eng.bridged)
	}
	if humans, _ := h.d.campaigns[c.ID].ledger.Counts(h.clock.Now()); humans != 0 {
		t.Fatalf("a machine counted as a person: %d", humans)
	}
}

// A person who answers with a whole sentence sounds like a greeting for
// 3 s; with amd hangup the dialer keeps listening, finds the person waiting
// for a reply, and connects the agent instead of hanging up on them.
func TestPredictiveAMDHangupDoesNotHangUpOnASentence(t *testing.T) {
	h := newHarness(t)
	_, lead := answeredAMDLead(h)
	// 3.5 s of words, then silence: waiting for a reply.
	h.sayWords(lead, func(frame int) bool { return frame < 175 && frame%20 < 16 })
	waitUntil(t, "the person connected to the agent", func() bool {
		h.eng.mu.Lock()
		defer h.eng.mu.Unlock()
		return len(h.eng.bridged) > 0
	})
	if h.eng.wasHungUp(lead) {
		t.Fatal("a person who answered with a sentence was hung up")
	}
}

// A switch that is stopping refuses new legs: the attempt is interrupted
// (it never left, so it does not count) and the dialer dials nothing more.
func TestStoppingEngineInterruptsAndStopsDialling(t *testing.T) {
	h := newHarness(t)
	c := h.campaign(nil)
	h.leads(c.ID, "+12125551001", "+12125551002")
	h.startCampaign(c.ID)
	h.eng.refuse = func(o Origination) error {
		if o.To == "+12125551001" {
			return fmt.Errorf("originate: %w", ErrNoEngine)
		}
		return nil
	}
	h.join(c, "1001")
	as := h.attempts(c.ID)
	if len(as) != 1 || as[0].Outcome != OutcomeInterrupted {
		t.Fatalf("attempts %+v", as)
	}
	if l := h.lead(c.ID, "+12125551001"); l.Attempts != 0 || l.State != LeadPending {
		t.Fatalf("lead %+v", l)
	}
	if ds := h.eng.dials(); len(ds) != 0 {
		t.Fatalf("dialled while stopping: %+v", ds)
	}
}

// amd drop: after a machine's greeting ends with its beep, the campaign's
// voicemail_drop plays to the lead, which is then hung up (vm-left).
func TestPredictiveAMDDropsTheMessageAfterTheBeep(t *testing.T) {
	h := newHarness(t)
	c := predictiveCampaign(h, func(r *CampaignRequest) { r.AMD, r.VoicemailDrop = AMDDrop, "vm.wav" })
	h.leads(c.ID, "+12125551001")
	h.startCampaign(c.ID)
	h.join(c, "1001")
	lead := h.eng.dials()[0].Leg
	h.event(EventAnswered, lead, "", 0)
	h.eng.mu.Lock()
	audio := h.eng.subs[len(h.eng.subs)-1]
	h.eng.mu.Unlock()
	go func() {
		for i := 0; i < 400 && !h.eng.wasHungUp(lead); i++ { // 8 s of 20 ms frames
			frame := make([]int16, 160)
			switch {
			case i < 200 && i%20 < 16: // the greeting's words
				for j := range frame {
					frame[j] = int16(6000 * math.Sin(float64(i*160+j)*0.7) * math.Sin(float64(j)*0.05+1))
				}
			case i >= 200 && i < 215: // the beep: 1 kHz for 300 ms
				for j := range frame {
					frame[j] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i*160+j)/8000))
				}
			}
			audio <- Event{Kind: EventAudio, Leg: lead, Samples: frame}
		}
	}()
	select {
	case leg := <-h.eng.played:
		if leg != lead {
			t.Fatalf("the message went to %s", leg)
		}
	case <-time.After(5 * time.Second): // only keeps a broken test from hanging
		t.Fatalf("no message played; bridged %v", h.eng.bridged)
	}
	waitUntil(t, "the machine hung up after the message", func() bool { return h.eng.wasHungUp(lead) })
	h.ended(lead, "answered", 200)
	if a := h.attempts(c.ID)[0]; a.Outcome != OutcomeVMLeft {
		t.Fatalf("attempt %+v", a)
	}
}

// The predictive dialer meets the switch's setup limit as the power
// dialer does: one lead offered, turned away (ErrOverloaded) without
// counting, none of the other lines dialled until the back-off is over.
func TestPredictiveBacksOffAnOverloadedSwitch(t *testing.T) {
	h := newHarness(t)
	c := predictiveCampaign(h, nil)
	h.leads(c.ID, "+12125551001", "+12125551002", "+12125551003")
	refused := h.overloadLeads()
	h.startCampaign(c.ID)
	h.join(c, "1001")
	if n := refused(); n != 1 {
		t.Fatalf("the switch was offered %d leads while overloaded, want 1", n)
	}
	if l := h.lead(c.ID, "+12125551001"); l.Attempts != 0 || l.State != LeadPending {
		t.Fatalf("lead %+v, want pending with no attempt counted", l)
	}
	h.eng.refuse = nil
	h.clock.Advance(overloadBackoff)
	if ds := h.eng.dials(); len(ds) == 0 || ds[0].To != "+12125551001" {
		t.Fatalf("after the back-off dialled %+v, want the lead turned away first", ds)
	}
}
