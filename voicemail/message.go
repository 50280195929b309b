package voicemail

import (
	"slices"
	"time"
)

// Message is one message left in a mailbox. Its audio is a mono WAV file
// under the data directory; the index entry is what the Store keeps and
// what the API lists.
type Message struct {
	ID      string    `json:"id"`
	User    string    `json:"user"` // the mailbox: its user's extension
	From    string    `json:"from"`
	LegID   string    `json:"leg_id"` // the caller's leg, as its CDR has it
	Time    time.Time `json:"time"`
	Seconds float64   `json:"seconds"`
	Path    string    `json:"path"` // relative to the data directory
	Heard   bool      `json:"heard"`
}

// Store keeps the mailboxes' index (bbolt in the binary). AddMessage
// writes a message whole, so it also marks one heard.
type Store interface {
	AddMessage(m Message) error
	Messages(mailbox string) ([]Message, error)
	DeleteMessage(mailbox, id string) error
}

// listenOrder puts new messages before saved (heard) ones, each group
// oldest first, so a conversation is heard in the order it happened. It
// does not change msgs.
func listenOrder(msgs []Message) []Message {
	out := slices.Clone(msgs)
	slices.SortStableFunc(out, func(a, b Message) int {
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

// count is how many of msgs are new (not heard yet) and saved (heard).
func count(msgs []Message) (fresh, saved int) {
	for _, m := range msgs {
		if m.Heard {
			saved++
		} else {
			fresh++
		}
	}
	return fresh, saved
}
