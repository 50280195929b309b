package sip

import (
	"time"

	"github.com/dialtone/dialtone/calls"
	"github.com/dialtone/dialtone/media"
)

// The switch anchors a call's media (calls.CallMedia); this file feeds it
// the switch's media pool and IP, the call's legs and the metrics.

// anchorOffer allocates both sides' media and prepares the offer the
// outgoing leg carries (calls.CallMedia.AnchorOffer).
func (c *call) anchorOffer() error {
	return c.AnchorOffer(c.host.mediaPool(), c.host.mediaAddr(), c.a.SDP, c.a.Dialog.Source())
}

// anchorAnswer takes the callee's SDP (183 or 2xx) and the address the
// response came from, points the B side at them and returns what the
// caller gets.
func (c *call) anchorAnswer(sdpB []byte, from string) ([]byte, error) {
	return c.AnchorAnswer(c.host.mediaPool(), c.host.mediaAddr(), c.a.SDP, sdpB, from)
}

// closeMedia releases the call's ports and copies the packet counters and
// the recording into the legs' CDRs.
func (c *call) closeMedia() {
	a, b := c.CloseRelay(c.log)
	c.countMedia(c.a, a)
	c.countMedia(c.b, b)
	if rec := c.CloseRecording(c.log); rec != nil {
		for _, l := range append([]*leg{c.a, c.b}, c.riders...) {
			if l != nil {
				l.CDR.Recording = rec
			}
		}
	}
}

// countMedia copies a media leg's counters into l's CDR and the metrics.
func (c *call) countMedia(l *leg, m *media.Leg) {
	if m == nil {
		return
	}
	s := m.Stats()
	if l == nil {
		c.host.countMedia("", s)
		return
	}
	c.host.countMedia(l.CDR.Direction, s)
	l.CountMedia(s)
}

// followOffer points the relay at where a leg's new offer (from the
// address from) wants its audio and holds or resumes the call's media
// timeout. It runs in the call's goroutine (which owns c.Relay, c.a and
// c.b).
func (c *call) followOffer(l *leg, offer []byte, from string) {
	c.FollowOffer(c.b == l, offer, from)
}

// checkReoffer refuses a re-INVITE or UPDATE offer that points at the
// switch's own media ports (see calls.LoopError).
func (sw *Switch) checkReoffer(offer []byte) error {
	return calls.CheckReoffer(sw.media, offer)
}

// do runs f in the call's goroutine, unless the call has ended; it waits
// at most a second, for a call busy with a transfer.
func (c *call) do(f func()) {
	select {
	case c.inbox <- f:
	case <-c.finished:
	case <-time.After(time.Second):
		c.log.Warn("call busy: in-dialog update not applied")
	}
}

// startRecording taps the relay with a stereo WAV recorder (caller left,
// callee right) when the organization, a user of the call or the number
// called is recorded; the announcement waits for ready (see record).
func (c *call) startRecording(ready <-chan struct{}) {
	if c.Relay == nil || c.host.recordingsDir() == "" || !c.recorded() {
		return
	}
	c.record(ready)
}

// record starts the call's recording now (idempotent), then the recording
// announcement, which starts once ready is closed (nil: at once); on
// demand it runs in the call's goroutine through the inbox.
func (c *call) record(ready <-chan struct{}) bool {
	if c.Recorder != nil {
		return true
	}
	if !c.StartRecorder(c.host.recordingsDir(), c.a.CDR.LegID, c.log) {
		return false
	}
	c.announceRecording(ready) // after the tap: the recording proves it
	return true
}

// recorded reports whether the config records the call. It reads the
// current directory, not the config the switch started with, so a reload
// applies to calls answered after it; a call already up keeps its state.
func (c *call) recorded() bool {
	dir := c.host.callDirectory()
	if dir.RecordAll || (c.rt.Number != nil && c.rt.Number.Record) {
		return true
	}
	for _, l := range []*leg{c.a, c.b} {
		if l == nil {
			continue
		}
		if u := dir.User(l.CDR.User); u != nil && u.Record {
			return true
		}
	}
	return false
}

// newRelay bridges two media legs keeping the caller's side first,
// carries the call's recording over and plays ann (if not nil) on it.
func (c *call) newRelay(first, second *media.Leg, ann *calls.Announcement) error {
	return c.NewRelay(c.host.runContext(), c.log, first, second, ann)
}
