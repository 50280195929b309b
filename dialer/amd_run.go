package dialer

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/dialer/amd"
)

// detect runs answering-machine detection on a predictive lead's audio
// (20 ms frames from the engine) off the dialer's lock, and hands the
// verdict back under it. On a machine verdict it keeps listening: a
// person found then goes to an agent; for amd drop the message plays at the
// greeting's beep or end, for amd hangup the line is hung up once the
// verdict can no longer turn out a person (amd.BeepOrEnd.Confirmed).
func (d *Dialer) detect(ctx context.Context, cancel context.CancelFunc, c Campaign, attemptID string, leg LegID, frames <-chan Event) {
	defer cancel()
	det, err := amd.New(amd.Config{})
	if err != nil {
		d.log.Error("dialer: amd", "error", err)
		d.amdDecided(c.ID, attemptID, amd.Unsure, 0)
		return
	}
	var at time.Duration
	var beep *amd.BeepOrEnd
	for ev := range frames {
		if ev.Kind == EventLegEnded {
			return
		}
		if ev.Kind != EventAudio {
			continue
		}
		frame := ev.Samples
		start := at
		at += time.Duration(len(frame)) * time.Second / 8000
		if beep != nil {
			cue, ok := beep.Feed(frame, start)
			switch {
			case ok && cue.Kind == amd.CuePerson:
				// Not a machine after all: a person who answered with a
				// whole sentence, now waiting for a reply.
				d.amdDecided(c.ID, attemptID, amd.Human, cue.GreetingEnd)
				return
			case c.AMD == AMDHangup && beep.Confirmed(at):
				d.amdDecided(c.ID, attemptID, amd.Machine, 0)
				return
			case ok && c.AMD == AMDDrop:
				d.amdDrop(c.ID, attemptID)
				return
			}
			continue
		}
		dec, ok := det.Feed(frame, start)
		if !ok {
			continue
		}
		if dec.Verdict == amd.Machine && (c.AMD == AMDDrop || c.AMD == AMDHangup) {
			// A second look before acting on it: within 3 s a person who
			// says a whole sentence sounds like a greeting, and stops to
			// wait well before a recorded one ends (amd.CuePerson). Hanging
			// up on a person is the costly error; it counts as abandoned.
			beep = det.BeepOrEnd()
			continue
		}
		d.amdDecided(c.ID, attemptID, dec.Verdict, dec.GreetingEnd)
		return
	}
}

// amdDecided applies a verdict: a person (or unsure, or any answer for
// amd agent) goes to an agent, a machine is hung up.
func (d *Dialer) amdDecided(campaignID, attemptID string, v amd.Verdict, greetingEnd time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, a := d.detectingLocked(campaignID, attemptID)
	if a == nil {
		return
	}
	if v == amd.Machine && r.c.AMD == AMDHangup {
		delete(r.predictive().detecting, a.ID)
		a.Outcome = OutcomeMachine
		_ = d.opts.Engine.Hangup(d.engineCtx(), a.Leg, OutcomeMachine)
		d.dispatchLocked(r)
		return
	}
	from := a.AnsweredAt
	if r.c.AbandonFrom == AbandonFromGreetingEnd {
		from = a.AnsweredAt.Add(greetingEnd)
	}
	d.personAnsweredLocked(r, a, from)
}

// amdDrop plays the campaign's voicemail_drop to a machine after its
// beep and hangs up (vm-left).
func (d *Dialer) amdDrop(campaignID, attemptID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, a := d.detectingLocked(campaignID, attemptID)
	if a == nil {
		return
	}
	delete(r.predictive().detecting, a.ID)
	a.Outcome = OutcomeVMLeft
	samples, err := d.opts.LoadAudio(r.c.VoicemailDrop)
	engine, ctx, leg := d.opts.Engine, d.engineCtx(), a.Leg
	go func() {
		if err == nil {
			pctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			_ = engine.Play(pctx, leg, samples)
			cancel()
		}
		_ = engine.Hangup(ctx, leg, "vm-left")
	}()
	d.dispatchLocked(r)
}

func (d *Dialer) detectingLocked(campaignID, attemptID string) (*run, *Attempt) {
	r := d.campaigns[campaignID]
	if r == nil || r.pred == nil || !r.pred.detecting[attemptID] {
		return nil, nil
	}
	a := r.inFlight[attemptID]
	if a == nil || a.Outcome != "" {
		return nil, nil
	}
	return r, a
}
