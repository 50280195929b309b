package sip

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/media"
)

// VoicemailMessage is one message left in a user's mailbox.
type VoicemailMessage struct {
	ID      string    `json:"id"`
	User    string    `json:"user"`
	From    string    `json:"from"`
	LegID   string    `json:"leg_id"`
	Time    time.Time `json:"time"`
	Seconds float64   `json:"seconds"`
	Path    string    `json:"path"` // relative to the data directory
	Heard   bool      `json:"heard"`
}

// VoicemailStore keeps the mailboxes' index (the audio is WAV files).
type VoicemailStore interface {
	AddMessage(m VoicemailMessage) error
	Messages(user string) ([]VoicemailMessage, error)
	DeleteMessage(user, id string) error
}

// voicemailLimits are sip.voicemail_max_length and sip.voicemail_silence
// of the config applied now (start or the last reload). A config that did not come through config.Parse (one built in code)
// leaves them zero, which Record would take as no limit at all: such a
// switch gets the defaults instead.
func (sw *Switch) voicemailLimits() (maxLength, silence time.Duration) {
	set := sw.directory().settings
	maxLength, silence = set.voicemailMaxLength, set.voicemailSilence
	if maxLength <= 0 {
		maxLength = config.DefaultVoicemailMaxLength
	}
	if silence <= 0 {
		silence = config.DefaultVoicemailSilence
	}
	return maxLength, silence
}

// depositVoicemail answers the caller for user u's mailbox: it plays the
// greeting and records until hang-up, # (an RFC 4733 event or SIP INFO),
// silence or the maximum length (sip.voicemail_silence and
// sip.voicemail_max_length).
// The caller's leg becomes an answered leg with reason voicemail, charged
// like any answered leg of its class.
func (c *call) depositVoicemail(u *user) {
	sw := c.sw
	ep, ctx, ok := c.answerEndpoint()
	if !ok {
		return
	}
	defer c.endEndpoint(ep)
	msg := VoicemailMessage{ID: strconv.FormatInt(time.Now().UnixNano(), 36), User: u.Extension, From: c.a.cdr.From, LegID: c.a.cdr.LegID, Time: time.Now().UTC()}
	msg.Path = filepath.ToSlash(filepath.Join("voicemail", u.Extension, msg.ID+".wav"))
	path := filepath.Join(sw.dataDir, filepath.FromSlash(msg.Path))
	recorded := time.Duration(0)
	if err := ep.Play(ctx, sw.greeting(u)); err == nil && ctx.Err() == nil {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err == nil {
			if rec, err := media.OpenRecorder(path, media.RecordMono(media.FromA)); err == nil {
				maxLength, silence := sw.voicemailLimits()
				reason, _, _ := ep.Record(ctx, rec, media.RecordOptions{MaxLength: maxLength, Silence: silence, StopKeys: "#"})
				recorded, _ = rec.Close()
				c.log.Info("voicemail recorded", "user", u.Extension, "seconds", recorded.Seconds(), "stopped_by", reason)
			}
		}
	}
	if recorded >= 500*time.Millisecond {
		msg.Seconds = recorded.Round(time.Millisecond).Seconds()
		if err := sw.voicemail.AddMessage(msg); err != nil {
			c.log.Error("store voicemail", "error", err)
		} else {
			sw.notifyMailbox(u.Extension)
		}
	} else {
		_ = os.Remove(path) // a hang-up during the greeting leaves no message
	}
	// #, silence or the maximum length end the call too (the message is
	// stored by then), and the caller's media port goes back to the pool
	// whoever hung up.
	c.hangUpEndpoint(ep)
}

// answerEndpoint answers the caller with the switch itself as the far
// end: the caller's media leg leaves the relay for an Endpoint that plays
// and records. ctx ends when the caller hangs up. When ok is false the
// call has been answered with a failure and every CDR written.
func (c *call) answerEndpoint() (ep *media.Endpoint, ctx context.Context, ok bool) {
	sw := c.sw
	if sw.media == nil || c.relay == nil || sw.voicemail == nil {
		c.failRinging(nil, nil, errNoVoicemail)
		return nil, nil, false
	}
	a, b, err := c.relay.Detach()
	c.relay = nil
	if err != nil {
		c.failRinging(nil, nil, fmt.Errorf("voicemail media: %w", err))
		return nil, nil, false
	}
	_ = b.Close()
	answer, sel, err := media.Answer(c.req.Body(), sw.mediaIP, a.Port())
	if err != nil {
		_ = a.Close()
		c.refuseDialog(&callError{Code: 488, Phrase: "Not Acceptable Here", Reason: "no G.711 codec for voicemail", Err: err})
		return nil, nil, false
	}
	var opts []media.EndpointOption
	if sel.TelephoneEvent != nil {
		opts = append(opts, media.WithTelephoneEvent(sel.TelephoneEvent.PayloadType))
	}
	ep, err = media.NewEndpoint(a, sel.Codec.PayloadType, opts...)
	if err != nil {
		_ = a.Close()
		c.failRinging(nil, nil, fmt.Errorf("voicemail endpoint: %w", err))
		return nil, nil, false
	}
	// Before the 200 OK: a phone may send an INFO key as soon as it has it.
	c.a.endpoint.Store(ep)
	c.a.cdr.Reason = billing.ReasonVoicemail
	c.a.answer(time.Now())
	c.setup.release()
	acked := make(chan struct{})
	c.sendAnswer(answer, acked)
	ackedOK := c.awaitAck(acked)
	if err := ep.Start(); err != nil {
		c.log.Warn("voicemail start", "error", err)
	}
	sw.metrics.Calls.WithLabelValues("2xx").Inc()
	ctx, cancel := context.WithCancel(sw.ctx)
	c.endpointCancel = cancel
	if !ackedOK {
		cancel() // nothing to play to a caller that never took the answer: hang up
	}
	// The caller's leg is charged like any answered leg: its credit is
	// renewed while the switch answers it, and ends it when refused.
	credit := newCreditClock(sw.meter, c.log, *c.a.cdr.AnsweredAt, c.settings().maxCallDuration)
	c.endpointCut = make(chan time.Time, 1)
	go func() {
		defer close(c.endpointCut)
		defer credit.stop()
		for {
			select {
			case <-c.a.done():
				cancel()
				return
			case <-ctx.Done():
				return
			case <-credit.C():
				if at, end := credit.check([]*leg{c.a}); end {
					c.endpointCut <- at
					cancel()
					return
				}
			}
		}
	}()
	return ep, ctx, true
}

