package calls

import (
	"errors"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/media"
)

func origination(to string) Origination {
	return Origination{User: "1001", To: to, CallerID: "+14155550100", RingTimeout: 50 * time.Millisecond,
		Reason: billing.ReasonDialer, Tags: map[string]string{"lead_id": "l1"}}
}

// Each way a placed leg can go reaches the subscriber as the dialer
// reads it: ringing, then the end with disposition and code.
func TestOriginateOutcomes(t *testing.T) {
	for _, tc := range []struct {
		to          string
		disposition string
		code        int
	}{
		{"+15550000486", "busy", 486},
		{"+15550000480", "no-answer", 480},
	} {
		t.Run(tc.disposition, func(t *testing.T) {
			r := newTestEngine(t)
			id := r.originate(t, origination(tc.to))
			next(t, r.events, id, EventRinging)
			ev := next(t, r.events, id, EventLegEnded)
			if ev.Disposition != tc.disposition || ev.Code != tc.code || ev.CDRLegID != "cdr-"+string(id) {
				t.Fatalf("ended: %+v", ev)
			}
			if err := r.Hangup(r.ctx, id, "late"); !errors.Is(err, ErrNoLeg) {
				t.Fatalf("hangup of an ended leg: %v", err)
			}
		})
	}
}

// Refusals come back from Originate as the network gave them, so the
// dialer can tell a lead it may not call from a balance that cannot pay.
func TestOriginateRefusals(t *testing.T) {
	r := newTestEngine(t)
	if _, err := r.Originate(r.ctx, origination("+15550000402")); !errors.Is(err, billing.ErrInsufficientCredit) {
		t.Fatalf("no credit: %v", err)
	}
	if _, err := r.Originate(r.ctx, origination("+15550000403")); !errors.Is(err, ErrRefused) {
		t.Fatalf("refused: %v", err)
	}
	if len(r.net.place) != 0 {
		t.Fatalf("legs placed: %d", len(r.net.place))
	}
}

// An answered leg nobody is bridged to gets comfort silence, so the
// party's phone keeps receiving RTP while the agent waits for a lead.
func TestAnsweredLegGetsComfortSilence(t *testing.T) {
	_, ph := newTestEngine(t).answered(t, origination("1002"))
	ph.await(t, "comfort silence", func(p *rtp.Packet) bool { return isFilled(p, media.LinearToULaw(0)) })
}

// Two answered legs bridged hear each other; unbridged, each gets
// silence again and the engine still holds both; the agent's keys reach
// the subscriber in either state; hanging one up leaves the other with
// silence.
func TestBridgeUnbridgeAndHangup(t *testing.T) {
	r := newTestEngine(t)
	ctx, events := r.ctx, r.events
	agent, pa := r.answered(t, origination("1001"))
	lead, pl := r.answered(t, origination("+15550000200"))
	if err := r.Bridge(ctx, agent, lead); err != nil {
		t.Fatal(err)
	}
	next(t, events, lead, EventBridged)
	pa.send(t, media.PayloadPCMU, filled(0x55))
	pl.await(t, "the agent's audio", func(p *rtp.Packet) bool { return isFilled(p, 0x55) })
	pl.send(t, media.PayloadPCMU, filled(0x66))
	pa.await(t, "the lead's audio", func(p *rtp.Packet) bool { return isFilled(p, 0x66) })
	// A key the agent presses while bridged (RFC 4733 end packet).
	pa.send(t, media.DefaultTelephoneEvent, []byte{11, 0x80, 0, 160}) // '#'
	if ev := next(t, events, agent, EventDTMF); ev.Key != '#' {
		t.Fatalf("key: %q", ev.Key)
	}

	if err := r.Unbridge(ctx, agent); err != nil {
		t.Fatal(err)
	}
	silence := func(p *rtp.Packet) bool { return isFilled(p, media.LinearToULaw(0)) }
	pa.await(t, "silence after unbridge", silence)
	pl.await(t, "silence after unbridge", silence)
	// A key while unbridged (wrap-up: # ready, * pause) reaches the
	// subscriber from the engine's own media end.
	pa.send(t, media.DefaultTelephoneEvent, []byte{10, 0x80, 0, 160}) // '*'
	if ev := next(t, events, agent, EventDTMF); ev.Key != '*' {
		t.Fatalf("key while unbridged: %q", ev.Key)
	}

	if err := r.Bridge(ctx, agent, lead); err != nil {
		t.Fatal(err)
	}
	if err := r.Hangup(ctx, lead, "agent-hangup"); err != nil {
		t.Fatal(err)
	}
	next(t, events, lead, EventLegEnded)
	pa.await(t, "silence after the lead left", silence)
	if err := r.Bridge(ctx, agent, lead); !errors.Is(err, ErrNoLeg) {
		t.Fatalf("bridge to an ended leg: %v", err)
	}
}

