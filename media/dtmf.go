package media

import (
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/pion/rtp"
)

// TelephoneEvent is the payload of an RFC 4733 telephone-event packet.
type TelephoneEvent struct {
	// Event is the event code: 0-9 the digits, 10 '*', 11 '#', 12-15
	// 'A'-'D', 16 flash.
	Event uint8
	// End is set on the packets that end the event (sent three times).
	End bool
	// Volume is the power level in -dBm0 (0 to 63).
	Volume uint8
	// Duration is the event's length so far, in timestamp units (1/8000 s
	// for the usual 8 kHz telephone-event).
	Duration uint16
}

// telephoneEventSize is the size of one event in a payload.
const telephoneEventSize = 4

// Unmarshal parses the first event of a telephone-event payload. It fails
// with ErrShortPayload for fewer than 4 bytes. Nothing of buf is kept.
func (e *TelephoneEvent) Unmarshal(buf []byte) error {
	if len(buf) < telephoneEventSize {
		return fmt.Errorf("parse telephone-event: %w: %d bytes", ErrShortPayload, len(buf))
	}
	e.Event = buf[0]
	e.End = buf[1]&0x80 != 0
	e.Volume = buf[1] & 0x3F
	e.Duration = binary.BigEndian.Uint16(buf[2:])
	return nil
}

// MarshalTo writes the event into buf (at least 4 bytes) and returns the
// number of bytes written.
func (e TelephoneEvent) MarshalTo(buf []byte) (int, error) {
	if len(buf) < telephoneEventSize {
		return 0, fmt.Errorf("write telephone-event: %w: buffer of %d bytes", ErrShortPayload, len(buf))
	}
	buf[0] = e.Event
	buf[1] = e.Volume & 0x3F
	if e.End {
		buf[1] |= 0x80
	}
	binary.BigEndian.PutUint16(buf[2:], e.Duration)
	return telephoneEventSize, nil
}

// Marshal returns the 4-byte payload of the event.
func (e TelephoneEvent) Marshal() []byte {
	b := make([]byte, telephoneEventSize)
	_, _ = e.MarshalTo(b)
	return b
}

// dtmfKeys are the DTMF keys, indexed by their RFC 4733 event code.
const dtmfKeys = "0123456789*#ABCD"

// Digit returns the DTMF character of the event ('0'-'9', '*', '#',
// 'A'-'D'), or false for other events.
func (e TelephoneEvent) Digit() (rune, bool) {
	if int(e.Event) < len(dtmfKeys) {
		return rune(dtmfKeys[e.Event]), true
	}
	return 0, false
}

// Digit is one DTMF key press reported by a DTMFDetector.
type Digit struct {
	Direction Direction
	// Key is '0'-'9', '*', '#' or 'A'-'D'.
	Key rune
	// Duration is how long the key was held, as the sender reported.
	Duration time.Duration
	// Volume is the power level in -dBm0.
	Volume uint8
}

// DTMFDetector is a Tap that reports each RFC 4733 key press once. A
// sender repeats an event's packets while the key is held and sends its
// end three times; all packets of one event share an RTP timestamp, so the
// detector reports a key when the first end packet of a timestamp arrives,
// and also, should every end packet be lost, when the next event starts.
// Late packets of an event already reported are ignored.
type DTMFDetector struct {
	onDigit func(Digit)
	pts     []uint8
	clock   uint32
	mu      sync.Mutex
	state   [2]dtmfState
}

type dtmfState struct {
	active   bool
	reported bool
	ssrc     uint32
	ts       uint32
	ev       TelephoneEvent
}

// NewDTMFDetector returns a detector that calls onDigit for every key
// press on the telephone-event payload types pts (from the SDP of both
// sides, Codecs or Selection; DefaultTelephoneEvent if none are given).
// onDigit runs on a relay goroutine: it must not block (send to a
// buffered channel with select/default, for instance).
func NewDTMFDetector(onDigit func(Digit), pts ...uint8) *DTMFDetector {
	if len(pts) == 0 {
		pts = []uint8{DefaultTelephoneEvent}
	}
	return &DTMFDetector{onDigit: onDigit, pts: pts, clock: sampleRate}
}

// Packet looks at one RTP packet (it implements Tap).
func (d *DTMFDetector) Packet(dir Direction, pkt *rtp.Packet) {
	if !d.isEvent(pkt.PayloadType) {
		return
	}
	var ev TelephoneEvent
	if ev.Unmarshal(pkt.Payload) != nil {
		return
	}
	d.mu.Lock()
	st := &d.state[dir&1]
	var out []Digit
	switch {
	case st.active && st.ssrc == pkt.SSRC && st.ts == pkt.Timestamp:
		if ev.Duration > st.ev.Duration {
			st.ev.Duration = ev.Duration
		}
		st.ev.Volume = ev.Volume
		if ev.End && !st.reported {
			st.reported = true
			out = append(out, d.digit(dir, st.ev))
		}
	case st.active && st.ssrc == pkt.SSRC && int32(pkt.Timestamp-st.ts) < 0:
		// a late packet of an older event
	default:
		if st.active && !st.reported {
			out = append(out, d.digit(dir, st.ev)) // its end packets were lost
		}
		*st = dtmfState{active: true, ssrc: pkt.SSRC, ts: pkt.Timestamp, ev: ev, reported: ev.End}
		if ev.End {
			out = append(out, d.digit(dir, ev))
		}
	}
	d.mu.Unlock()
	for _, dg := range out {
		if dg.Key != 0 && d.onDigit != nil {
			d.onDigit(dg)
		}
	}
}

func (d *DTMFDetector) isEvent(pt uint8) bool {
	for _, p := range d.pts {
		if p == pt {
			return true
		}
	}
	return false
}

// digit converts an event; a non-digit event (flash) yields Key 0.
func (d *DTMFDetector) digit(dir Direction, ev TelephoneEvent) Digit {
	key, ok := ev.Digit()
	if !ok {
		return Digit{}
	}
	return Digit{
		Direction: dir,
		Key:       key,
		Duration:  time.Duration(ev.Duration) * time.Second / time.Duration(d.clock),
		Volume:    ev.Volume,
	}
}