// hangUpEndpoint ends the caller's side of a call the switch answered.
func (c *call) hangUpEndpoint(ep *media.Endpoint) {
	c.endpointEndedAt = time.Now() // not billed: the wait for the BYE's answer
	if !isDone(c.a.done()) {
		byeCtx, cancel := context.WithTimeout(context.Background(), c.sw.byeTimeout())
		_ = c.a.bye(byeCtx)
		cancel()
	}
	_ = ep.Close()
}

// endEndpoint writes the CDR of a call the switch answered itself.
func (c *call) endEndpoint(ep *media.Endpoint) {
	c.endpointCancel()
	c.a.endpoint.Store(nil)
	c.countMedia(c.a, ep.Leg())
	// The credit watch ends with the context: once it is over, the leg
	// is this goroutine's alone.
	if at, cut := <-c.endpointCut; cut {
		c.a.endAt(at, c.cutoffDisposition(at.Sub(*c.a.cdr.AnsweredAt)), 200)
	} else {
		if c.endpointEndedAt.IsZero() {
			c.endpointEndedAt = time.Now()
		}
		c.a.endAt(c.endpointEndedAt, billing.Answered, 200)
	}
	c.finish(c.a)
}

// listenMailbox plays a user's messages to the user's own phone: first
// what there is ("you have two new messages and one saved message"), then
// the new messages, then the saved ones, each group oldest first so a
// conversation is heard in the order it happened. During or after a
// message, 7 deletes it, 9 keeps it, # skips to the next; a key acts on
// the message being played, never on one before or after it (a key during
// the summary only cuts the summary short). RFC 4733 events and SIP INFO
// both work: INFO keys reach ep.Digits (handleInfo).
func (c *call) listenMailbox(u *user) {
	sw := c.sw
	ep, ctx, ok := c.answerEndpoint()
	if !ok {
		return
	}
	defer c.endEndpoint(ep)
	msgs, _ := sw.voicemail.Messages(u.Extension)
	msgs = mailboxOrder(msgs)
	beep, gap := media.GenerateBeep(), media.GenerateSilence(300*time.Millisecond)
	c.playUntilKey(ctx, ep, append(mailboxSummary(msgs), gap...), 0)
	for _, m := range msgs {
		if ctx.Err() != nil {
			break
		}
		audio, err := media.LoadPromptFile(filepath.Join(sw.dataDir, filepath.FromSlash(m.Path)))
		if err != nil {
			c.log.Warn("voicemail message", "id", m.ID, "error", err)
			continue
		}
		key := c.playUntilKey(ctx, ep, append(append(beep, gap...), audio...), 5*time.Second)
		switch key {
		case '7':
			if err := sw.deleteMessage(u.Extension, m.ID); err != nil {
				c.log.Warn("delete voicemail", "error", err)
			}
			c.log.Info("voicemail deleted by phone", "user", u.Extension, "id", m.ID)
			c.playUntilKey(ctx, ep, spoken(c.log, "deleted"), 0)
		default:
			if !m.Heard {
				m.Heard = true
				_ = sw.voicemail.AddMessage(m)
				sw.notifyMailbox(u.Extension)
			}
			if key == '9' {
				c.playUntilKey(ctx, ep, spoken(c.log, "saved"), 0)
			}
		}
	}
	_ = ep.Play(ctx, append(append(append(spoken(c.log, "end"), gap...), beep...), append(gap, beep...)...))
	c.hangUpEndpoint(ep)
}

// mailboxOrder puts new messages before saved (heard) ones, each group
// oldest first.
func mailboxOrder(msgs []VoicemailMessage) []VoicemailMessage {
	out := slices.Clone(msgs)
	slices.SortStableFunc(out, func(a, b VoicemailMessage) int {
		if a.Heard != b.Heard {
			if !a.Heard {
				return -1
			}
			return 1
		}
		return a.Time.Compare(b.Time)
	})
	return out
}

