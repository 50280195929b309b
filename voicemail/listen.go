package voicemail

import (
	"context"
	"log/slog"
	"time"

	"github.com/dialtone/dialtone/media"
)

// The mailbox menu's keys, pressed while a message plays or in the wait
// after it; any other key (# by habit) goes on to the next message.
const (
	keyDelete = '7'
	keySave   = '9'
)

// Listen is a user calling their own mailbox.
type Listen struct {
	Mailbox string       // the user's extension
	Log     *slog.Logger // the call's; nil: the mailboxes'
}

// Listen plays a mailbox to its user on ep: first what there is ("you
// have two new messages and one saved message"), then the new messages,
// then the saved ones, each group oldest first. During a message, or
// in the few seconds after it, 7 deletes it, 9 keeps it ("saved"), any
// other key skips to the next; a key acts on the message being played,
// never on one before or after it (a key during the summary only cuts the
// summary short). A message played is marked heard unless deleted. It
// ends with "end" and two beeps; the caller hangs up afterwards.
func (b *Mailboxes) Listen(ctx context.Context, ep Endpoint, l Listen) {
	log := l.Log
	if log == nil {
		log = b.log
	}
	msgs, _ := b.store.Messages(l.Mailbox)
	msgs = listenOrder(msgs)
	beep, gap := media.GenerateBeep(), media.GenerateSilence(300*time.Millisecond)
	b.playUntilKey(ctx, ep, append(summary(log, msgs), gap...), 0)
	for _, m := range msgs {
		if ctx.Err() != nil {
			break
		}
		audio, err := media.LoadPromptFile(b.audioPath(m))
		if err != nil {
			log.Warn("voicemail message", "id", m.ID, "error", err)
			continue
		}
		key := b.playUntilKey(ctx, ep, append(append(beep, gap...), audio...), b.keyWait)
		switch key {
		case keyDelete:
			if err := b.delete(l.Mailbox, m.ID); err != nil {
				log.Warn("delete voicemail", "error", err)
			}
			log.Info("voicemail deleted by phone", "user", l.Mailbox, "id", m.ID)
			b.playUntilKey(ctx, ep, spoken(log, "deleted"), 0)
		default:
			if !m.Heard {
				m.Heard = true
				if err := b.save(m); err != nil {
					log.Warn("mark voicemail heard", "error", err)
				}
			}
			if key == keySave {
				b.playUntilKey(ctx, ep, spoken(log, "saved"), 0)
			}
		}
	}
	_ = ep.Play(ctx, append(append(append(spoken(log, "end"), gap...), beep...), append(gap, beep...)...))
}

// playUntilKey plays samples and then waits up to wait for a key; a key
// pressed while playing stops the playing. It returns the key, or 0.
func (b *Mailboxes) playUntilKey(ctx context.Context, ep Endpoint, samples []int16, wait time.Duration) rune {
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
			timeout = b.after(wait)
		case <-timeout:
			return 0
		case <-ctx.Done():
			return keyed(0)
		}
	}
}
