package sip

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/media"
)

// The switch anchors a call's media by giving each side its own port pair
// and relaying between them: A's offer goes to B rewritten to B's ports,
// B's answer goes to A rewritten to A's ports.

// anchorOffer allocates both sides' media and prepares the offer the
// outgoing leg carries. Without a pool (anchoring off) or an offer (a
// late-offer INVITE), the caller's body passes through unchanged.
func (c *call) anchorOffer() error {
	c.offer = c.a.SDP
	pool := c.sw.media
	if pool == nil || len(c.offer) == 0 {
		return nil
	}
	var desc *media.Parsed
	var err error
	if c.parsedOffer != nil {
		desc, err = media.ParsedSession(c.parsedOffer)
		c.parsedOffer = nil // the rewrite changes it
	} else {
		desc, err = media.ParseForRewrite(c.offer)
	}
	if err != nil {
		return &callError{Code: 488, Phrase: "Not Acceptable Here", Reason: "unusable SDP offer", Err: err}
	}
	remote := desc.Remote
	if err := pool.CheckRemote(remote); err != nil {
		return loopError("offer", err)
	}
	a, err := pool.Allocate()
	if err != nil {
		return &callError{Code: 503, Phrase: "Service Unavailable", Reason: "no media ports free", Err: err}
	}
	b, err := pool.Allocate()
	if err != nil {
		_ = a.Close()
		return &callError{Code: 503, Phrase: "Service Unavailable", Reason: "no media ports free", Err: err}
	}
	a.SetSignalingSource(signalingSource(c.a.Dialog.Source()))
	a.SetRemote(remote)
	offer, err := desc.Rewrite(c.sw.mediaIP, b.Port())
	if err != nil {
		_, _ = a.Close(), b.Close()
		return &callError{Code: 488, Phrase: "Not Acceptable Here", Reason: "unusable SDP offer", Err: err}
	}
	relay, err := media.NewRelay(a, b)
	if err != nil {
		_, _ = a.Close(), b.Close()
		return fmt.Errorf("anchor media: %w", err)
	}
	// Start at once so early media flows and both sides latch.
	if err := relay.Start(); err != nil {
		_ = relay.Close()
		return fmt.Errorf("anchor media: %w", err)
	}
	c.relay, c.offer, c.offerDesc = relay, offer, desc.Description
	return nil
}

// anchorAnswer takes the callee's SDP (183 or 2xx) and the address the
// response came from, points the B side at them and returns what the
// caller gets.
func (c *call) anchorAnswer(sdpB []byte, from string) ([]byte, error) {
	if c.relay == nil || len(sdpB) == 0 {
		return sdpB, nil
	}
	// Each body parsed once: the caller's offer when it was anchored.
	offer := c.offerDesc
	if offer == nil {
		var err error
		if offer, err = media.Parse(c.a.SDP); err != nil {
			return nil, &callError{Code: 488, Phrase: "Not Acceptable Here", Reason: "no common codec", Err: fmt.Errorf("offer: %w", err)}
		}
	}
	parsed, err := media.ParseForRewrite(sdpB)
	var desc *media.Description
	if err == nil {
		desc = parsed.Description
	}
	if _, err := media.Common(offer, desc, err); err != nil {
		return nil, &callError{Code: 488, Phrase: "Not Acceptable Here", Reason: "no common codec", Err: err}
	}
	remote := desc.Remote
	if err := c.sw.media.CheckRemote(remote); err != nil {
		return nil, loopError("answer", err)
	}
	c.relay.B().SetSignalingSource(signalingSource(from))
	c.relay.B().SetRemote(remote)
	answer, err := parsed.Rewrite(c.sw.mediaIP, c.relay.A().Port())
	if err != nil {
		return nil, &callError{Code: 488, Phrase: "Not Acceptable Here", Reason: "unusable SDP answer", Err: err}
	}
	return answer, nil
}

// closeMedia releases the call's ports and copies the packet counters into
// the legs' CDRs.
func (c *call) closeMedia() {
	if c.relay != nil {
		// Close first: the counters then include the last packets in flight.
		if err := c.relay.Close(); err != nil && !errors.Is(err, media.ErrClosed) {
			c.log.Warn("close media", "error", err)
		}
		c.countMedia(c.a, c.relay.A())
		c.countMedia(c.b, c.relay.B())
		c.relay = nil
	}
	// Even without a relay: a recorded consultation call whose media an
	// attended transfer took over still has its file to finish.
	if c.recorder != nil {
		d, err := c.recorder.Close()
		if err != nil {
			c.log.Error("close recording", "path", c.recordPath, "error", err)
		}
		rec := &billing.Recording{Path: c.recordPath, Seconds: d.Round(time.Millisecond).Seconds()}
		for _, l := range append([]*leg{c.a, c.b}, c.riders...) {
			if l != nil {
				l.CDR.Recording = rec
			}
		}
		c.recorder = nil
	}
}

