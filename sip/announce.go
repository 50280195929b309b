package sip

import (
	"context"
	"errors"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/media"
)

// The recording announcement (media.recording_announcement) tells the
// parties that the call is recorded. It plays whenever a call's recording
// starts (at answer for calls recorded by config, or when the API asks for
// it) and whenever a transfer bridges a recorded call to a new party,
// whose consent the first announcement did not ask. The recorder is tapped
// first, so the recording itself holds the announcement.

// setAnnouncement takes the announcement of a new config (start, SIGHUP).
func (sw *Switch) setAnnouncement(cfg *config.Config) {
	a := cfg.Media.RecordingAnnouncement
	var samples []int16
	switch {
	case !a.Enabled:
	case a.File != "":
		// CheckPrompts refused a config whose file does not load; if it
		// stopped loading since, the built-in prompt still tells the
		// parties they are recorded.
		var err error
		if samples, err = loadPrompt(cfg.ResolvePath(a.File)); err != nil {
			sw.log.Error("recording announcement not loaded: the built-in prompt plays", "error", err)
			samples = media.DefaultRecordingAnnouncement()
		}
	default:
		samples = media.DefaultRecordingAnnouncement()
	}
	sw.announcement.Store(&samples)
}

// recordingAnnouncement is the prompt to play when a recording starts,
// nil when none is configured.
func (sw *Switch) recordingAnnouncement() []int16 {
	if p := sw.announcement.Load(); p != nil {
		return *p
	}
	return nil
}

// announcement is a prompt to play on a relay: to the A side's party as
// payload type ptA, to the B side's as ptB.
type announcement struct {
	samples  []int16
	ptA, ptB uint8
	why      string // for the log
}

// announceRecording plays the recording announcement to both parties, if
// one is configured. The parties are kept apart from now on and the
// prompt starts once ready is closed (the caller's ACK; nil: at once).
// It runs in the call's goroutine when the call's recording starts.
func (c *call) announceRecording(ready <-chan struct{}) {
	samples := c.sw.recordingAnnouncement()
	if len(samples) == 0 || c.relay == nil || c.a == nil || c.b == nil {
		return
	}
	ptA, ptB, err := media.PromptPayloadTypes(c.a.SDP, c.b.SDP)
	if err != nil {
		c.log.Warn("recording announcement not played", "error", err)
		return
	}
	c.relay.Mute(true) // Announce unmutes when it ends
	c.playAnnouncement(c.relay, &announcement{samples: samples, ptA: ptA, ptB: ptB, why: "recording started"}, ready)
}

// transferAnnouncement is what to play on the relay a transfer is about to
// build between the transferee p and the new party t, nil when the call
// is not recorded or no announcement is configured. Both parties hear it:
// the relay mutes both ways while a prompt plays, so the transferee would
// sit through it in silence anyway, and it may have been cut short the
// first time by a quick transfer. The transferee keeps its side of the
// relay (see rebridgeLeg), so t takes the side p is not on.
func (c *call) transferAnnouncement(p, t *leg) *announcement {
	samples := c.sw.recordingAnnouncement()
	if c.recorder == nil || len(samples) == 0 || p == nil || t == nil {
		return nil
	}
	// A blind transfer offers t what p gave (t answers p's SDP); an
	// attended one joins two negotiations, and a G.711 codec both parties
	// listed is one each can receive.
	ptP, ptT, err := media.PromptPayloadTypes(p.SDP, t.SDP)
	if err != nil {
		c.log.Warn("recording announcement not played to the transfer target", "leg_id", t.CDR.LegID, "error", err)
		return nil
	}
	if c.b == p {
		return &announcement{samples: samples, ptA: ptT, ptB: ptP, why: "transfer"}
	}
	return &announcement{samples: samples, ptA: ptP, ptB: ptT, why: "transfer"}
}

// playAnnouncement plays ann on relay, which the caller has muted, once
// ready is closed (nil: at once), in a goroutine of its own: the call's
// loop goes on taking hang-ups and transfers meanwhile. The prompt ends
// with the call (stopAnnouncement), when the relay closes or detaches in
// a transfer, or when another announcement replaces it.
func (c *call) playAnnouncement(relay *media.Relay, ann *announcement, ready <-chan struct{}) {
	c.stopAnnouncement()
	ctx, cancel := context.WithCancel(c.sw.ctx)
	c.announceCancel = cancel
	go func() {
		defer cancel()
		if ready != nil {
			select {
			case <-ready:
			case <-ctx.Done():
				return // the call is ending: stay muted (see Relay.Announce)
			}
		}
		err := relay.Announce(ctx, ann.samples, ann.ptA, ann.ptB)
		switch {
		case err == nil:
			c.log.Info("recording announced", "because", ann.why, "seconds", float64(len(ann.samples))/8000)
		case ctx.Err() != nil || errors.Is(err, media.ErrClosed):
			c.log.Debug("recording announcement cut short", "because", ann.why, "error", err)
		default:
			c.log.Warn("recording announcement", "because", ann.why, "error", err)
		}
	}()
}

// stopAnnouncement ends an announcement still playing (a party hung up).
func (c *call) stopAnnouncement() {
	if c.announceCancel != nil {
		c.announceCancel()
		c.announceCancel = nil
	}
}