// Hanging up a leg still ringing cancels it.
func TestHangupWhileRinging(t *testing.T) {
	r := newTestEngine(t)
	id := r.originate(t, origination("ringing"))
	next(t, r.events, id, EventRinging)
	if err := r.Hangup(r.ctx, id, "paused"); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, r.events, id, EventLegEnded); ev.Disposition != "canceled" {
		t.Fatalf("ended: %+v", ev)
	}
	if reason := <-r.net.leg(id).hangups; reason != "paused" {
		t.Fatalf("reason: %q", reason)
	}
}

// The agent hears a lead's early media (ringback) before the answer.
func TestEarlyMediaToAgent(t *testing.T) {
	r := newTestEngine(t)
	agent, pa := r.answered(t, origination("1001"))
	o := origination("+15550000183")
	o.EarlyMediaTo = agent
	lead := r.originate(t, o)
	pl := newPhone(t, r.net.leg(lead).m)
	next(t, r.events, lead, EventEarlyMedia)
	pl.send(t, media.PayloadPCMU, filled(0x42))
	pa.await(t, "the lead's ringback", func(p *rtp.Packet) bool { return isFilled(p, 0x42) })
	_ = r.Hangup(r.ctx, lead, "skip")
	next(t, r.events, lead, EventLegEnded)
	pa.await(t, "silence after the lead failed", func(p *rtp.Packet) bool { return isFilled(p, media.LinearToULaw(0)) })
}

// An adopted leg (*55) is streamed only to subscribers that name it, so
// the dialer's own subscription does not see its keys twice.
func TestAdoptedLegEventsByName(t *testing.T) {
	r := newTestEngine(t)
	all := r.events
	l := newFakeLeg(t, newTestPool(t), "agent-55")
	id := r.Adopt(l)
	mine := subscribe(r.ctx, r.Engine, Filter{Legs: []LegID{id}})
	l.progress <- Progress{Kind: ProgressDTMF, Key: '*'}
	if ev := next(t, mine, id, EventDTMF); ev.Key != '*' {
		t.Fatalf("key %q", ev.Key)
	}
	l.end("answered", 200)
	next(t, mine, id, EventLegEnded)
	select {
	case ev := <-all.ch:
		t.Fatalf("the empty filter saw an adopted leg: %+v", ev)
	default:
	}
}

// Play plays to an answered leg and comfort silence resumes after.
func TestPlay(t *testing.T) {
	r := newTestEngine(t)
	id, ph := r.answered(t, origination("+15550000200"))
	tone := media.GenerateTone(1000, 100*time.Millisecond, 0.5)
	if err := r.Play(r.ctx, id, tone); err != nil {
		t.Fatal(err)
	}
	ph.await(t, "the prompt", func(p *rtp.Packet) bool { return !isFilled(p, media.LinearToULaw(0)) })
	if err := r.Play(r.ctx, "nope", tone); !errors.Is(err, ErrNoLeg) {
		t.Fatalf("play to no leg: %v", err)
	}
}

// A bridged call whose parties stop sending is hung up on the pool's
// media timeout, as a relayed call is, so a charged leg does not run on
// after its carrier vanished.
func TestBridgedLegsHangUpOnMediaTimeout(t *testing.T) {
	r := newTestEngine(t, media.WithMediaTimeout(50*time.Millisecond))
	agent := r.originate(t, origination("1001"))
	lead := r.originate(t, origination("+15550000200"))
	next(t, r.events, agent, EventAnswered)
	next(t, r.events, lead, EventAnswered)
	if err := r.Bridge(r.ctx, agent, lead); err != nil {
		t.Fatal(err)
	}
	for _, id := range []LegID{agent, lead} {
		if reason := <-r.net.leg(id).hangups; reason != "media timeout" {
			t.Fatalf("%s hung up for %q", id, reason)
		}
	}
}

// An ended leg's event carries its charge, read from its CDR, so the
// dialer can put it on the attempt; without a reader it is empty.
func TestLegEndedCarriesTheCharge(t *testing.T) {
	charges := map[string]string{"cdr-leg-1": "0.02"}
	for _, tc := range []struct {
		name string
		opts []Option
		want string
	}{
		{"with the CDR store's charges", []Option{WithCharges(func(id string) string { return charges[id] })}, "0.02"},
		{"without", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestEngineWith(t, tc.opts)
			id := r.originate(t, origination("+15550000486"))
			if ev := next(t, r.events, id, EventLegEnded); ev.Charge != tc.want || ev.CDRLegID != "cdr-leg-1" {
				t.Fatalf("ended: %+v, want charge %q", ev, tc.want)
			}
		})
	}
}
