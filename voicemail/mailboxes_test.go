package voicemail

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dialtone/dialtone/directory"
)

// The API names users by extension or name; an unknown user, or a message
// the mailbox does not hold, is ErrNoMailbox or ErrNoMessage (404) in the
// words the API has always used, and changes nothing.
func TestMailboxesForTheAPI(t *testing.T) {
	r := newMailboxRig(t)
	bob := &directory.User{Extension: "1002", Name: "bob"}
	r.boxes.users = users{"1002": bob, "bob": bob}

	for _, name := range []string{"1002", "bob"} {
		msgs, err := r.boxes.Messages(name)
		if err != nil || len(msgs) != 4 {
			t.Fatalf("Messages(%q) = %d messages, %v; want 4", name, len(msgs), err)
		}
	}
	if msgs, err := (New(Options{Store: newMemStore(), Users: users{"1002": bob}})).Messages("1002"); err != nil || msgs == nil || len(msgs) != 0 {
		t.Errorf("an empty mailbox: %#v, %v; want an empty list", msgs, err)
	}
	path, err := r.boxes.Audio("bob", "new-1")
	if want := filepath.Join(r.dir, "voicemail", "1002", "new-1.wav"); err != nil || path != want {
		t.Errorf("Audio = %q, %v; want %q", path, err, want)
	}

	errs := []struct {
		name string
		err  error
		kind error
		text string
	}{
		{"messages of an unknown user", second(r.boxes.Messages("carol")), ErrNoMailbox, `no user "carol"`},
		{"audio of an unknown user", second(r.boxes.Audio("carol", "new-1")), ErrNoMailbox, `no mailbox "carol"`},
		{"audio of an unknown message", second(r.boxes.Audio("bob", "nope")), ErrNoMessage, `no message "nope"`},
		{"delete for an unknown user", r.boxes.Delete("carol", "new-1"), ErrNoMailbox, `no mailbox "carol"`},
		{"delete of an unknown message", r.boxes.Delete("bob", "nope"), ErrNoMessage, `no message "nope" for 1002`},
	}
	for _, tt := range errs {
		if !errors.Is(tt.err, tt.kind) || tt.err.Error() != tt.text {
			t.Errorf("%s: %v, want %q (%v)", tt.name, tt.err, tt.text, tt.kind)
		}
	}
	if r.notes.of("1002") != 0 || len(r.state(t)) != 4 {
		t.Fatalf("a failed lookup changed the mailbox: %v, %d notifications", r.state(t), r.notes.of("1002"))
	}

	if err := r.boxes.Delete("bob", "new-1"); err != nil {
		t.Fatal(err)
	}
	if _, gone := r.state(t)["new-1"]; gone {
		t.Error("the message is still listed")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("its audio: %v, want it removed", err)
	}
	if r.notes.of("1002") != 1 {
		t.Errorf("the notifier was told %d times, want once", r.notes.of("1002"))
	}
	if err := r.boxes.Delete("bob", "new-1"); !errors.Is(err, ErrNoMessage) {
		t.Errorf("deleting it again: %v, want ErrNoMessage", err)
	}
	if fresh, saved, err := r.boxes.Counts("1002"); fresh != 1 || saved != 2 || err != nil {
		t.Errorf("Counts = %d new, %d saved, %v; want 1, 2", fresh, saved, err)
	}
}

func second[T any](_ T, err error) error { return err }
