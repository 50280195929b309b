package media

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/pion/rtp"
)

// PacketTime is the audio each packet a Player sends carries.
const PacketTime = 20 * time.Millisecond

// samplesPerPacket is PacketTime at 8 kHz.
const samplesPerPacket = sampleRate * int(PacketTime/time.Millisecond) / 1000

// Player sends prompts to a leg's party as G.711 RTP from the leg's RTP
// socket: 20 ms packets paced in real time, one SSRC for the player's
// life, sequence numbers and timestamps that run on across prompts (the
// timestamp advances over the pause between two prompts), and the marker
// bit on the first packet of each prompt. One Play runs at a time; a
// second waits for the first.
//
// On a Relay leg, a Player's packets mix with the relayed ones at the
// party's phone only as two streams; use it there for short signals (a
// beep before a credit cut-off), not speech. Relay.Announce plays to both
// parties of a relay with the relaying muted meanwhile.
type Player struct {
	leg  *Leg
	pt   uint8
	taps *taps
	dir  Direction
	// mixed delivers to the taps as a prompt over a relayed call
	// (Relay.Announce) rather than as the dir party's own audio.
	mixed bool

	mu      sync.Mutex
	ssrc    uint32
	seq     uint16
	ts      uint32
	lastEnd time.Time
	buf     []byte
	pkt     rtp.Packet
}

// NewPlayer returns a player that sends to leg's remote as payload type pt
// (PayloadPCMU or PayloadPCMA, else ErrUnsupportedCodec): the codec the
// SDP negotiation chose for that leg.
func NewPlayer(leg *Leg, pt uint8) (*Player, error) {
	if pt != PayloadPCMU && pt != PayloadPCMA {
		return nil, fmt.Errorf("new player: payload type %d: %w", pt, ErrUnsupportedCodec)
	}
	return &Player{
		leg:  leg,
		pt:   pt,
		ssrc: rand.Uint32(),
		seq:  uint16(rand.Uint32()),
		ts:   rand.Uint32(),
		buf:  make([]byte, 12+samplesPerPacket),
	}, nil
}

// Play sends samples (8 kHz mono; the last packet is padded with silence)
// and returns when the last packet is sent, or early with ctx's error
// when ctx ends. It fails with ErrNoRemote when the leg has no address to
// send to and ErrClosed when the leg closes while playing.
func (p *Player) Play(ctx context.Context, samples []int16) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.leg.rtp.peer.Load(); r == nil || !r.ok {
		return fmt.Errorf("play: %w", ErrNoRemote)
	}
	start := time.Now()
	if !p.lastEnd.IsZero() && start.After(p.lastEnd) {
		p.ts += uint32(int64(start.Sub(p.lastEnd)) / nsPerSample)
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var frame [samplesPerPacket]int16
	sent := 0
	defer func() { p.lastEnd = start.Add(time.Duration(sent) * PacketTime) }()
	for off := 0; off < len(samples); off += samplesPerPacket {
		if wait := time.Until(start.Add(time.Duration(sent) * PacketTime)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return fmt.Errorf("play: %w", context.Cause(ctx))
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			return fmt.Errorf("play: %w", context.Cause(ctx))
		}
		n := copy(frame[:], samples[off:])
		clear(frame[n:])
		if err := p.send(frame[:], sent == 0); err != nil {
			return err
		}
		sent++
	}
	return nil
}

// send encodes and sends one packet and shows it to the taps.
func (p *Player) send(frame []int16, marker bool) error {
	p.pkt.Header = rtp.Header{
		Version:        2,
		Marker:         marker,
		PayloadType:    p.pt,
		SequenceNumber: p.seq,
		Timestamp:      p.ts,
		SSRC:           p.ssrc,
	}
	hdr, err := p.pkt.Header.MarshalTo(p.buf)
	if err != nil {
		return fmt.Errorf("play: marshal rtp header: %w", err)
	}
	payload, _ := EncodeG711(p.buf[hdr:hdr], p.pt, frame)
	p.seq++
	p.ts += uint32(len(frame))
	err = p.leg.sendRTP(p.buf[:hdr+len(payload)])
	switch {
	case errors.Is(err, net.ErrClosed):
		return fmt.Errorf("play: %w", ErrClosed)
	case err != nil && !errors.Is(err, ErrNoRemote):
		return fmt.Errorf("play: send rtp: %w", err)
	}
	if p.taps != nil {
		p.pkt.Payload = payload
		if p.mixed {
			p.taps.deliverPrompt(p.dir, &p.pkt)
		} else {
			p.taps.deliver(p.dir, &p.pkt)
		}
	}
	return nil
}