// mailboxSummary says what the mailbox holds: "you have no new messages",
// "you have one new message and two saved messages".
func mailboxSummary(msgs []VoicemailMessage) []int16 {
	fresh, saved := 0, 0
	for _, m := range msgs {
		if m.Heard {
			saved++
		} else {
			fresh++
		}
	}
	words := []string{"you-have"}
	count := func(n int, one, many string) []string {
		switch {
		case n == 0:
			return []string{"no", many}
		case n == 1:
			return []string{media.CountWord(n), one}
		default:
			return []string{media.CountWord(n), many}
		}
	}
	words = append(words, count(fresh, "new-message", "new-messages")...)
	if saved > 0 {
		words = append(words, "and")
		words = append(words, count(saved, "saved-message", "saved-messages")...)
	}
	s, err := media.Say(words...)
	if err != nil { // the phrases are embedded: only a broken build gets here
		return media.GenerateBeep()
	}
	return s
}

// spoken is a phrase of the media package's recordings, or a beep if it
// has none by that name.
func spoken(log *slog.Logger, phrase string) []int16 {
	s, err := media.Say(phrase)
	if err != nil {
		log.Warn("voicemail prompt", "error", err)
		return media.GenerateBeep()
	}
	return s
}

// playUntilKey plays samples and then waits up to wait for a key; a key
// pressed while playing stops the playing. It returns the key, or 0.
func (c *call) playUntilKey(ctx context.Context, ep *media.Endpoint, samples []int16, wait time.Duration) rune {
	playCtx, stop := context.WithCancel(ctx)
	defer stop()
	played := make(chan struct{})
	go func() { _ = ep.Play(playCtx, samples); close(played) }()
	// A key stops the prompt; wait for the player to let go before the
	// next Play. After the prompt, wait up to wait for a key.
	keyed := func(k rune) rune {
		stop()
		<-played
		return k
	}
	var timeout <-chan time.Time
	playing := played
	for {
		select {
		case d, ok := <-ep.Digits():
			if !ok {
				return keyed(0)
			}
			return keyed(d.Key)
		case <-playing:
			playing = nil
			timeout = time.After(wait)
		case <-timeout:
			return 0
		case <-ctx.Done():
			return keyed(0)
		}
	}
}

// greeting is the user's recorded greeting, else the default prompt.
func (sw *Switch) greeting(u *user) []int16 {
	if u.Greeting != "" {
		if g, err := media.LoadPromptFile(u.Greeting); err == nil {
			return g
		} else {
			sw.log.Warn("voicemail greeting", "user", u.Extension, "error", err)
		}
	}
	return sw.defaultGreeting
}

// VoicemailMessages are the messages in a user's mailbox.
func (sw *Switch) VoicemailMessages(user string) ([]VoicemailMessage, error) {
	if sw.voicemail == nil {
		return nil, withKind(ErrNotFound, fmt.Errorf("voicemail is not enabled"))
	}
	u := sw.directory().User(user)
	if u == nil {
		return nil, withKind(ErrNotFound, fmt.Errorf("no user %q", user))
	}
	msgs, err := sw.voicemail.Messages(u.Extension)
	if err != nil {
		return nil, err
	}
	if msgs == nil {
		msgs = []VoicemailMessage{}
	}
	return msgs, nil
}

// VoicemailAudio is the path of a voicemail message's WAV file.
func (sw *Switch) VoicemailAudio(user, id string) (string, error) {
	u := sw.directory().User(user)
	if u == nil || sw.voicemail == nil {
		return "", withKind(ErrNotFound, fmt.Errorf("no mailbox %q", user))
	}
	msgs, err := sw.voicemail.Messages(u.Extension)
	if err != nil {
		return "", err
	}
	for _, m := range msgs {
		if m.ID == id {
			return filepath.Join(sw.dataDir, filepath.FromSlash(m.Path)), nil
		}
	}
	return "", withKind(ErrNotFound, fmt.Errorf("no message %q", id))
}

// DeleteVoicemail deletes a voicemail message and its audio.
func (sw *Switch) DeleteVoicemail(user, id string) error {
	u := sw.directory().User(user)
	if u == nil || sw.voicemail == nil {
		return withKind(ErrNotFound, fmt.Errorf("no mailbox %q", user))
	}
	if err := sw.deleteMessage(u.Extension, id); err != nil {
		return withKind(ErrNotFound, err)
	}
	return nil
}

// deleteMessage removes a message and its audio, and updates the phones'
// message-waiting lamps.
func (sw *Switch) deleteMessage(ext, id string) error {
	msgs, err := sw.voicemail.Messages(ext)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.ID == id {
			if err := sw.voicemail.DeleteMessage(ext, id); err != nil {
				return err
			}
			_ = os.Remove(filepath.Join(sw.dataDir, filepath.FromSlash(m.Path)))
			sw.notifyMailbox(ext)
			return nil
		}
	}
	return fmt.Errorf("no message %q for %s", id, ext)
}
