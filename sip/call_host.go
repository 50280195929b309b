package sip

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/calls"
	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/media"
)

// callHost is what the call loop (call.go, transfer.go, voicemail.go,
// hangup.go, forward.go, anchor.go, announce.go, agent_join.go) asks of
// the switch; the loop reaches the switch through nothing else, and
// *Switch implements it. It is the seam along which the loop moves to
// package calls: the network that rings a hop (a calls.HopRinger), the
// directory with the settings copied at call start (a calls.Directory),
// whether a user is registered, the meter and the per-user call limit,
// the media pool and IP, the recordings directory and announcement,
// voicemail, the call engine's agent legs (*55), the CDR writer, the
// metrics, the dialog and call registries, REFER's NOTIFYs, and shutdown
// with the ACK and BYE timeouts. Only the leg and the call (which move
// with the loop) in its methods are still package sip's; a call keeps
// no *Switch.
type callHost interface {
	hopRinger() network
	callDirectory() *calls.Directory
	forwardingOf(u *user) config.Forwarding
	registered(extension string) bool

	creditMeter() Meter
	claimUserCall(u *user) (release func(), ok bool)

	mediaPool() *media.Pool
	mediaAddr() string
	recordingsDir() string
	recordingAnnouncement() []int16
	voicemailBox() Voicemail
	agentLeg(c *call, m *media.Leg, pt, te uint8) (run func(), hangUp func(reason string))

	legStarted(cdr *billing.CDR)
	legEnded(cdr *billing.CDR) error
	countCall(class string)
	countLeg(d billing.Disposition)
	countNoAck()
	countMedia(d billing.Direction, s media.Stats)

	storeDialog(l *leg)
	forgetDialog(l *leg)
	legByDialog(r *replaces) *leg
	storeCall(c *call)
	forgetCall(id string)
	notifyRefer(x *leg, code int, reason string)

	// runContext ends when the switch shuts down; callStarted and
	// callDone count a call Shutdown waits for.
	runContext() context.Context
	callStarted()
	callDone()
	ackTimeout() time.Duration
	byeTimeout() time.Duration
}

var _ callHost = (*Switch)(nil)

// hopRinger is the network that rings a call's hops: SIP INVITEs, forked
// (sipNetwork), unless a test gave the switch another.
func (sw *Switch) hopRinger() network {
	if sw.ringer != nil {
		return sw.ringer
	}
	return sipNetwork{sw}
}

// callDirectory is the directory a call asks, with record_all and the
// settings of the same config.
func (sw *Switch) callDirectory() *calls.Directory { return &sw.directory().Directory }

func (sw *Switch) registered(extension string) bool { return len(sw.reg.lookup(extension)) > 0 }
func (sw *Switch) creditMeter() Meter               { return sw.meter }

// claimUserCall counts a call against the user's concurrent-call limit;
// ok is false when the user has reached it.
func (sw *Switch) claimUserCall(u *user) (release func(), ok bool) {
	if u == nil || u.MaxCalls <= 0 {
		return func() {}, true
	}
	sw.userCallsMu.Lock()
	defer sw.userCallsMu.Unlock()
	if sw.userCalls[u.Extension] >= u.MaxCalls {
		return nil, false
	}
	sw.userCalls[u.Extension]++
	return func() {
		sw.userCallsMu.Lock()
		sw.userCalls[u.Extension]--
		sw.userCallsMu.Unlock()
	}, true
}

func (sw *Switch) mediaPool() *media.Pool                        { return sw.media }
func (sw *Switch) mediaAddr() string                             { return sw.mediaIP }
func (sw *Switch) recordingsDir() string                         { return sw.dataDir }
func (sw *Switch) voicemailBox() Voicemail                       { return sw.voicemail }
func (sw *Switch) legStarted(cdr *billing.CDR)                   { sw.cdrs.Started(cdr) }
func (sw *Switch) legEnded(cdr *billing.CDR) error               { return sw.cdrs.Ended(cdr) }
func (sw *Switch) countCall(class string)                        { sw.metrics.Calls.WithLabelValues(class).Inc() }
func (sw *Switch) countLeg(d billing.Disposition)                { sw.metrics.Legs.WithLabelValues(string(d)).Inc() }
func (sw *Switch) countNoAck()                                   { sw.metrics.NoAck.Inc() }
func (sw *Switch) countMedia(d billing.Direction, s media.Stats) { sw.metrics.countMedia(d, s) }
func (sw *Switch) storeCall(c *call)                             { sw.callsByID.Store(c.id, c) }
func (sw *Switch) forgetCall(id string)                          { sw.callsByID.Delete(id) }
func (sw *Switch) runContext() context.Context                   { return sw.ctx }
func (sw *Switch) callStarted()                                  { sw.calls.Add(1) }
func (sw *Switch) callDone()                                     { sw.calls.Done() }
