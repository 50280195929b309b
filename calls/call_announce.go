package calls

// announceRecording plays the recording announcement to both parties, if
// one is configured (CallMedia.AnnounceRecording). It runs in the
// call's goroutine when the call's recording starts.
func (c *Call) announceRecording(ready <-chan struct{}) {
	if c.a == nil || c.b == nil {
		return
	}
	c.AnnounceRecording(c.host.RunContext(), c.log, c.host.RecordingAnnouncement(), c.a.SDP, c.b.SDP, ready)
}

// transferAnnouncement is what to play on the relay a transfer is about to
// build between the transferee p and the new party t
// (CallMedia.TransferAnnouncement).
func (c *Call) transferAnnouncement(p, t *CallLeg) *Announcement {
	if p == nil || t == nil {
		return nil
	}
	return c.TransferAnnouncement(c.log, c.host.RecordingAnnouncement(), p, t, c.b == p)
}
