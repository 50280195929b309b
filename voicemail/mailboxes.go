package voicemail

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/media"
)

// Directory says who a user named in the API is (an extension or a name);
// package sip's Switch is one, following config reloads.
type Directory interface {
	User(name string) *directory.User
}

// Notifier is told when a mailbox's messages change (one left, heard or
// deleted), so the phones' message-waiting lamps follow (package sip's
// MWI NOTIFY).
type Notifier interface {
	MailboxChanged(mailbox string)
}

// Options are the mailboxes' collaborators.
type Options struct {
	Store   Store
	DataDir string    // where the messages' WAV files go, under voicemail/
	Users   Directory // resolves the API's user names; nil: extensions only
	Notify  Notifier  // nil: nobody is told
	Logger  *slog.Logger
}

// Mailboxes are the users' mailboxes: the index in the Store, the audio
// in the data directory, and the two dialogues a caller has with them
// (Deposit, Listen).
type Mailboxes struct {
	store   Store
	dataDir string
	users   Directory
	notify  Notifier
	log     *slog.Logger

	defaultGreeting []int16
	// keyWait is how long the mailbox menu waits for a key after a
	// message has played; after is its clock (time.After; tests press
	// keys there instead of waiting).
	keyWait time.Duration
	after   func(time.Duration) <-chan time.Time
}

// New returns the mailboxes kept in o.Store.
func New(o Options) *Mailboxes {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Mailboxes{store: o.Store, dataDir: o.DataDir, users: o.Users, notify: o.Notify, log: o.Logger,
		defaultGreeting: media.DefaultGreeting(), keyWait: 5 * time.Second, after: time.After}
}

// Messages are the messages in a user's mailbox (ErrNoMailbox for a user
// the directory does not know), never nil.
func (b *Mailboxes) Messages(user string) ([]Message, error) {
	mailbox, ok := b.mailboxOf(user)
	if !ok {
		return nil, &lookupError{ErrNoMailbox, fmt.Sprintf("no user %q", user)}
	}
	msgs, err := b.store.Messages(mailbox)
	if err != nil {
		return nil, fmt.Errorf("voicemail of %s: %w", mailbox, err)
	}
	if msgs == nil {
		msgs = []Message{}
	}
	return msgs, nil
}

// Audio is the path of a message's WAV file.
func (b *Mailboxes) Audio(user, id string) (string, error) {
	mailbox, ok := b.mailboxOf(user)
	if !ok {
		return "", &lookupError{ErrNoMailbox, fmt.Sprintf("no mailbox %q", user)}
	}
	m, err := b.find(mailbox, id)
	if err != nil {
		return "", err
	}
	return b.audioPath(m), nil
}

// Delete deletes a message and its audio.
func (b *Mailboxes) Delete(user, id string) error {
	mailbox, ok := b.mailboxOf(user)
	if !ok {
		return &lookupError{ErrNoMailbox, fmt.Sprintf("no mailbox %q", user)}
	}
	return b.delete(mailbox, id)
}

// Counts is how many new and saved messages a mailbox holds (the
// message-waiting lamp).
func (b *Mailboxes) Counts(mailbox string) (fresh, saved int, err error) {
	msgs, err := b.store.Messages(mailbox)
	if err != nil {
		return 0, 0, fmt.Errorf("voicemail of %s: %w", mailbox, err)
	}
	fresh, saved = count(msgs)
	return fresh, saved, nil
}

// mailboxOf is the mailbox of a user named by extension or name.
func (b *Mailboxes) mailboxOf(user string) (string, bool) {
	if b.users == nil {
		return user, user != ""
	}
	u := b.users.User(user)
	if u == nil {
		return "", false
	}
	return u.Extension, true
}

// find is a mailbox's message by id.
func (b *Mailboxes) find(mailbox, id string) (Message, error) {
	msgs, err := b.store.Messages(mailbox)
	if err != nil {
		return Message{}, fmt.Errorf("voicemail of %s: %w", mailbox, err)
	}
	for _, m := range msgs {
		if m.ID == id {
			return m, nil
		}
	}
	return Message{}, &lookupError{ErrNoMessage, fmt.Sprintf("no message %q", id)}
}

// delete removes a message and its audio, and tells the notifier.
func (b *Mailboxes) delete(mailbox, id string) error {
	m, err := b.find(mailbox, id)
	if err != nil {
		if errors.Is(err, ErrNoMessage) {
			return &lookupError{ErrNoMessage, fmt.Sprintf("no message %q for %s", id, mailbox)}
		}
		return err
	}
	if err := b.store.DeleteMessage(mailbox, id); err != nil {
		return fmt.Errorf("delete voicemail %s of %s: %w", id, mailbox, err)
	}
	_ = os.Remove(b.audioPath(m))
	b.changed(mailbox)
	return nil
}

// save writes a new or changed message and tells the notifier.
func (b *Mailboxes) save(m Message) error {
	if err := b.store.AddMessage(m); err != nil {
		return fmt.Errorf("store voicemail %s of %s: %w", m.ID, m.User, err)
	}
	b.changed(m.User)
	return nil
}

func (b *Mailboxes) changed(mailbox string) {
	if b.notify != nil {
		b.notify.MailboxChanged(mailbox)
	}
}

func (b *Mailboxes) audioPath(m Message) string {
	return filepath.Join(b.dataDir, filepath.FromSlash(m.Path))
}
