package calls

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
	orgdir "github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/media"
)

// Host is what a Call asks of the switch it runs in; the call reaches the
// switch through nothing else, and keeps no reference to it besides its
// Host. Package sip implements it over its Switch; the loop's tests
// implement it with fakes. Each method is here because the loop needs
// something only the switch has:
type Host interface {
	// HopRinger rings the hops of calls: SIP INVITEs, forked to every
	// contact, or a test's fake.
	HopRinger() HopRinger
	// CallDirectory is the directory of the config applied now: a
	// forward's or a transfer's target is routed in it, and whether a
	// call is recorded is read in it when the recording would start.
	CallDirectory() *Directory
	// ForwardingOf is a user's forwarding rules: saved through the API,
	// else the config's.
	ForwardingOf(u *orgdir.User) config.Forwarding
	// Registered reports whether a user has a phone to ring: the
	// forwarding rule for an unregistered user applies without ringing.
	Registered(extension string) bool

	// CreditMeter grants and renews the legs' credit; nil: calls are
	// not metered.
	CreditMeter() Meter
	// ClaimUserCall counts a call against the calling user's limit of
	// concurrent calls, which spans every call of the switch; ok is
	// false when the user has reached it.
	ClaimUserCall(u *orgdir.User) (release func(), ok bool)

	// MediaPool and MediaAddr are the switch's media ports and the IP
	// its SDP announces: the call anchors its media in them (nil pool:
	// media goes end to end).
	MediaPool() *media.Pool
	MediaAddr() string
	// RecordingsDir is where recordings go; "": nothing is recorded.
	RecordingsDir() string
	// RecordingAnnouncement is the prompt a recorded call plays (nil:
	// none); a reload changes it.
	RecordingAnnouncement() []int16
	// VoicemailBox is the mailboxes; nil: no call goes to voicemail.
	VoicemailBox() Voicemail
	// AgentJoiner is the dialer's hook an agent's *55 call is handed to
	// once answered (nil: none). The switch holds it because its routing
	// needs it too: *55 is an agent joining only while it is set.
	AgentJoiner() AgentJoin

	// LegStarted and LegEnded hand a leg's CDR to the CDR writer (and
	// through it the meter): when the leg is placed, and once it ended.
	LegStarted(cdr *billing.CDR)
	LegEnded(cdr *billing.CDR) error
	// CountCall, CountLeg, CountNoAck and CountMedia are the metrics: a
	// call's outcome by status class, a leg's disposition, a caller that
	// never acknowledged the answer, and a media leg's packet counters.
	CountCall(class string)
	CountLeg(d billing.Disposition)
	CountNoAck()
	CountMedia(d billing.Direction, s media.Stats)

	// StoreDialog and ForgetDialog make a leg findable by its dialog
	// while it lasts: in-dialog requests (BYE, re-INVITE, REFER, INFO)
	// find their leg, and its Owner, there. LegByDialog finds the leg an
	// attended transfer's Replaces names.
	StoreDialog(l *CallLeg)
	ForgetDialog(l *CallLeg)
	LegByDialog(r *Replaces) *CallLeg
	// StoreCall and ForgetCall list an answered call by its id, for the
	// API (calls in progress, recording on demand).
	StoreCall(c *Call)
	ForgetCall(id string)

	// RunContext ends when the switch shuts down: every call hangs up.
	// CallStarted and CallDone count work Shutdown waits for (a
	// transfer's ringing).
	RunContext() context.Context
	CallStarted()
	CallDone()
	// AdmitCall admits a leg the engine places: it takes one of the
	// places admission control gives calls being set up, as an INVITE
	// from a phone or a trunk does, and counts the leg among the calls
	// Shutdown waits for and hangs up. It refuses with ErrStopping while
	// the switch shuts down and ErrOverloaded when every place is taken.
	// setupDone frees the place (the callee has the INVITE, or the leg
	// failed; more calls do nothing); done counts the leg out.
	AdmitCall() (done, setupDone func(), err error)
	// AckTimeout is how long the switch's 2xx may go unacknowledged;
	// ByeTimeout how long a BYE waits for its answer (shorter while
	// the switch shuts down).
	AckTimeout() time.Duration
	ByeTimeout() time.Duration
}
