package media

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
)

// Endpoint terminates one leg in the switch itself (voicemail, prompts,
// an IVR): it reads the leg's party's RTP (latching, counters, media
// timeout), hands it to taps (a Recorder, a SilenceDetector), reports
// DTMF key presses, and plays prompts to the party. The party's packets
// are FromA; the prompts the Endpoint plays are FromB, so a stereo
// Recorder keeps the caller left and the prompts right.
type Endpoint struct {
	leg    *Leg
	player *Player
	taps   taps
	digits chan Digit

	mu      sync.Mutex
	started bool
	closed  bool
}

// EndpointOption configures an Endpoint.
type EndpointOption func(*endpointConfig)

type endpointConfig struct {
	eventPTs []uint8
}

// WithTelephoneEvent sets the payload type of the party's RFC 4733
// telephone-events (Selection.TelephoneEvent from Answer; default
// DefaultTelephoneEvent).
func WithTelephoneEvent(pt uint8) EndpointOption {
	return func(c *endpointConfig) { c.eventPTs = append(c.eventPTs, pt) }
}

// NewEndpoint takes ownership of leg (closing the Endpoint closes it) and
// plays to it as payload type pt (PayloadPCMU or PayloadPCMA: the codec
// Answer selected).
func NewEndpoint(leg *Leg, pt uint8, opts ...EndpointOption) (*Endpoint, error) {
	var cfg endpointConfig
	for _, o := range opts {
		o(&cfg)
	}
	player, err := NewPlayer(leg, pt)
	if err != nil {
		return nil, fmt.Errorf("new endpoint: %w", err)
	}
	if err := leg.claim(); err != nil {
		return nil, fmt.Errorf("new endpoint: %w", err)
	}
	e := &Endpoint{leg: leg, player: player, digits: make(chan Digit, 32)}
	player.taps, player.dir = &e.taps, FromB
	det := NewDTMFDetector(func(d Digit) {
		select {
		case e.digits <- d:
		default: // nobody reads: drop rather than stall the reader
		}
	}, cfg.eventPTs...)
	e.taps.add(det)
	return e, nil
}

// Leg returns the endpoint's leg (for SetRemote, SetHold, Stats).
func (e *Endpoint) Leg() *Leg { return e.leg }

// Start begins reading the party's media and arms the media timeout; call
// it when the leg is answered.
func (e *Endpoint) Start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.closed:
		return fmt.Errorf("start endpoint: %w", ErrClosed)
	case e.started:
		return nil
	}
	e.started = true
	if err := e.leg.start(endpointSink{e}, nil); err != nil {
		return fmt.Errorf("start endpoint: %w", err)
	}
	e.leg.armTimeout()
	return nil
}

// Play sends a prompt (8 kHz mono samples) to the party, paced in real
// time, and returns when it has been sent or ctx ends (see Player.Play).
// To let a key press interrupt a greeting, cancel ctx from a goroutine
// reading Digits.
func (e *Endpoint) Play(ctx context.Context, samples []int16) error {
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return fmt.Errorf("play: %w", ErrClosed)
	}
	return e.player.Play(ctx, samples)
}

// Digits returns the party's DTMF key presses, each reported once: its
// RFC 4733 events and the keys given to SignalDigit. The channel holds 32; presses nobody reads beyond that are dropped. It is
// closed by Close.
func (e *Endpoint) Digits() <-chan Digit { return e.digits }

// SignalDigit reports a key press the party signaled outside the media
// (SIP INFO) on the same channel as its RFC 4733 events, FromA, so Digits
// readers and Record's stop keys cannot tell the two apart: an endpoint
// has one stream of keys, however the phone sends them. Like a detected
// press, it is dropped when nobody reads and the channel is full. key is
// '0'-'9', '*', '#' or 'A'-'D'.
func (e *Endpoint) SignalDigit(key rune) error {
	if !strings.ContainsRune(dtmfKeys, key) {
		return fmt.Errorf("signal digit %q: not a DTMF key", key)
	}
	// Holding mu keeps Close and Detach, which mark the endpoint closed
	// under it before closing digits, from closing the channel under the
	// send.
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return fmt.Errorf("signal digit: %w", ErrClosed)
	}
	select {
	case e.digits <- Digit{Direction: FromA, Key: key}:
	default: // nobody reads: drop, as for detected presses
	}
	return nil
}

// AddTap adds a tap that sees the party's packets (FromA) and the played
// ones (FromB); it returns a function that removes it.
func (e *Endpoint) AddTap(t Tap) (remove func()) { return e.taps.add(t) }

// TimedOut returns the leg's media-timeout channel (see Leg.TimedOut).
func (e *Endpoint) TimedOut() <-chan struct{} { return e.leg.TimedOut() }

