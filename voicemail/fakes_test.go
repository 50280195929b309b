package voicemail

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/media"
	"github.com/pion/rtp"
)

var quiet = slog.New(slog.DiscardHandler)

// memStore is a Store in memory.
type memStore struct {
	mu   sync.Mutex
	msgs map[string][]Message
}

func newMemStore(msgs ...Message) *memStore {
	s := &memStore{msgs: map[string][]Message{}}
	for _, m := range msgs {
		_ = s.AddMessage(m)
	}
	return s
}

func (s *memStore) AddMessage(m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	box := s.msgs[m.User]
	if i := slices.IndexFunc(box, func(o Message) bool { return o.ID == m.ID }); i >= 0 {
		box[i] = m
		return nil
	}
	s.msgs[m.User] = append(box, m)
	return nil
}

func (s *memStore) Messages(mailbox string) ([]Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs[mailbox]), nil
}

func (s *memStore) DeleteMessage(mailbox, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs[mailbox] = slices.DeleteFunc(s.msgs[mailbox], func(m Message) bool { return m.ID == id })
	return nil
}

// changes is a Notifier that counts the changes of each mailbox.
type changes struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *changes) MailboxChanged(mailbox string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[mailbox]++
}

func (c *changes) of(mailbox string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[mailbox]
}

// users is a Directory of extension and name.
type users map[string]*directory.User

func (u users) User(name string) *directory.User { return u[name] }

// key is a key the fake caller presses on hearing a prompt: during it
// (the prompt is cut short) or in the wait after it.
type key struct {
	key   rune
	after bool
}

// segment is a stretch of what the fake caller says into a recording.
type segment struct {
	silent bool
	dur    time.Duration
	key    rune // pressed at the end of the segment (0: none)
}

// fakeEndpoint is a caller's leg for the dialogues, without a network.
// It names each prompt played (label), presses keys when a prompt is
// heard (keys, each once), and feeds a recording what the caller says
// (says) in 20 ms RTP packets, stopping as media.Endpoint.Record does but
// on the packets' clock: at opts.MaxLength, after opts.Silence of silent
// packets, at a stop key, or when the caller has said everything and
// hangs up (hangUp).
type fakeEndpoint struct {
	label  func([]int16) string
	keys   map[string]key
	says   []segment
	hangUp context.CancelFunc
	// hangUpIn hangs up while that prompt plays.
	hangUpIn string

	digits  chan media.Digit
	mu      sync.Mutex
	played  []string
	pending rune // a key for the wait after the prompt that just played
	opts    media.RecordOptions
	stopped media.StopReason
}

func newFakeEndpoint(label func([]int16) string, keys map[string]key) *fakeEndpoint {
	return &fakeEndpoint{label: label, keys: keys, digits: make(chan media.Digit, 32)}
}

func (f *fakeEndpoint) Play(ctx context.Context, samples []int16) error {
	name := f.label(samples)
	f.mu.Lock()
	f.played = append(f.played, name)
	k, ok := f.keys[name]
	delete(f.keys, name)
	f.mu.Unlock()
	if f.hangUpIn != "" && name == f.hangUpIn {
		f.hangUp()
		return ctx.Err()
	}
	switch {
	case ok && k.after:
		f.mu.Lock()
		f.pending = k.key
		f.mu.Unlock()
	case ok:
		f.digits <- media.Digit{Direction: media.FromA, Key: k.key}
		<-ctx.Done() // the key stops the prompt
		return ctx.Err()
	}
	return nil
}

// after stands in for time.After in the mailbox menu: the key the caller
// presses once the prompt has played arrives in the wait (which then
// never times out); without one the wait is over at once.
func (f *fakeEndpoint) after(time.Duration) <-chan time.Time {
	f.mu.Lock()
	k := f.pending
	f.pending = 0
	f.mu.Unlock()
	if k != 0 {
		f.digits <- media.Digit{Direction: media.FromA, Key: k}
		return nil
	}
	over := make(chan time.Time, 1)
	over <- time.Time{}
	return over
}

func (f *fakeEndpoint) Record(ctx context.Context, rec media.Tap, opts media.RecordOptions) (media.StopReason, media.Digit, error) {
	f.mu.Lock()
	f.opts = opts
	f.mu.Unlock()
	stop := func(r media.StopReason, d media.Digit) (media.StopReason, media.Digit, error) {
		f.mu.Lock()
		f.stopped = r
		f.mu.Unlock()
		return r, d, nil
	}
	const frame = 20 * time.Millisecond
	var elapsed, silence time.Duration
	pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: media.PayloadPCMU, SSRC: 7}}
	for _, seg := range f.says {
		payload := byte(0x80) // loud
		if seg.silent {
			payload = 0xff // u-law zero
		}
		for t := time.Duration(0); t < seg.dur; t += frame {
			if opts.MaxLength > 0 && elapsed+frame > opts.MaxLength {
				return stop(media.StoppedByMaxLength, media.Digit{})
			}
			pkt.Payload = slices.Repeat([]byte{payload}, 160)
			rec.Packet(media.FromA, pkt)
			pkt.SequenceNumber++
			pkt.Timestamp += 160
			elapsed += frame
			silence += frame
			if !seg.silent {
				silence = 0
			}
			if opts.Silence > 0 && silence >= opts.Silence {
				return stop(media.StoppedBySilence, media.Digit{})
			}
		}
		if seg.key != 0 && slices.Contains([]rune(opts.StopKeys), seg.key) {
			return stop(media.StoppedByKey, media.Digit{Direction: media.FromA, Key: seg.key})
		}
	}
	f.hangUp()
	r, d, _ := stop(media.StoppedByContext, media.Digit{})
	return r, d, ctx.Err()
}

func (f *fakeEndpoint) Digits() <-chan media.Digit { return f.digits }

func (f *fakeEndpoint) heard() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.played)
}

// writeMessage writes a message's audio, every sample value v, so the
// fake endpoint can tell which message plays.
func writeMessage(t *testing.T, dataDir string, m Message, v int16) {
	t.Helper()
	path := filepath.Join(dataDir, filepath.FromSlash(m.Path))
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	writeWAV(t, path, slices.Repeat([]int16{v}, 800))
}

func writeWAV(t *testing.T, path string, samples []int16) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := media.NewWAVWriter(f, 8000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(samples); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func say(t *testing.T, words ...string) []int16 {
	t.Helper()
	s, err := media.Say(words...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
