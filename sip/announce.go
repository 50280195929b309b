package sip

import (
	"context"
	"errors"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/media"
)

// The recording announcement (media.recording_announcement) tells both
// parties that the call is recorded. It plays whenever a call's recording
// starts: at answer for calls recorded by config, or when the API asks
// for it. The recorder is tapped first, so the recording itself holds the
// announcement.

// setAnnouncement takes the announcement of a new config (start, SIGHUP).
func (sw *Switch) setAnnouncement(cfg *config.Config) {
	a := cfg.Media.RecordingAnnouncement
	var samples []int16
	switch {
	case !a.Enabled:
	case a.Samples != nil:
		samples = a.Samples
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

// announceRecording plays the recording announcement to both parties, if
// one is configured. The parties are kept apart from now on and the
// prompt starts once ready is closed (the caller's ACK; nil: at once),
// in a goroutine of its own: the call's loop goes on taking hang-ups and
// transfers meanwhile. The prompt ends with the call (stopAnnouncement,
// or the relay closing or detaching in a transfer). It runs in the
// call's goroutine, once per call: when its recording starts.
func (c *call) announceRecording(ready <-chan struct{}) {
	samples := c.sw.recordingAnnouncement()
	if len(samples) == 0 || c.relay == nil || c.a == nil || c.b == nil {
		return
	}
	ptA, ptB, err := media.PromptPayloadTypes(c.a.sdp, c.b.sdp)
	if err != nil {
		c.log.Warn("recording announcement not played", "error", err)
		return
	}
	relay := c.relay
	relay.Mute(true) // Announce unmutes when it ends
	ctx, cancel := context.WithCancel(c.sw.ctx)
	c.announceCancel = cancel
	go func() {
		defer cancel()
		if ready != nil {
			select {
			case <-ready:
			case <-ctx.Done():
				relay.Mute(false)
				return
			}
		}
		err := relay.Announce(ctx, samples, ptA, ptB)
		switch {
		case err == nil:
			c.log.Info("recording announced", "seconds", float64(len(samples))/8000)
		case ctx.Err() != nil || errors.Is(err, media.ErrClosed):
			c.log.Debug("recording announcement cut short", "error", err)
		default:
			c.log.Warn("recording announcement", "error", err)
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
