package calls

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pion/rtp"

	"github.com/dialtone/dialtone/media"
)

// comfortChunk is how much silence the engine sends at a time to a leg
// nobody talks to: short, so a prompt waits little for it.
const comfortChunk = 200 * time.Millisecond

var comfortSilence = media.GenerateSilence(comfortChunk)

// terminateLocked gives an answered leg the engine's own media end: it
// reads the party's keys (RFC 4733) and audio, and sends comfort silence
// so the party's phone keeps receiving RTP however long the leg waits
// for its next bridge.
func (e *Engine) terminateLocked(ls *legState) {
	m := ls.leg.Media()
	if m == nil || ls.ep != nil || ls.ended {
		return
	}
	pt, te := ls.leg.PayloadTypes()
	ep, err := media.NewEndpoint(m, pt, media.WithTelephoneEvent(te))
	if err != nil {
		e.log.Warn("calls: terminate leg's media", "leg", ls.id, "error", err)
		return
	}
	if err := ep.Start(); err != nil {
		e.log.Warn("calls: start leg's media", "leg", ls.id, "error", err)
	}
	ep.AddTap(&audioTap{e: e, ls: ls, pt: pt})
	ctx, cancel := context.WithCancel(context.Background())
	ls.ep, ls.epStop = ep, cancel
	go func() { // the party's keys
		for d := range ep.Digits() {
			e.publish(ls, Event{Kind: EventDTMF, Key: d.Key})
		}
	}()
	go comfort(ctx, ep, ls)
}

// comfort sends silence to ep until ctx ends, standing aside while a
// prompt plays.
func comfort(ctx context.Context, ep *media.Endpoint, ls *legState) {
	for ctx.Err() == nil {
		if ls.prompting.Load() > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(media.PacketTime):
			}
			continue
		}
		if err := ep.Play(ctx, comfortSilence); err != nil && !errors.Is(err, context.Canceled) {
			if errors.Is(err, media.ErrClosed) {
				return
			}
			// No address to send to yet (the party has not sent
			// anything): try again shortly.
			select {
			case <-ctx.Done():
			case <-time.After(comfortChunk):
			}
		}
	}
}

// detachLocked takes the leg's media port back from its Endpoint.
func (e *Engine) detachLocked(ls *legState) (*media.Leg, error) {
	if ls.ep == nil {
		if m := ls.leg.Media(); m != nil {
			return m, nil // never terminated (early media)
		}
		return nil, ErrNotAnswered
	}
	ls.epStop()
	m, err := ls.ep.Detach()
	ls.ep, ls.epStop = nil, nil
	return m, err
}

// Bridge connects two legs' media; a leg bridged to another is unbridged
// from it first (that one gets comfort silence).
func (e *Engine) Bridge(_ context.Context, a, b LegID) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	la, lb := e.legs[a], e.legs[b]
	if la == nil || lb == nil || la.ended || lb.ended {
		return fmt.Errorf("bridge %s and %s: %w", a, b, ErrNoLeg)
	}
	if la.relay != nil && la.peer == lb {
		e.watchLocked(la, lb) // early media made them one already: now both are up
		e.hub.publish(Event{Kind: EventBridged, Leg: lb.id}, lb.placed)
		return nil
	}
	if err := e.bridgeLocked(la, lb); err != nil {
		return err
	}
	e.hub.publish(Event{Kind: EventBridged, Leg: lb.id}, lb.placed)
	return nil
}

func (e *Engine) bridgeLocked(la, lb *legState) error {
	for _, ls := range []*legState{la, lb} {
		if ls.relay != nil {
			e.unbridgeLocked(ls)
		}
	}
	ma, err := e.detachLocked(la)
	if err != nil {
		return fmt.Errorf("bridge %s: %w", la.id, err)
	}
	mb, err := e.detachLocked(lb)
	if err != nil {
		e.terminateLocked(la)
		return fmt.Errorf("bridge %s: %w", lb.id, err)
	}
	r, err := media.NewRelay(ma, mb)
	if err != nil {
		return fmt.Errorf("bridge %s and %s: %w", la.id, lb.id, err)
	}
	_, teA := la.leg.PayloadTypes()
	_, teB := lb.leg.PayloadTypes()
	r.AddTap(media.NewDTMFDetector(func(d media.Digit) {
		from := la
		if d.Direction == media.FromB {
			from = lb
		}
		e.publish(from, Event{Kind: EventDTMF, Key: d.Key})
	}, teA, teB))
	if err := r.Start(); err != nil {
		return fmt.Errorf("bridge %s and %s: %w", la.id, lb.id, err)
	}
	la.relay, la.peer, la.isA = r, lb, true
	lb.relay, lb.peer, lb.isA = r, la, false
	e.watchLocked(la, lb)
	return nil
}