// Close stops the endpoint, closes its leg and then the Digits channel.
// A Play in progress returns ErrClosed.
func (e *Endpoint) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	err := e.leg.Close() // waits for the readers, the only senders on digits
	close(e.digits)
	if err != nil {
		return fmt.Errorf("close endpoint: %w", err)
	}
	return nil
}

// Detach stops the endpoint without closing its leg and returns the leg,
// for the switch to join it to a Relay (a dialer bridging a lead who
// heard a prompt to an agent). Stop any Play first (cancel its context).
// Digits is closed; the endpoint is closed afterwards and Close does
// nothing.
func (e *Endpoint) Detach() (*Leg, error) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, fmt.Errorf("detach endpoint: %w", ErrClosed)
	}
	e.closed = true
	e.mu.Unlock()
	err := e.leg.detach() // waits for the readers, the only senders on digits
	close(e.digits)
	if err != nil {
		return nil, fmt.Errorf("detach endpoint: %w", err)
	}
	return e.leg, nil
}

type endpointSink struct{ e *Endpoint }

func (s endpointSink) onRTP(_ []byte, pkt *rtp.Packet) {
	if pkt != nil {
		s.e.taps.deliver(FromA, pkt)
	}
}

func (endpointSink) onRTCP([]byte) {}

// StopReason says why Record ended.
type StopReason int

// Reasons for Record to end.
const (
	// StoppedByKey: the party pressed one of the stop keys.
	StoppedByKey StopReason = iota + 1
	// StoppedBySilence: the party was silent for RecordOptions.Silence.
	StoppedBySilence
	// StoppedByMaxLength: the recording reached RecordOptions.MaxLength.
	StoppedByMaxLength
	// StoppedByMediaTimeout: the leg's media timed out (the party is
	// gone).
	StoppedByMediaTimeout
	// StoppedByContext: ctx ended (the party hung up, the switch is
	// shutting down); Record returns ctx's error with it.
	StoppedByContext
	// StoppedByClose: the Endpoint was closed.
	StoppedByClose
)

func (r StopReason) String() string {
	switch r {
	case StoppedByKey:
		return "key"
	case StoppedBySilence:
		return "silence"
	case StoppedByMaxLength:
		return "max_length"
	case StoppedByMediaTimeout:
		return "media_timeout"
	case StoppedByContext:
		return "context"
	case StoppedByClose:
		return "closed"
	}
	return "unknown"
}

// RecordOptions bound a recording made with Endpoint.Record.
type RecordOptions struct {
	// MaxLength ends the recording after this long (0: no limit).
	MaxLength time.Duration
	// Silence ends the recording after this much silence from the party
	// (0: never).
	Silence time.Duration
	// SilenceLevel is the SilenceDetector level (0: DefaultSilenceLevel).
	SilenceLevel int
	// StopKeys are the DTMF keys that end the recording, e.g. "#".
	StopKeys string
}

// Record taps rec (usually a Recorder, mono FromA for voicemail) until
// one of opts' limits, a media timeout, ctx or Close ends it, then removes
// the tap; it does not close rec. It reads Digits while it runs and
// returns the key that stopped it, if any.
func (e *Endpoint) Record(ctx context.Context, rec Tap, opts RecordOptions) (StopReason, Digit, error) {
	remove := e.AddTap(rec)
	defer remove()
	var silent <-chan struct{}
	var sd *SilenceDetector
	var tick <-chan time.Time
	if opts.Silence > 0 {
		sd = NewSilenceDetector(FromA, opts.Silence, opts.SilenceLevel)
		defer e.AddTap(sd)()
		silent = sd.Silent()
		t := time.NewTicker(max(min(opts.Silence/4, 250*time.Millisecond), time.Millisecond))
		defer t.Stop()
		tick = t.C
	}
	var maxLen <-chan time.Time
	if opts.MaxLength > 0 {
		t := time.NewTimer(opts.MaxLength)
		defer t.Stop()
		maxLen = t.C
	}
	for {
		select {
		case d, ok := <-e.digits:
			if !ok {
				return StoppedByClose, Digit{}, nil
			}
			if d.Direction == FromA && strings.ContainsRune(opts.StopKeys, d.Key) {
				return StoppedByKey, d, nil
			}
		case now := <-tick:
			sd.Check(now)
		case <-silent:
			return StoppedBySilence, Digit{}, nil
		case <-maxLen:
			return StoppedByMaxLength, Digit{}, nil
		case <-e.leg.TimedOut():
			return StoppedByMediaTimeout, Digit{}, nil
		case <-ctx.Done():
			return StoppedByContext, Digit{}, fmt.Errorf("record: %w", context.Cause(ctx))
		}
	}
}
