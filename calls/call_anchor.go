package calls

import (
	"time"

	"github.com/dialtone/dialtone/media"
)

// The switch anchors a call's media (CallMedia); this file feeds it
// the switch's media pool and IP, the call's legs and the metrics.

// anchorOffer allocates both sides' media and prepares the offer the
// outgoing leg carries (CallMedia.AnchorOffer).
func (c *Call) anchorOffer() error {
	return c.AnchorOffer(c.host.MediaPool(), c.host.MediaAddr(), c.a.SDP, c.a.Dialog.Source())
}

// anchorAnswer takes the callee's SDP (183 or 2xx) and the address the
// response came from, points the B side at them and returns what the
// caller gets.
func (c *Call) anchorAnswer(sdpB []byte, from string) ([]byte, error) {
	return c.AnchorAnswer(c.host.MediaPool(), c.host.MediaAddr(), c.a.SDP, sdpB, from)
}

// closeMedia releases the call's ports and copies the packet counters and
// the recording into the legs' CDRs.
func (c *Call) closeMedia() {
	a, b := c.closeRelay(c.log)
	c.countMedia(c.a, a)
	c.countMedia(c.b, b)
	if rec := c.closeRecording(c.log); rec != nil {
		for _, l := range append([]*CallLeg{c.a, c.b}, c.riders...) {
			if l != nil {
				l.CDR.Recording = rec
			}
		}
	}
}

// countMedia copies a media leg's counters into l's CDR and the metrics.
func (c *Call) countMedia(l *CallLeg, m *media.Leg) {
	if m == nil {
		return
	}
	s := m.Stats()
	if l == nil {
		c.host.CountMedia("", s)
		return
	}
	c.host.CountMedia(l.CDR.Direction, s)
	l.CountMedia(s)
}

// followOffer points the relay at where a leg's new offer (from the
// address from) wants its audio and holds or resumes the call's media
// timeout. It runs in the call's goroutine (which owns c.Relay, c.a and
// c.b).
func (c *Call) followOffer(l *CallLeg, offer []byte, from string) {
	c.FollowOffer(c.b == l, offer, from)
}

// do runs f in the call's goroutine, unless the call has ended; it waits
// at most a second, for a call busy with a transfer.
func (c *Call) do(f func()) {
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
func (c *Call) startRecording(ready <-chan struct{}) {
	if c.Relay == nil || c.host.RecordingsDir() == "" || !c.recorded() {
		return
	}
	c.record(ready)
}

// record starts the call's recording now (idempotent), then the recording
// announcement, which starts once ready is closed (nil: at once); on
// demand it runs in the call's goroutine through the inbox.
func (c *Call) record(ready <-chan struct{}) bool {
	if c.Recorder != nil {
		return true
	}
	if !c.startRecorder(c.host.RecordingsDir(), c.a.CDR.LegID, c.log) {
		return false
	}
	c.announceRecording(ready) // after the tap: the recording proves it
	return true
}

// recorded reports whether the config records the call. It reads the
// current directory, not the config the switch started with, so a reload
// applies to calls answered after it; a call already up keeps its state.
func (c *Call) recorded() bool {
	var users [2]string
	for i, l := range []*CallLeg{c.a, c.b} {
		if l != nil {
			users[i] = l.CDR.User
		}
	}
	return c.host.CallDirectory().Records(c.rt.Number, users[:]...)
}

// newRelay bridges two media legs keeping the caller's side first,
// carries the call's recording over and plays ann (if not nil) on it.
func (c *Call) newRelay(first, second *media.Leg, ann *Announcement) error {
	return c.NewRelay(c.host.RunContext(), c.log, first, second, ann)
}