// countMedia copies a media leg's counters into l's CDR and the metrics.
func (c *call) countMedia(l *leg, m *media.Leg) {
	if m == nil {
		return
	}
	s := m.Stats()
	c.sw.metrics.countMedia(l, s)
	if l == nil {
		return
	}
	l.CDR.Media = &billing.MediaStats{
		PacketsIn: s.RTPPacketsIn, BytesIn: s.RTPBytesIn, PacketsOut: s.RTPPacketsOut, BytesOut: s.RTPBytesOut,
		Dropped: s.Dropped(), RefusedPackets: s.Refused,
	}
}

// followOffer points the relay at where a leg's new offer (from the
// address from) wants its audio and holds or resumes the call's media
// timeout. It runs in the call's goroutine (which owns c.relay, c.a and
// c.b).
func (c *call) followOffer(l *leg, offer []byte, from string) {
	r := c.relay
	if r == nil {
		return
	}
	d, err := media.Parse(offer)
	if err != nil {
		return
	}
	m := r.A()
	if c.b == l {
		m = r.B()
	}
	m.SetSignalingSource(signalingSource(from))
	m.SetRemote(d.Remote)
	r.SetHold(d.Mode != media.SendRecv)
}

// checkReoffer refuses a re-INVITE or UPDATE offer that points at the
// switch's own media ports (see loopError).
func (sw *Switch) checkReoffer(offer []byte) error {
	if sw.media == nil {
		return nil
	}
	d, err := media.Parse(offer)
	if err != nil {
		return nil // Reanswer judges the body
	}
	if err := sw.media.CheckRemote(d.Remote); err != nil {
		return loopError("re-offer", err)
	}
	return nil
}

// loopError is the 488 for SDP whose audio points at the switch's own
// media ports: relaying it would send each packet back to the relay,
// which turns a few packets into hundreds of thousands a second.
func loopError(what string, err error) *callError {
	return &callError{Code: 488, Phrase: "Not Acceptable Here", Reason: "SDP " + what + " points at the switch's own media ports", Err: err}
}

// signalingSource is the IP of a SIP message's source (host:port), which
// may latch the party's media like its SDP's host (a phone behind NAT);
// the zero Addr when it cannot be read.
func signalingSource(hostport string) netip.Addr {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return ip.Unmap()
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
	if c.relay == nil || c.sw.dataDir == "" || !c.recorded() {
		return
	}
	c.record(ready)
}

// record starts the call's recording now (idempotent), then the recording
// announcement, which starts once ready is closed (nil: at once); on
// demand it runs in the call's goroutine through the inbox.
func (c *call) record(ready <-chan struct{}) bool {
	if c.recorder != nil {
		return true
	}
	if c.relay == nil || c.sw.dataDir == "" {
		return false
	}
	rel := filepath.ToSlash(filepath.Join("recordings", time.Now().UTC().Format(time.DateOnly), c.a.CDR.LegID+".wav"))
	path := filepath.Join(c.sw.dataDir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		c.log.Error("recording directory", "error", err)
		return false
	}
	rec, err := media.OpenRecorder(path)
	if err != nil {
		c.log.Error("start recording", "error", err)
		return false
	}
	c.recorder, c.recordPath = rec, rel
	c.relay.AddTap(rec)
	c.log.Info("recording", "path", rel)
	c.announceRecording(ready) // after the tap: the recording proves it
	return true
}

// recorded reports whether the config records the call. It reads the
// current directory, not the config the switch started with, so a reload
// applies to calls answered after it; a call already up keeps its state.
func (c *call) recorded() bool {
	dir := c.sw.directory()
	if dir.recordAll || (c.rt.Number != nil && c.rt.Number.Record) {
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
func (c *call) newRelay(first, second *media.Leg, ann *announcement) error {
	relay, err := media.NewRelay(first, second)
	if err != nil {
		return fmt.Errorf("new relay: %w", err)
	}
	c.relay = relay
	if c.recorder != nil {
		relay.AddTap(c.recorder)
	}
	if ann != nil {
		// Muted before it starts, so not one packet of the other party
		// reaches the new one ahead of the announcement.
		relay.Mute(true)
	}
	if err := relay.Start(); err != nil {
		return fmt.Errorf("start relay: %w", err)
	}
	relay.Answered()
	if ann != nil {
		c.playAnnouncement(relay, ann, nil)
	}
	return nil
}
