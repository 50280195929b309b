package media

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/pion/rtp"
)

const (
	sampleRate = 8000
	// nsPerSample is the duration of one sample at 8 kHz.
	nsPerSample = int64(time.Second) / sampleRate
	// recordWindow is how far behind the newest audio the recorder writes
	// out, so reordered packets still find their place.
	recordWindow = sampleRate / 2
	// recordChunk is the least the recorder writes at once.
	recordChunk = sampleRate / 5
	// DefaultMaxGap is the longest silence a recording inserts for a jump
	// in RTP timestamps.
	DefaultMaxGap = 5 * time.Second
)

// Recorder is a Tap that writes a call to a WAV file: 8 kHz 16-bit PCM,
// stereo with the A party (the caller) on the left and the B party (the
// callee, or an Endpoint's prompts) on the right, or mono with one party.
// It decodes PCMU and PCMA and ignores every other payload type
// (telephone-event, comfort noise, codecs it cannot decode): they become
// silence.
//
// Each direction is placed by its RTP timestamps, anchored to the wall
// clock at its first packet, so the two channels line up and a party's
// silence (a gap in timestamps, or no packets at all) is written as
// silence. A jump in timestamps beyond the maximum gap (default 5 s), a
// jump backwards or a new SSRC re-anchors the direction at the wall
// clock, with at most the maximum gap of silence inserted. Sequence
// numbers play no part, so their wrap is harmless; timestamps wrap by
// serial arithmetic.
//
// A prompt Relay.Announce plays to both parties is recorded too: what
// the A party hears on the B channel and what the B party hears on the A
// channel, mixed over whatever the parties say meanwhile (each prompt
// stream is placed like a direction of its own, so the parties' packets
// and the prompt's do not push each other along the file).
//
// Packet is safe for concurrent use; file writes are buffered, so a tap
// costs the relay a decode and a copy per packet.
type Recorder struct {
	mu       sync.Mutex
	ww       *WAVWriter
	closer   io.Closer // the file OpenRecorder created
	channels int
	mono     Direction
	maxGap   int64
	now      func() time.Time

	started bool
	origin  time.Time
	flushed int64         // frames written to the file
	ch      [2]recChannel // the parties' audio
	ov      [2]recChannel // prompts mixed over it (Relay.Announce)
	frame   []int16
	err     error
	closed  bool
}

type recChannel struct {
	anchored  bool
	ssrc      uint32
	anchorTS  uint32
	anchorPos int64
	end       int64   // one past the last sample position filled
	pending   []int16 // samples from position flushed on
	dec       []int16
}

// RecorderOption configures a Recorder.
type RecorderOption func(*Recorder)

// RecordMono records only the audio sent from dir, as a mono file (for
// voicemail: RecordMono(FromA) keeps the caller).
func RecordMono(dir Direction) RecorderOption {
	return func(r *Recorder) { r.channels, r.mono = 1, dir }
}

// WithMaxGap sets the longest silence inserted for a timestamp jump
// (default DefaultMaxGap).
func WithMaxGap(d time.Duration) RecorderOption {
	return func(r *Recorder) { r.maxGap = max(int64(d)/nsPerSample, 0) }
}

// NewRecorder writes a recording to w (a file, usually). Close it after
// the Relay or Endpoint it taps has closed; Close does not close w.
func NewRecorder(w io.WriteSeeker, opts ...RecorderOption) (*Recorder, error) {
	r := &Recorder{channels: 2, maxGap: int64(DefaultMaxGap) / nsPerSample, now: time.Now}
	for _, o := range opts {
		o(r)
	}
	ww, err := NewWAVWriter(w, sampleRate, r.channels)
	if err != nil {
		return nil, fmt.Errorf("new recorder: %w", err)
	}
	r.ww = ww
	return r, nil
}

// OpenRecorder creates (or truncates) the file at path and records to it;
// Close closes the file.
func OpenRecorder(path string, opts ...RecorderOption) (*Recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("open recording: %w", err)
	}
	r, err := NewRecorder(f, opts...)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// Packet records one RTP packet (it implements Tap).
func (r *Recorder) Packet(dir Direction, pkt *rtp.Packet) { r.add(dir, pkt, false) }

// promptPacket mixes one packet of an announced prompt into dir's channel.
func (r *Recorder) promptPacket(dir Direction, pkt *rtp.Packet) { r.add(dir, pkt, true) }

