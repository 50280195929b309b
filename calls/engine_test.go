package calls

import (
	"context"
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
			e, _ := newTestEngine(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			events := subscribe(ctx, e, Filter{})
			id, err := e.Originate(ctx, origination(tc.to))
			if err != nil {
				t.Fatal(err)
			}
			next(t, events, id, EventRinging)
			ev := next(t, events, id, EventLegEnded)
			if ev.Disposition != tc.disposition || ev.Code != tc.code || ev.CDRLegID != "cdr-"+string(id) {
				t.Fatalf("ended: %+v", ev)
			}
			if err := e.Hangup(ctx, id, "late"); !errors.Is(err, ErrNoLeg) {
				t.Fatalf("hangup of an ended leg: %v", err)
			}
		})
	}
}

// Refusals come back from Originate as the network gave them, so the
// dialer can tell a lead it may not call from a balance that cannot pay.
func TestOriginateRefusals(t *testing.T) {
	e, net := newTestEngine(t)
	if _, err := e.Originate(context.Background(), origination("+15550000402")); !errors.Is(err, billing.ErrInsufficientCredit) {
		t.Fatalf("no credit: %v", err)
	}
	if _, err := e.Originate(context.Background(), origination("+15550000403")); !errors.Is(err, ErrRefused) {
		t.Fatalf("refused: %v", err)
	}
	if len(net.place) != 0 {
		t.Fatalf("legs placed: %d", len(net.place))
	}
}

// An answered leg nobody is bridged to gets comfort silence, so the
// party's phone keeps receiving RTP while the agent waits for a lead.
func TestAnsweredLegGetsComfortSilence(t *testing.T) {
	e, net := newTestEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := subscribe(ctx, e, Filter{})
	id, err := e.Originate(ctx, origination("1002"))
	if err != nil {
		t.Fatal(err)
	}
	ph := newPhone(t, net.leg(id).m)
	next(t, events, id, EventAnswered)
	ph.await(t, "comfort silence", func(p *rtp.Packet) bool { return isFilled(p, media.LinearToULaw(0)) })
}

// Two answered legs bridged hear each other; unbridged, each gets
// silence again and the engine still holds both; the agent's keys reach
// the subscriber in either state; hanging one up leaves the other with
// silence.
func TestBridgeUnbridgeAndHangup(t *testing.T) {
	e, net := newTestEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := subscribe(ctx, e, Filter{Legs: nil})
	agent, err := e.Originate(ctx, origination("1001"))
	if err != nil {
		t.Fatal(err)
	}
	lead, err := e.Originate(ctx, origination("+15550000200"))
	if err != nil {
		t.Fatal(err)
	}
	pa, pl := newPhone(t, net.leg(agent).m), newPhone(t, net.leg(lead).m)
	next(t, events, agent, EventAnswered)
	next(t, events, lead, EventAnswered)
	if err := e.Bridge(ctx, agent, lead); err != nil {
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

	if err := e.Unbridge(ctx, agent); err != nil {
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

	if err := e.Bridge(ctx, agent, lead); err != nil {
		t.Fatal(err)
	}
	if err := e.Hangup(ctx, lead, "agent-hangup"); err != nil {
		t.Fatal(err)
	}
	next(t, events, lead, EventLegEnded)
	pa.await(t, "silence after the lead left", silence)
	if err := e.Bridge(ctx, agent, lead); !errors.Is(err, ErrNoLeg) {
		t.Fatalf("bridge to an ended leg: %v", err)
	}
}

// Hanging up a leg still ringing cancels it.
func TestHangupWhileRinging(t *testing.T) {
	e, net := newTestEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := subscribe(ctx, e, Filter{})
	id, err := e.Originate(ctx, origination("ringing"))
	if err != nil {
		t.Fatal(err)
	}
	next(t, events, id, EventRinging)
	if err := e.Hangup(ctx, id, "paused"); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, events, id, EventLegEnded); ev.Disposition != "canceled" {
		t.Fatalf("ended: %+v", ev)
	}
	if r := <-net.leg(id).hangups; r != "paused" {
		t.Fatalf("reason: %q", r)
	}
}

// The agent hears a lead's early media (ringback) before the answer.
func TestEarlyMediaToAgent(t *testing.T) {
	e, net := newTestEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := subscribe(ctx, e, Filter{})
	agent, _ := e.Originate(ctx, origination("1001"))
	pa := newPhone(t, net.leg(agent).m)
	next(t, events, agent, EventAnswered)
	o := origination("+15550000183")
	o.EarlyMediaTo = agent
	lead, err := e.Originate(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	pl := newPhone(t, net.leg(lead).m)
	next(t, events, lead, EventEarlyMedia)
	pl.send(t, media.PayloadPCMU, filled(0x42))
	pa.await(t, "the lead's ringback", func(p *rtp.Packet) bool { return isFilled(p, 0x42) })
	_ = e.Hangup(ctx, lead, "skip")
	next(t, events, lead, EventLegEnded)
	pa.await(t, "silence after the lead failed", func(p *rtp.Packet) bool { return isFilled(p, media.LinearToULaw(0)) })
}

// An adopted leg (*55) is streamed only to subscribers that name it, so
// the dialer's own subscription does not see its keys twice.
func TestAdoptedLegEventsByName(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	all := subscribe(ctx, e, Filter{})
	l := newFakeLeg(t, newTestPool(t), "agent-55")
	id := e.Adopt(l)
	mine := subscribe(ctx, e, Filter{Legs: []LegID{id}})
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
	e, net := newTestEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := subscribe(ctx, e, Filter{})
	id, _ := e.Originate(ctx, origination("+15550000200"))
	ph := newPhone(t, net.leg(id).m)
	next(t, events, id, EventAnswered)
	tone := media.GenerateTone(1000, 100*time.Millisecond, 0.5)
	if err := e.Play(ctx, id, tone); err != nil {
		t.Fatal(err)
	}
	ph.await(t, "the prompt", func(p *rtp.Packet) bool { return !isFilled(p, media.LinearToULaw(0)) })
	if err := e.Play(ctx, "nope", tone); !errors.Is(err, ErrNoLeg) {
		t.Fatalf("play to no leg: %v", err)
	}
}

// A bridged call whose parties stop sending is hung up on the pool's
// media timeout, as a relayed call is, so a charged leg does not run on
// after its carrier vanished.
func TestBridgedLegsHangUpOnMediaTimeout(t *testing.T) {
	e, net := newTestEngine(t, media.WithMediaTimeout(50*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := subscribe(ctx, e, Filter{})
	agent, _ := e.Originate(ctx, origination("1001"))
	lead, _ := e.Originate(ctx, origination("+15550000200"))
	next(t, events, agent, EventAnswered)
	next(t, events, lead, EventAnswered)
	if err := e.Bridge(ctx, agent, lead); err != nil {
		t.Fatal(err)
	}
	for _, id := range []LegID{agent, lead} {
		if r := <-net.leg(id).hangups; r != "media timeout" {
			t.Fatalf("%s hung up for %q", id, r)
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
			e := New(&fakeNetwork{t: t, pool: newTestPool(t)}, nil, tc.opts...)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			events := subscribe(ctx, e, Filter{})
			id, err := e.Originate(ctx, origination("+15550000486"))
			if err != nil {
				t.Fatal(err)
			}
			if ev := next(t, events, id, EventLegEnded); ev.Charge != tc.want || ev.CDRLegID != "cdr-leg-1" {
				t.Fatalf("ended: %+v, want charge %q", ev, tc.want)
			}
		})
	}
}
