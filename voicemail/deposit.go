package voicemail

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/media"
)

// minMessage is the shortest recording kept: less is a caller who hung
// up at the beep.
const minMessage = 500 * time.Millisecond

// Deposit is a caller leaving a message.
type Deposit struct {
	Mailbox  string // the called user's extension
	Greeting string // the user's recorded greeting (a WAV path); "" or one that does not load: the generated one
	From     string // the caller, as the leg's CDR has it
	LegID    string // the caller's leg
	// MaxLength and Silence are sip.voicemail_max_length and
	// sip.voicemail_silence as the config says now; zero (a config built
	// in code) is the default, not "no limit".
	MaxLength, Silence time.Duration
	Log                *slog.Logger // the call's; nil: the mailboxes'
}

// limits are d's recording limits, the defaults where d has none.
func (d Deposit) limits() (maxLength, silence time.Duration) {
	maxLength, silence = d.MaxLength, d.Silence
	if maxLength <= 0 {
		maxLength = config.DefaultVoicemailMaxLength
	}
	if silence <= 0 {
		silence = config.DefaultVoicemailSilence
	}
	return maxLength, silence
}

// Deposit plays the mailbox's greeting to the caller on ep and records
// until the caller hangs up (ctx ends), presses #, is silent for
// d.Silence or has spoken for d.MaxLength. A recording of at least half a
// second is stored as a new message and the notifier told; a shorter one
// (a hang-up during the greeting) leaves nothing. It returns the message
// and whether it was stored. The caller hangs up afterwards.
func (b *Mailboxes) Deposit(ctx context.Context, ep Endpoint, d Deposit) (Message, bool) {
	log := d.Log
	if log == nil {
		log = b.log
	}
	now := time.Now()
	msg := Message{ID: strconv.FormatInt(now.UnixNano(), 36), User: d.Mailbox, From: d.From, LegID: d.LegID, Time: now.UTC()}
	msg.Path = filepath.ToSlash(filepath.Join("voicemail", d.Mailbox, msg.ID+".wav"))
	path := b.audioPath(msg)
	recorded := time.Duration(0)
	if err := ep.Play(ctx, b.greeting(log, d)); err == nil && ctx.Err() == nil {
		recorded = b.record(ctx, log, ep, path, d)
	}
	if recorded < minMessage {
		_ = os.Remove(path)
		return Message{}, false
	}
	msg.Seconds = recorded.Round(time.Millisecond).Seconds()
	if err := b.save(msg); err != nil {
		log.Error("store voicemail", "error", err)
		return Message{}, false
	}
	return msg, true
}

// record records the caller into path and returns how long the
// recording is (0 when it could not be made).
func (b *Mailboxes) record(ctx context.Context, log *slog.Logger, ep Endpoint, path string, d Deposit) time.Duration {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		log.Error("voicemail directory", "error", err)
		return 0
	}
	rec, err := media.OpenRecorder(path, media.RecordMono(media.FromA))
	if err != nil {
		log.Error("voicemail recording", "error", err)
		return 0
	}
	maxLength, silence := d.limits()
	reason, _, _ := ep.Record(ctx, rec, media.RecordOptions{MaxLength: maxLength, Silence: silence, StopKeys: "#"})
	recorded, _ := rec.Close()
	log.Info("voicemail recorded", "user", d.Mailbox, "seconds", recorded.Seconds(), "stopped_by", reason)
	return recorded
}

// greeting is the user's recorded greeting, else the generated one.
func (b *Mailboxes) greeting(log *slog.Logger, d Deposit) []int16 {
	if d.Greeting != "" {
		g, err := media.LoadPromptFile(d.Greeting)
		if err == nil {
			return g
		}
		log.Warn("voicemail greeting", "user", d.Mailbox, "error", err)
	}
	return b.defaultGreeting
}
