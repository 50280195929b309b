package voicemail

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/media"
)

// depositRig is an empty mailbox and a caller who says says after the
// greeting, or hangs up while hangUpIn plays.
type depositRig struct {
	dir   string
	store *memStore
	notes *changes
	boxes *Mailboxes
	ep    *fakeEndpoint
	ctx   context.Context
}

func newDepositRig(t *testing.T, says []segment, hangUpIn string) *depositRig {
	r := &depositRig{dir: t.TempDir(), store: newMemStore(), notes: &changes{}}
	r.boxes = New(Options{Store: r.store, DataDir: r.dir, Notify: r.notes, Logger: quiet})
	ctx, hangUp := context.WithCancel(context.Background())
	t.Cleanup(hangUp)
	r.ctx = ctx
	r.ep = newFakeEndpoint(func([]int16) string { return "greeting" }, nil)
	r.ep.says, r.ep.hangUp, r.ep.hangUpIn = says, hangUp, hangUpIn
	return r
}

// A caller leaves a message after the greeting: the recording stops at
// the maximum length, after the silence, at # or when the caller hangs
// up, and what was said is stored as a new message, the notifier told.
func TestDepositStopsAtTheLimitsAndStoresTheMessage(t *testing.T) {
	talk := func(d time.Duration) segment { return segment{dur: d} }
	silent := func(d time.Duration) segment { return segment{silent: true, dur: d} }
	tests := []struct {
		name               string
		maxLength, silence time.Duration
		says               []segment
		stopped            media.StopReason
		seconds            float64
		wantLimits         [2]time.Duration // what Record was asked (the defaults for zero)
	}{
		{name: "the maximum length cuts a long message", maxLength: 3 * time.Second, silence: 2 * time.Second,
			says: []segment{talk(10 * time.Second)}, stopped: media.StoppedByMaxLength, seconds: 3,
			wantLimits: [2]time.Duration{3 * time.Second, 2 * time.Second}},
		{name: "silence ends the message", maxLength: time.Minute, silence: 2 * time.Second,
			says: []segment{talk(1500 * time.Millisecond), silent(10 * time.Second)}, stopped: media.StoppedBySilence, seconds: 3.5,
			wantLimits: [2]time.Duration{time.Minute, 2 * time.Second}},
		{name: "a pause shorter than the silence does not", maxLength: time.Minute, silence: 2 * time.Second,
			says: []segment{talk(time.Second), silent(time.Second), talk(time.Second), silent(3 * time.Second)}, stopped: media.StoppedBySilence, seconds: 5,
			wantLimits: [2]time.Duration{time.Minute, 2 * time.Second}},
		{name: "# ends the message", maxLength: time.Minute, silence: 2 * time.Second,
			says: []segment{{dur: 2 * time.Second, key: '#'}, talk(time.Minute)}, stopped: media.StoppedByKey, seconds: 2,
			wantLimits: [2]time.Duration{time.Minute, 2 * time.Second}},
		{name: "hanging up ends the message", maxLength: time.Minute, silence: 5 * time.Second,
			says: []segment{talk(2 * time.Second)}, stopped: media.StoppedByContext, seconds: 2,
			wantLimits: [2]time.Duration{time.Minute, 5 * time.Second}},
		{name: "a config built in code gets the defaults, not no limit",
			says: []segment{talk(3 * time.Minute)}, stopped: media.StoppedByMaxLength, seconds: config.DefaultVoicemailMaxLength.Seconds(),
			wantLimits: [2]time.Duration{config.DefaultVoicemailMaxLength, config.DefaultVoicemailSilence}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newDepositRig(t, tt.says, "")
			dir, store, notes, ep := r.dir, r.store, r.notes, r.ep
			msg, ok := r.boxes.Deposit(r.ctx, ep, Deposit{Mailbox: "1002", From: "1001", LegID: "leg-1", MaxLength: tt.maxLength, Silence: tt.silence})
			if !ok {
				t.Fatal("no message stored")
			}
			if got := [2]time.Duration{ep.opts.MaxLength, ep.opts.Silence}; got != tt.wantLimits || ep.opts.StopKeys != "#" {
				t.Errorf("recorded with %+v, want limits %v and stop key #", ep.opts, tt.wantLimits)
			}
			if ep.stopped != tt.stopped {
				t.Errorf("stopped by %s, want %s", ep.stopped, tt.stopped)
			}
			if msg.Seconds != tt.seconds {
				t.Errorf("message of %.3f s, want %.3f", msg.Seconds, tt.seconds)
			}
			msgs, _ := store.Messages("1002")
			if len(msgs) != 1 || msgs[0] != msg || msg.Heard || msg.From != "1001" || msg.LegID != "leg-1" || msg.User != "1002" {
				t.Fatalf("stored %+v, want the new message %+v", msgs, msg)
			}
			if want := "voicemail/1002/" + msg.ID + ".wav"; msg.Path != want {
				t.Errorf("path %q, want %q", msg.Path, want)
			}
			audio, err := media.LoadPromptFile(filepath.Join(dir, msg.Path))
			if err != nil || time.Duration(len(audio))*time.Second/8000 != time.Duration(tt.seconds*float64(time.Second)) {
				t.Errorf("the WAV holds %d samples (%v), want %.3f s", len(audio), err, tt.seconds)
			}
			if notes.of("1002") != 1 {
				t.Errorf("the notifier was told %d times, want once", notes.of("1002"))
			}
		})
	}
}