// watchLocked hangs up a bridged call whose parties stopped sending (a
// carrier gone without a BYE), as a relayed call is, so a charged leg
// does not run on. Early media is not watched (ringing may be silent):
// only once both legs are up.
func (e *Engine) watchLocked(la, lb *legState) {
	r := la.relay
	if !la.up || !lb.up || la.relayDone != nil || r == nil {
		return
	}
	r.Answered()
	done := make(chan struct{})
	la.relayDone, lb.relayDone = done, done
	go func(timedOut <-chan struct{}) {
		select {
		case <-timedOut:
		case <-done:
			return
		}
		e.mu.Lock()
		still := la.relay == r
		e.mu.Unlock()
		if still {
			la.leg.Hangup("media timeout")
			lb.leg.Hangup("media timeout")
		}
	}(r.TimedOut())
}

// Unbridge leaves a leg and its peer up, each with comfort silence.
func (e *Engine) Unbridge(_ context.Context, id LegID) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	ls := e.legs[id]
	if ls == nil || ls.ended {
		return fmt.Errorf("unbridge %s: %w", id, ErrNoLeg)
	}
	if ls.relay != nil {
		e.unbridgeLocked(ls)
	}
	return nil
}

func (e *Engine) unbridgeLocked(ls *legState) {
	r, peer := ls.relay, ls.peer
	a, b, err := r.Detach()
	if err != nil {
		e.log.Warn("calls: unbridge", "leg", ls.id, "error", err)
	}
	ls.relay, ls.peer, peer.relay, peer.peer = nil, nil, nil, nil
	if ls.relayDone != nil {
		close(ls.relayDone)
		ls.relayDone, peer.relayDone = nil, nil
	}
	for _, x := range []struct {
		ls *legState
		m  *media.Leg
	}{{ls, pick(ls.isA, a, b)}, {peer, pick(peer.isA, a, b)}} {
		if x.ls.ended {
			if x.m != nil {
				_ = x.m.Close()
			}
			continue
		}
		if !x.ls.up {
			continue // a lead still ringing keeps its port for the answer
		}
		e.terminateLocked(x.ls)
	}
}

func pick(isA bool, a, b *media.Leg) *media.Leg {
	if isA {
		return a
	}
	return b
}

// releaseLocked frees an ended leg's media; a bridged peer gets comfort
// silence.
func (e *Engine) releaseLocked(ls *legState) {
	switch {
	case ls.relay != nil:
		e.unbridgeLocked(ls)
	case ls.ep != nil:
		ls.epStop()
		_ = ls.ep.Close()
		ls.ep = nil
	default:
		if m := ls.leg.Media(); m != nil {
			_ = m.Close()
		}
	}
}

// Play plays 8 kHz mono samples to an unbridged, answered leg and
// returns when they are played or ctx ends.
func (e *Engine) Play(ctx context.Context, id LegID, samples []int16) error {
	e.mu.Lock()
	ls := e.legs[id]
	if ls != nil && ls.relay != nil && !ls.ended {
		e.unbridgeLocked(ls)
	}
	var ep *media.Endpoint
	if ls != nil {
		ep = ls.ep
		ls.prompting.Add(1)
		defer ls.prompting.Add(-1)
	}
	e.mu.Unlock()
	if ls == nil {
		return fmt.Errorf("play to %s: %w", id, ErrNoLeg)
	}
	if ep == nil {
		return fmt.Errorf("play to %s: %w", id, ErrNotAnswered)
	}
	if err := ep.Play(ctx, samples); err != nil {
		return fmt.Errorf("play to %s: %w", id, err)
	}
	return nil
}

// audioTap decodes what a terminated leg's party says into 20 ms frames
// for subscribers that asked for audio (answering-machine detection).
type audioTap struct {
	e  *Engine
	ls *legState
	pt uint8
}

func (t *audioTap) Packet(dir media.Direction, pkt *rtp.Packet) {
	if dir != media.FromA || pkt.PayloadType != t.pt || !t.e.hub.wantsAudio() {
		return
	}
	samples, err := media.DecodeG711(nil, pkt.PayloadType, pkt.Payload)
	if err != nil {
		return
	}
	t.e.publish(t.ls, Event{Kind: EventAudio, Samples: samples})
}
