package voicemail

import (
	"log/slog"

	"github.com/dialtone/dialtone/media"
)

// summaryWords say what a mailbox holds, as media's phrase names: "you
// have no new messages", "you have one new message and two saved
// messages". Saved messages are named only when there are some.
func summaryWords(msgs []Message) []string {
	fresh, saved := count(msgs)
	words := []string{"you-have"}
	words = append(words, counted(fresh, "new-message", "new-messages")...)
	if saved > 0 {
		words = append(words, "and")
		words = append(words, counted(saved, "saved-message", "saved-messages")...)
	}
	return words
}

// counted is "no messages", "one message", "two messages", ... "many
// messages" (media.CountWord).
func counted(n int, one, many string) []string {
	switch {
	case n == 0:
		return []string{"no", many}
	case n == 1:
		return []string{media.CountWord(n), one}
	default:
		return []string{media.CountWord(n), many}
	}
}

// summary is the spoken summaryWords.
func summary(log *slog.Logger, msgs []Message) []int16 {
	s, err := media.Say(summaryWords(msgs)...)
	if err != nil { // the phrases are embedded: only a broken build gets here
		log.Warn("voicemail summary", "error", err)
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