// A caller who hangs up during the greeting, or at the beep, leaves no
// message and no file, and the lamp does not change.
func TestDepositWithoutAMessageLeavesNothing(t *testing.T) {
	tests := []struct {
		name     string
		hangUpIn string
		says     []segment
	}{
		{name: "hung up during the greeting", hangUpIn: "greeting"},
		{name: "under half a second of message", says: []segment{{dur: 400 * time.Millisecond}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newDepositRig(t, tt.says, tt.hangUpIn)
			dir, store, notes := r.dir, r.store, r.notes
			if msg, ok := r.boxes.Deposit(r.ctx, r.ep, Deposit{Mailbox: "1002", From: "1001"}); ok {
				t.Fatalf("stored %+v", msg)
			}
			if msgs, _ := store.Messages("1002"); len(msgs) != 0 {
				t.Errorf("stored %+v", msgs)
			}
			files, _ := os.ReadDir(filepath.Join(dir, "voicemail", "1002"))
			if len(files) != 0 {
				t.Errorf("left %d files", len(files))
			}
			if notes.of("1002") != 0 {
				t.Error("the notifier was told of a message never left")
			}
		})
	}
}

// The greeting is the user's recorded one; without one, or when it does
// not load, the generated greeting.
func TestDepositPlaysTheUsersGreeting(t *testing.T) {
	dir := t.TempDir()
	own := filepath.Join(dir, "alice.wav")
	writeWAV(t, own, slices.Repeat([]int16{1234}, 400))
	tests := []struct{ name, greeting, want string }{
		{"a recorded greeting", own, "own"},
		{"none", "", "generated"},
		{"one that does not load", filepath.Join(dir, "missing.wav"), "generated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(Options{Store: newMemStore(), DataDir: dir, Logger: quiet})
			ctx, hangUp := context.WithCancel(context.Background())
			defer hangUp()
			ep := newFakeEndpoint(func(s []int16) string {
				switch {
				case slices.Equal(s, media.DefaultGreeting()):
					return "generated"
				case len(s) == 400 && s[0] == 1234:
					return "own"
				}
				return "other"
			}, nil)
			ep.hangUp, ep.hangUpIn = hangUp, tt.want
			b.Deposit(ctx, ep, Deposit{Mailbox: "1002", Greeting: tt.greeting})
			if got := ep.heard(); !slices.Equal(got, []string{tt.want}) {
				t.Fatalf("played %v, want %v", got, tt.want)
			}
		})
	}
}
