package calls

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/pion/sdp/v3"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/media"
)

// CallMedia is a call's anchored media: the switch gives each side its
// own port pair and relays between them (A's offer goes to B rewritten to
// B's ports, B's answer goes to A rewritten to A's ports), taps the relay
// with the call's recorder and plays the recording announcement on it.
// Only the goroutine of the call that holds it touches it.
type CallMedia struct {
	Offer       []byte                  // what the outgoing legs are offered
	ParsedOffer *sdp.SessionDescription // the caller's offer as already parsed, for AnchorOffer (nil: parse it there)
	offerDesc   *media.Description      // the caller's offer as parsed when its media was anchored
	Relay       *media.Relay            // the anchored media, when the switch anchors it

	Recorder       *media.Recorder
	RecordPath     string             // relative to the data directory
	announceCancel context.CancelFunc // stops the recording announcement
}

// AnchorOffer allocates both sides' media from pool and prepares the
// offer the outgoing leg carries, from the caller's SDP and the source of
// its signalling. Without a pool (anchoring off) or an offer (a
// late-offer INVITE), the caller's body passes through unchanged.
func (m *CallMedia) AnchorOffer(pool *media.Pool, ip string, callerSDP []byte, source string) error {
	m.Offer = callerSDP
	if pool == nil || len(m.Offer) == 0 {
		return nil
	}
	var desc *media.Parsed
	var err error
	if m.ParsedOffer != nil {
		desc, err = media.ParsedSession(m.ParsedOffer)
		m.ParsedOffer = nil // the rewrite changes it
	} else {
		desc, err = media.ParseForRewrite(m.Offer)
	}
	if err != nil {
		return &Refusal{Code: StatusNotAcceptableHere, Phrase: "Not Acceptable Here", Reason: "unusable SDP offer", Err: err}
	}
	remote := desc.Remote
	if err := pool.CheckRemote(remote); err != nil {
		return LoopError("offer", err)
	}
	a, err := pool.Allocate()
	if err != nil {
		return &Refusal{Code: StatusServiceUnavailable, Phrase: "Service Unavailable", Reason: "no media ports free", Err: err}
	}
	b, err := pool.Allocate()
	if err != nil {
		_ = a.Close()
		return &Refusal{Code: StatusServiceUnavailable, Phrase: "Service Unavailable", Reason: "no media ports free", Err: err}
	}
	a.SetSignalingSource(SignalingSource(source))
	a.SetRemote(remote)
	offer, err := desc.Rewrite(ip, b.Port())
	if err != nil {
		_, _ = a.Close(), b.Close()
		return &Refusal{Code: StatusNotAcceptableHere, Phrase: "Not Acceptable Here", Reason: "unusable SDP offer", Err: err}
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
	m.Relay, m.Offer, m.offerDesc = relay, offer, desc.Description
	return nil
}

// AnchorAnswer takes the callee's SDP (183 or 2xx) and the address the
// response came from, points the B side at them and returns what the
// caller (whose offer was callerSDP) gets.
func (m *CallMedia) AnchorAnswer(pool *media.Pool, ip string, callerSDP, sdpB []byte, from string) ([]byte, error) {
	if m.Relay == nil || len(sdpB) == 0 {
		return sdpB, nil
	}
	// Each body parsed once: the caller's offer when it was anchored.
	offer := m.offerDesc
	if offer == nil {
		var err error
		if offer, err = media.Parse(callerSDP); err != nil {
			return nil, &Refusal{Code: StatusNotAcceptableHere, Phrase: "Not Acceptable Here", Reason: "no common codec", Err: fmt.Errorf("offer: %w", err)}
		}
	}
	parsed, err := media.ParseForRewrite(sdpB)
	var desc *media.Description
	if err == nil {
		desc = parsed.Description
	}
	if _, err := media.Common(offer, desc, err); err != nil {
		return nil, &Refusal{Code: StatusNotAcceptableHere, Phrase: "Not Acceptable Here", Reason: "no common codec", Err: err}
	}
	remote := desc.Remote
	if err := pool.CheckRemote(remote); err != nil {
		return nil, LoopError("answer", err)
	}
	m.Relay.B().SetSignalingSource(SignalingSource(from))
	m.Relay.B().SetRemote(remote)
	answer, err := parsed.Rewrite(ip, m.Relay.A().Port())
	if err != nil {
		return nil, &Refusal{Code: StatusNotAcceptableHere, Phrase: "Not Acceptable Here", Reason: "unusable SDP answer", Err: err}
	}
	return answer, nil
}

// closeRelay closes the call's relay, if any, and returns its two media
// legs, whose counters then include the last packets in flight (nil, nil
// without a relay).
func (m *CallMedia) closeRelay(log *slog.Logger) (a, b *media.Leg) {
	if m.Relay == nil {
		return nil, nil
	}
	if err := m.Relay.Close(); err != nil && !errors.Is(err, media.ErrClosed) {
		log.Warn("close media", "error", err)
	}
	a, b = m.Relay.A(), m.Relay.B()
	m.Relay = nil
	return a, b
}

// closeRecording finishes the call's recording, if any, and returns what
// the legs' CDRs keep of it (nil without one). It does not need the
// relay: a recorded consultation call whose media an attended transfer
// took over still has its file to finish.
func (m *CallMedia) closeRecording(log *slog.Logger) *billing.Recording {
	if m.Recorder == nil {
		return nil
	}
	d, err := m.Recorder.Close()
	if err != nil {
		log.Error("close recording", "path", m.RecordPath, "error", err)
	}
	m.Recorder = nil
	return &billing.Recording{Path: m.RecordPath, Seconds: d.Round(time.Millisecond).Seconds()}
}

// CountMedia copies a media leg's counters into the leg's CDR.
func (l *CallLeg) CountMedia(s media.Stats) {
	l.CDR.Media = &billing.MediaStats{
		PacketsIn: s.RTPPacketsIn, BytesIn: s.RTPBytesIn, PacketsOut: s.RTPPacketsOut, BytesOut: s.RTPBytesOut,
		Dropped: s.Dropped(), RefusedPackets: s.Refused,
	}
}

// FollowOffer points the relay at where a leg's new offer (from the
// address from) wants its audio and holds or resumes the call's media
// timeout; onB says the leg is on the relay's B side.
func (m *CallMedia) FollowOffer(onB bool, offer []byte, from string) {
	r := m.Relay
	if r == nil {
		return
	}
	d, err := media.Parse(offer)
	if err != nil {
		return
	}
	ml := r.A()
	if onB {
		ml = r.B()
	}
	ml.SetSignalingSource(SignalingSource(from))
	ml.SetRemote(d.Remote)
	r.SetHold(d.Mode != media.SendRecv)
}

// CheckReoffer refuses a re-INVITE or UPDATE offer that points at the
// switch's own media ports (see LoopError); nothing without a pool.
func CheckReoffer(pool *media.Pool, offer []byte) error {
	if pool == nil {
		return nil
	}
	d, err := media.Parse(offer)
	if err != nil {
		return nil // Reanswer judges the body
	}
	if err := pool.CheckRemote(d.Remote); err != nil {
		return LoopError("re-offer", err)
	}
	return nil
}

// LoopError is the 488 for SDP whose audio points at the switch's own
// media ports: relaying it would send each packet back to the relay,
// which turns a few packets into hundreds of thousands a second.
func LoopError(what string, err error) *Refusal {
	return &Refusal{Code: StatusNotAcceptableHere, Phrase: "Not Acceptable Here", Reason: "SDP " + what + " points at the switch's own media ports", Err: err}
}

// SignalingSource is the IP of a signalling message's source
// (host:port), which may latch the party's media like its SDP's host (a
// phone behind NAT); the zero Addr when it cannot be read.
func SignalingSource(hostport string) netip.Addr {
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

// startRecorder taps the relay with a stereo WAV recorder (caller left,
// callee right) under dataDir, named after the caller's leg; false when
// there is no relay, no data directory or the file cannot be made. The
// caller plays the recording announcement after it: the recording proves
// it.
func (m *CallMedia) startRecorder(dataDir, legID string, log *slog.Logger) bool {
	if m.Relay == nil || dataDir == "" {
		return false
	}
	rel := filepath.ToSlash(filepath.Join("recordings", time.Now().UTC().Format(time.DateOnly), legID+".wav"))
	path := filepath.Join(dataDir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		log.Error("recording directory", "error", err)
		return false
	}
	rec, err := media.OpenRecorder(path)
	if err != nil {
		log.Error("start recording", "error", err)
		return false
	}
	m.Recorder, m.RecordPath = rec, rel
	m.Relay.AddTap(rec)
	log.Info("recording", "path", rel)
	return true
}

// NewRelay bridges two media legs keeping the caller's side first,
// carries the call's recording over and plays ann (if not nil) on it.
func (m *CallMedia) NewRelay(ctx context.Context, log *slog.Logger, first, second *media.Leg, ann *Announcement) error {
	relay, err := media.NewRelay(first, second)
	if err != nil {
		return fmt.Errorf("new relay: %w", err)
	}
	m.Relay = relay
	if m.Recorder != nil {
		relay.AddTap(m.Recorder)
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
		m.playAnnouncement(ctx, log, relay, ann, nil)
	}
	return nil
}
