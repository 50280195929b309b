package sip

import (
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

// RecordingAnnouncement is the prompt to play when a recording starts,
// nil when none is configured (calls.Host).
func (h switchHost) RecordingAnnouncement() []int16 {
	if p := h.sw.announcement.Load(); p != nil {
		return *p
	}
	return nil
}
