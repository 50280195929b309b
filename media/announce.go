package media

import (
	"context"
	"fmt"
)

// Mute stops relaying RTP between the parties (on) or resumes it (off);
// counters, latching, taps and RTCP go on. Announce mutes while it plays
// and always resumes when it returns, so mute first only to keep the
// parties apart until an announcement starts (while the caller's ACK is
// on its way, say).
func (r *Relay) Mute(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !on && r.silenced {
		return
	}
	r.fromA.muted.Store(on)
	r.fromB.muted.Store(on)
}

// Silence stops relaying RTP between the parties for good, as Mute(true)
// but not lifted by Mute(false) or by an announcement's end: a call that
// is ending silences its relay before it stops an announcement, so no
// packet of the party who hung up reaches the other in between.
func (r *Relay) Silence() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.silenced = true
	r.fromA.muted.Store(true)
	r.fromB.muted.Store(true)
}

// Announce plays samples (8 kHz mono, e.g. DefaultRecordingAnnouncement)
// to both parties of the relay at once: to A's party as payload type ptA
// and to B's as ptB (PayloadPCMU or PayloadPCMA, else
// ErrUnsupportedCodec: the G.711 codec the call's SDP negotiation allows
// each side, see PromptPayloadTypes). Each party gets a Player stream of
// its own (own SSRC, paced in real time), and while it plays the relay
// forwards no RTP between the parties, so neither talks over the
// announcement. RTCP still passes, and the parties' packets are still
// counted, latched and tapped. Forwarding resumes when Announce returns.
//
// Recorder taps record the announcement over the parties' audio, on both
// channels (see Recorder); other taps do not see it.
//
// Announce returns when the prompt has been sent, or early with ctx's
// error when ctx ends, and with ErrClosed when the relay is closed or
// detached (before or while it plays). One announcement plays at a time;
// a second Announce waits for the first.
func (r *Relay) Announce(ctx context.Context, samples []int16, ptA, ptB uint8) error {
	toA, err := NewPlayer(r.a, ptA)
	if err != nil {
		return fmt.Errorf("announce: leg a: %w", err)
	}
	toB, err := NewPlayer(r.b, ptB)
	if err != nil {
		return fmt.Errorf("announce: leg b: %w", err)
	}
	// What A hears stands in for B's side of the recording, and the
	// other way round.
	toA.taps, toA.dir, toA.mixed = &r.taps, FromB, true
	toB.taps, toB.dir, toB.mixed = &r.taps, FromA, true

	announcing, done := r.announceChans()
	select {
	case announcing <- struct{}{}:
	case <-done:
		return fmt.Errorf("announce: %w", ErrClosed)
	case <-ctx.Done():
		return fmt.Errorf("announce: %w", context.Cause(ctx))
	}
	defer func() { <-announcing }()
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return fmt.Errorf("announce: %w", ErrClosed)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-done:
			cancel(ErrClosed)
		case <-ctx.Done():
		}
	}()

	r.Mute(true)
	defer r.Mute(false)
	errs := make(chan error, 2)
	for _, p := range []*Player{toA, toB} {
		go func() { errs <- p.Play(ctx, samples) }()
	}
	// A party that cannot be played to ends the announcement for both:
	// the other should not sit muted through it alone.
	first := <-errs
	if first != nil {
		cancel(first)
	}
	if second := <-errs; first == nil {
		first = second
	}
	if first != nil {
		return fmt.Errorf("announce: %w", first)
	}
	return nil
}

// PromptPayloadTypes returns the payload types to play a prompt in to the
// party that wrote offer and to the one that wrote answer (Relay.Announce's
// ptA and ptB for a call's offer and answer): the first codec of the
// answer that the offer also lists and that is PCMU or PCMA, so the codec
// in use when the call runs G.711, else a G.711 codec both sides accepted
// besides it. It fails with ErrNoCommonCodec when they share neither.
func PromptPayloadTypes(offer, answer []byte) (ptOffer, ptAnswer uint8, err error) {
	common, err := CommonCodecs(offer, answer)
	if err != nil {
		return 0, 0, fmt.Errorf("prompt payload types: %w", err)
	}
	o, err := Parse(offer)
	if err != nil {
		return 0, 0, fmt.Errorf("prompt payload types: offer: %w", err)
	}
	for _, c := range common {
		if !isStaticG711(c) {
			continue
		}
		for _, oc := range o.Codecs {
			if oc.matches(c) && isStaticG711(oc) {
				return oc.PayloadType, c.PayloadType, nil
			}
		}
	}
	return 0, 0, fmt.Errorf("prompt payload types: common %v: %w", names(common), ErrNoCommonCodec)
}

// isStaticG711 reports whether c is PCMU or PCMA under its static payload
// type: what a Player can send.
func isStaticG711(c Codec) bool {
	return c.PayloadType == c.staticPT() && (c.PayloadType == PayloadPCMU || c.PayloadType == PayloadPCMA)
}