func (r *Recorder) add(dir Direction, pkt *rtp.Packet, prompt bool) {
	if pkt.PayloadType != PayloadPCMU && pkt.PayloadType != PayloadPCMA {
		return
	}
	idx := int(dir) & 1
	if r.channels == 1 {
		if dir != r.mono {
			return
		}
		idx = 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.err != nil {
		return
	}
	now := r.now()
	if !r.started {
		r.started, r.origin = true, now
	}
	c := &r.ch[idx]
	if prompt {
		c = &r.ov[idx]
	}
	c.dec, _ = DecodeG711(c.dec[:0], pkt.PayloadType, pkt.Payload)
	if len(c.dec) == 0 {
		return
	}
	pos := r.place(c, pkt, now)
	samples := c.dec
	if pos < r.flushed { // too late: that part of the file is written
		skip := r.flushed - pos
		if skip >= int64(len(samples)) {
			return
		}
		samples, pos = samples[skip:], r.flushed
	}
	off := int(pos - r.flushed)
	if need := off + len(samples); need > len(c.pending) {
		old := len(c.pending)
		c.pending = slices.Grow(c.pending, need-old)[:need]
		clear(c.pending[old:])
	}
	copy(c.pending[off:], samples)
	c.end = max(c.end, pos+int64(len(samples)))
	if target := r.maxEnd() - recordWindow; target-r.flushed >= recordChunk {
		r.flushTo(target)
	}
}

// place returns the sample position of pkt's first sample in the file.
func (r *Recorder) place(c *recChannel, pkt *rtp.Packet, now time.Time) int64 {
	if c.anchored && pkt.SSRC == c.ssrc {
		pos := c.anchorPos + int64(int32(pkt.Timestamp-c.anchorTS))
		if pos <= r.maxEnd()+r.maxGap && pos >= c.end-recordWindow {
			return pos
		}
	}
	// First packet, new source or a jump: anchor at the wall clock, after
	// what this direction already wrote, inserting at most maxGap.
	wall := int64(now.Sub(r.origin)) / nsPerSample
	lo := max(r.flushed, c.end)
	hi := max(lo, r.maxEnd()+r.maxGap)
	pos := min(max(wall, lo), hi)
	c.anchored, c.ssrc, c.anchorTS, c.anchorPos = true, pkt.SSRC, pkt.Timestamp, pos
	return pos
}

func (r *Recorder) maxEnd() int64 {
	e := max(r.ch[0].end, r.ov[0].end)
	if r.channels == 2 {
		e = max(e, r.ch[1].end, r.ov[1].end)
	}
	return max(e, r.flushed)
}

// flushTo writes frames up to position target, silence where a channel
// has nothing, with any prompt mixed in (clipped at full scale).
func (r *Recorder) flushTo(target int64) {
	n := int(target - r.flushed)
	if n <= 0 {
		return
	}
	r.frame = slices.Grow(r.frame[:0], n*r.channels)[:n*r.channels]
	for ci := range r.channels {
		p, o := r.ch[ci].pending, r.ov[ci].pending
		for i := range n {
			var s int32
			if i < len(p) {
				s = int32(p[i])
			}
			if i < len(o) {
				s += int32(o[i])
			}
			r.frame[i*r.channels+ci] = int16(min(max(s, math.MinInt16), math.MaxInt16))
		}
		r.ch[ci].pending = consume(p, n)
		r.ov[ci].pending = consume(o, n)
	}
	r.flushed = target
	if err := r.ww.Write(r.frame); err != nil {
		r.err = err
	}
}

// consume drops the first n samples of p, keeping its array.
func consume(p []int16, n int) []int16 {
	if len(p) > n {
		return p[:copy(p, p[n:])]
	}
	return p[:0]
}

// Duration returns the length of the recording so far (what was written
// out; up to half a second more is buffered).
func (r *Recorder) Duration() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ww.Duration()
}

// Close writes out what is buffered, finalizes the WAV header (and closes
// the file OpenRecorder created) and returns the recording's duration.
// Packets after Close are ignored. Close is idempotent.
func (r *Recorder) Close() (time.Duration, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return r.ww.Duration(), nil
	}
	r.closed = true
	r.flushTo(r.maxEnd())
	err := errors.Join(r.err, r.ww.Close())
	if r.closer != nil {
		err = errors.Join(err, r.closer.Close())
	}
	if err != nil {
		return r.ww.Duration(), fmt.Errorf("close recording: %w", err)
	}
	return r.ww.Duration(), nil
}
