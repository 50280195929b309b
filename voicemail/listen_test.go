package voicemail

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// mailboxRig is a mailbox of four messages, two new and two saved, with
// their audio, and a fake phone to hear them.
type mailboxRig struct {
	dir   string
	store *memStore
	notes *changes
	boxes *Mailboxes
}

var at = func(min int) time.Time { return time.Date(2026, 1, 1, 9, min, 0, 0, time.UTC) }

func newMailboxRig(t *testing.T) *mailboxRig {
	t.Helper()
	r := &mailboxRig{dir: t.TempDir(), store: newMemStore(), notes: &changes{}}
	// Stored out of order: the menu sorts them.
	for i, m := range []Message{
		{ID: "saved-1", Time: at(0), Heard: true},
		{ID: "new-2", Time: at(30)},
		{ID: "saved-2", Time: at(20), Heard: true},
		{ID: "new-1", Time: at(10)},
	} {
		m.User, m.Path = "1002", "voicemail/1002/"+m.ID+".wav"
		writeMessage(t, r.dir, m, int16(100+i))
		_ = r.store.AddMessage(m)
	}
	r.boxes = New(Options{Store: r.store, DataDir: r.dir, Notify: r.notes, Logger: quiet})
	return r
}

// phone is a fake endpoint that names the mailbox's prompts.
func (r *mailboxRig) phone(t *testing.T, keys map[string]key) *fakeEndpoint {
	t.Helper()
	ids := map[int16]string{100: "saved-1", 101: "new-2", 102: "saved-2", 103: "new-1"}
	youHave, end, deleted, saved := say(t, "you-have"), say(t, "end"), say(t, "deleted"), say(t, "saved")
	ep := newFakeEndpoint(func(s []int16) string {
		switch {
		case len(s) >= len(youHave) && slices.Equal(s[:len(youHave)], youHave):
			return "summary"
		case len(s) >= len(end) && slices.Equal(s[:len(end)], end):
			return "end"
		case slices.Equal(s, deleted):
			return "deleted"
		case slices.Equal(s, saved):
			return "saved"
		case len(s) > 0 && ids[s[len(s)-1]] != "":
			return ids[s[len(s)-1]]
		}
		return fmt.Sprintf("unknown prompt of %d samples", len(s))
	}, keys)
	r.boxes.after = ep.after
	return ep
}

func (r *mailboxRig) state(t *testing.T) map[string]bool {
	t.Helper()
	msgs, _ := r.store.Messages("1002")
	heard := map[string]bool{}
	for _, m := range msgs {
		heard[m.ID] = m.Heard
	}
	return heard
}

// The menu says what there is, then plays the new messages and then the
// saved ones, each group oldest first; the messages heard are saved.
func TestListenPlaysNewThenSavedOldestFirst(t *testing.T) {
	r := newMailboxRig(t)
	ep := r.phone(t, nil)
	r.boxes.Listen(context.Background(), ep, Listen{Mailbox: "1002"})
	want := []string{"summary", "new-1", "new-2", "saved-1", "saved-2", "end"}
	if got := ep.heard(); !slices.Equal(got, want) {
		t.Fatalf("played %v, want %v", got, want)
	}
	if got, want := r.state(t), map[string]bool{"new-1": true, "new-2": true, "saved-1": true, "saved-2": true}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("mailbox %v, want %v", got, want)
	}
	if n := r.notes.of("1002"); n != 2 {
		t.Errorf("the notifier was told %d times, want twice (each new message heard)", n)
	}
}

// A key acts on the message being played, or on the one that has just
// played while the menu waits for a key, never on the next one: 7
// deletes it (message and audio, "deleted"), 9 keeps it ("saved"), #
// skips to the next and keeps it too. A key during the summary only
// cuts the summary short.
func TestListenKeysActOnTheMessagePlaying(t *testing.T) {
	tests := []struct {
		name   string
		keys   map[string]key
		played []string
		heard  map[string]bool // the mailbox afterwards: id -> saved
	}{
		{name: "7 during a message deletes it",
			keys:   map[string]key{"new-1": {key: '7'}},
			played: []string{"summary", "new-1", "deleted", "new-2", "saved-1", "saved-2", "end"},
			heard:  map[string]bool{"new-2": true, "saved-1": true, "saved-2": true}},
		{name: "7 after a message has played deletes that one, not the next",
			keys:   map[string]key{"new-2": {key: '7', after: true}},
			played: []string{"summary", "new-1", "new-2", "deleted", "saved-1", "saved-2", "end"},
			heard:  map[string]bool{"new-1": true, "saved-1": true, "saved-2": true}},
		{name: "7 on a saved message deletes it",
			keys:   map[string]key{"saved-2": {key: '7'}},
			played: []string{"summary", "new-1", "new-2", "saved-1", "saved-2", "deleted", "end"},
			heard:  map[string]bool{"new-1": true, "new-2": true, "saved-1": true}},
		{name: "9 saves the message and says so",
			keys:   map[string]key{"new-1": {key: '9'}, "new-2": {key: '9', after: true}},
			played: []string{"summary", "new-1", "saved", "new-2", "saved", "saved-1", "saved-2", "end"},
			heard:  map[string]bool{"new-1": true, "new-2": true, "saved-1": true, "saved-2": true}},
		{name: "# skips to the next message and keeps this one",
			keys:   map[string]key{"new-1": {key: '#'}},
			played: []string{"summary", "new-1", "new-2", "saved-1", "saved-2", "end"},
			heard:  map[string]bool{"new-1": true, "new-2": true, "saved-1": true, "saved-2": true}},
		{name: "a key during the summary only cuts it short",
			keys:   map[string]key{"summary": {key: '7'}},
			played: []string{"summary", "new-1", "new-2", "saved-1", "saved-2", "end"},
			heard:  map[string]bool{"new-1": true, "new-2": true, "saved-1": true, "saved-2": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newMailboxRig(t)
			ep := r.phone(t, tt.keys)
			r.boxes.Listen(context.Background(), ep, Listen{Mailbox: "1002"})
			if got := ep.heard(); !slices.Equal(got, tt.played) {
				t.Fatalf("played %v, want %v", got, tt.played)
			}
			if got := r.state(t); fmt.Sprint(got) != fmt.Sprint(tt.heard) {
				t.Errorf("mailbox %v, want %v", got, tt.heard)
			}
			for _, id := range []string{"new-1", "new-2", "saved-1", "saved-2"} {
				_, kept := tt.heard[id]
				if _, err := os.Stat(filepath.Join(r.dir, "voicemail", "1002", id+".wav")); (err == nil) != kept {
					t.Errorf("audio of %s: %v, want kept %t", id, err, kept)
				}
			}
		})
	}
}

// A caller who hangs up during a message hears no more of the mailbox.
// The message cut short counts as heard, as it always has (the lamp goes
// out with it); the ones never reached stay new.
func TestListenStopsWhenTheCallerHangsUp(t *testing.T) {
	r := newMailboxRig(t)
	ctx, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	ep := r.phone(t, nil)
	ep.hangUp, ep.hangUpIn = hangUp, "new-2"
	r.boxes.Listen(ctx, ep, Listen{Mailbox: "1002"})
	if got, want := ep.heard(), []string{"summary", "new-1", "new-2", "end"}; !slices.Equal(got, want) {
		t.Fatalf("played %v, want %v", got, want)
	}
	if got, want := r.state(t), map[string]bool{"new-1": true, "new-2": true, "saved-1": true, "saved-2": true}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("mailbox %v, want %v", got, want)
	}
}
