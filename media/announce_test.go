package media

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// tryRecvRTP reads one RTP packet, or returns nil when none comes within d.
func (p *phone) tryRecvRTP(d time.Duration) *rtp.Packet {
	p.t.Helper()
	buf := make([]byte, 2048)
	_ = p.conn.SetReadDeadline(time.Now().Add(d))
	n, _, err := p.conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		return nil
	}
	var pkt rtp.Packet
	if err := pkt.Unmarshal(buf[:n]); err != nil {
		p.t.Fatalf("phone got a non-RTP packet: %v", err)
	}
	return &pkt
}

// announceAsync runs Announce in a goroutine and returns its result channel.
func announceAsync(ctx context.Context, r *Relay, samples []int16, ptA, ptB uint8) <-chan error {
	done := make(chan error, 1)
	go func() { done <- r.Announce(ctx, samples, ptA, ptB) }()
	return done
}

func waitErr(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(hangTimeout):
		t.Fatal("Announce did not return")
		return nil
	}
}

func TestRelayAnnounce(t *testing.T) {
	payload := bytes.Repeat([]byte{0xff}, 160)

	t.Run("both parties hear the prompt in their codec, and nothing passes between them meanwhile", func(t *testing.T) {
		checkGoroutines(t)
		c := newCall(t)
		var tappedA atomic.Int64
		c.relay.AddTap(TapFunc(func(dir Direction, pkt *rtp.Packet) {
			if dir == FromA {
				tappedA.Add(1)
			}
		}))
		prompt := GenerateTone(RecordingWarningFreq, 400*time.Millisecond, 0.3) // 20 packets
		done := announceAsync(context.Background(), c.relay, prompt, PayloadPCMU, PayloadPCMA)

		// A talks while the prompt plays; its packets must reach the
		// relay (counted, tapped) but not B.
		first := c.pa.recvRTP()
		for range 5 {
			c.pa.sendRTP(c.a.Addr(), 0, payload)
		}
		waitFor(t, "A's packets to be read", func() bool { return c.a.Stats().RTPPacketsIn == 5 })
		if err := waitErr(t, done); err != nil {
			t.Fatal(err)
		}

		for _, side := range []struct {
			name  string
			ph    *phone
			first *rtp.Packet
			pt    uint8
		}{{"A", c.pa, first, PayloadPCMU}, {"B", c.pb, nil, PayloadPCMA}} {
			pkts := []*rtp.Packet{}
			if side.first != nil {
				pkts = append(pkts, side.first)
			}
			for p := side.ph.tryRecvRTP(100 * time.Millisecond); p != nil; p = side.ph.tryRecvRTP(100 * time.Millisecond) {
				pkts = append(pkts, p)
			}
			if len(pkts) != 20 {
				t.Fatalf("%s got %d packets, want the prompt's 20 and nothing else", side.name, len(pkts))
			}
			for i, p := range pkts {
				want := must(EncodeG711(nil, side.pt, prompt[i*160:(i+1)*160]))
				if p.SSRC != pkts[0].SSRC || p.PayloadType != side.pt || p.Marker != (i == 0) || !bytes.Equal(p.Payload, want) {
					t.Fatalf("%s packet %d: %v is not the prompt's", side.name, i, p.Header)
				}
			}
		}
		if tappedA.Load() != 5 {
			t.Errorf("taps saw %d of A's packets, want 5 (and none of the prompt's)", tappedA.Load())
		}
		if sa, sb := c.a.Stats(), c.b.Stats(); sa.RTPPacketsOut != 20 || sb.RTPPacketsOut != 20 || sb.Dropped() != 0 {
			t.Errorf("counters: a %+v\nb %+v", sa, sb)
		}

		t.Run("relaying resumes when the prompt ends", func(t *testing.T) {
			c.pa.sendRTP(c.a.Addr(), 0, payload)
			if got := c.pb.recvRTP(); got.SSRC != c.pa.ssrc {
				t.Errorf("B got %v, want A's packet", got.Header)
			}
			c.pb.sendRTP(c.b.Addr(), 8, payload)
			if got := c.pa.recvRTP(); got.SSRC != c.pb.ssrc {
				t.Errorf("A got %v, want B's packet", got.Header)
			}
		})
	})

	t.Run("the recording holds the prompt on both channels, over what the parties say", func(t *testing.T) {
		c := newCall(t)
		var f memFile
		rec := must(NewRecorder(&f))
		c.relay.AddTap(rec)
		prompt := GenerateTone(RecordingWarningFreq, 200*time.Millisecond, 0.3)
		done := announceAsync(context.Background(), c.relay, prompt, PayloadPCMU, PayloadPCMU)
		c.pa.recvRTP()
		silence := must(EncodeG711(nil, PayloadPCMU, GenerateSilence(PacketTime)))
		for range 5 {
			c.pa.sendRTP(c.a.Addr(), 0, silence)
		}
		if err := waitErr(t, done); err != nil {
			t.Fatal(err)
		}
		c.relay.Close()
		if _, err := rec.Close(); err != nil {
			t.Fatal(err)
		}
		left, right := channels(t, &f)
		for name, ch := range map[string][]int16{"left": left, "right": right} {
			// 200 ms of 1400 Hz cross zero about 560 times.
			if zc := zeroCrossings(ch); zc < 500 || zc > 600 {
				t.Errorf("%s channel crosses zero %d times, want the prompt's ~560", name, zc)
			}
		}
	})

	stops := []struct {
		name string
		stop func(c *call, cancel context.CancelFunc)
		want error
	}{
		{"a canceled context stops it", func(_ *call, cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"closing the relay stops it", func(c *call, _ context.CancelFunc) { c.relay.Close() }, ErrClosed},
		{"detaching the relay stops it before the legs change hands", func(c *call, _ context.CancelFunc) {
			a, b, err := c.relay.Detach()
			if err != nil {
				t.Error(err)
				return
			}
			a.Close()
			b.Close()
		}, ErrClosed},
	}
	for _, tt := range stops {
		t.Run(tt.name, func(t *testing.T) {
			checkGoroutines(t)
			c := newCall(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := announceAsync(ctx, c.relay, GenerateSilence(time.Minute), PayloadPCMU, PayloadPCMU)
			c.pa.recvRTP()
			c.pb.recvRTP()
			start := time.Now()
			tt.stop(c, cancel)
			wantErr(t, waitErr(t, done), tt.want)
			if took := time.Since(start); took > 200*time.Millisecond {
				t.Errorf("took %v to stop", took)
			}
		})
	}

	t.Run("after a canceled prompt the parties hear each other again", func(t *testing.T) {
		c := newCall(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := announceAsync(ctx, c.relay, GenerateSilence(time.Minute), PayloadPCMU, PayloadPCMU)
		c.pb.recvRTP()
		cancel()
		wantErr(t, waitErr(t, done), context.Canceled)
		for p := c.pb.tryRecvRTP(50 * time.Millisecond); p != nil; p = c.pb.tryRecvRTP(50 * time.Millisecond) {
		}
		c.pa.sendRTP(c.a.Addr(), 0, payload)
		if got := c.pb.recvRTP(); got.SSRC != c.pa.ssrc {
			t.Errorf("B got %v, want A's packet", got.Header)
		}
	})

	t.Run("a closed relay refuses to announce", func(t *testing.T) {
		c := newCall(t)
		c.relay.Close()
		wantErr(t, c.relay.Announce(context.Background(), GenerateBeep(), PayloadPCMU, PayloadPCMU), ErrClosed)
	})

	t.Run("only G.711 can be announced", func(t *testing.T) {
		c := newCall(t)
		wantErr(t, c.relay.Announce(context.Background(), GenerateBeep(), PayloadPCMU, 9), ErrUnsupportedCodec)
	})

	t.Run("a party without an address ends it for both", func(t *testing.T) {
		pool := newTestPool(t, 2)
		a, b := must(pool.Allocate()), must(pool.Allocate())
		r := must(NewRelay(a, b))
		defer r.Close()
		a.SetRemote(newPhone(t).addr())
		err := r.Announce(context.Background(), GenerateSilence(time.Minute), PayloadPCMU, PayloadPCMU)
		if !errors.Is(err, ErrNoRemote) {
			t.Fatalf("error %v, want ErrNoRemote", err)
		}
	})

	t.Run("a second announcement waits for the first", func(t *testing.T) {
		c := newCall(t)
		prompt := GenerateSilence(100 * time.Millisecond)
		start := time.Now()
		first := announceAsync(context.Background(), c.relay, prompt, PayloadPCMU, PayloadPCMU)
		second := announceAsync(context.Background(), c.relay, prompt, PayloadPCMU, PayloadPCMU)
		if err := errors.Join(waitErr(t, first), waitErr(t, second)); err != nil {
			t.Fatal(err)
		}
		// Each sends its 5 packets over 80 ms: one after the other takes
		// at least 160 ms, overlapping about 80.
		if took := time.Since(start); took < 150*time.Millisecond {
			t.Errorf("two 100 ms prompts took %v: they overlapped", took)
		}
	})
}

func TestRelayMute(t *testing.T) {
	c := newCall(t)
	payload := []byte{1, 2, 3, 4}
	c.relay.Mute(true)
	c.pa.sendRTP(c.a.Addr(), 0, payload)
	waitFor(t, "A's packet to be read", func() bool { return c.a.Stats().RTPPacketsIn == 1 })
	if p := c.pb.tryRecvRTP(50 * time.Millisecond); p != nil {
		t.Fatalf("muted, B got %v", p.Header)
	}
	// An announcement after Mute ends with the parties relayed again.
	if err := c.relay.Announce(context.Background(), GenerateSilence(PacketTime), PayloadPCMU, PayloadPCMU); err != nil {
		t.Fatal(err)
	}
	if p := c.pb.recvRTP(); p.SSRC == c.pa.ssrc {
		t.Fatal("B got A's packet instead of the prompt")
	}
	c.pa.sendRTP(c.a.Addr(), 0, payload)
	if p := c.pb.recvRTP(); p.SSRC != c.pa.ssrc {
		t.Errorf("B got %v, want A's packet", p.Header)
	}
}

func TestPromptPayloadTypes(t *testing.T) {
	sdp := func(formats string, rtpmaps ...string) []byte {
		s := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP " + formats + "\r\n"
		for _, m := range rtpmaps {
			s += "a=rtpmap:" + m + "\r\n"
		}
		return []byte(s)
	}
	tests := []struct {
		name          string
		offer, answer []byte
		ptA, ptB      uint8
		err           error
	}{
		{name: "PCMU both ways", offer: sdp("0 8 101", "101 telephone-event/8000"), answer: sdp("0 101", "101 telephone-event/8000"), ptA: 0, ptB: 0},
		{name: "the answer's choice wins", offer: sdp("0 8"), answer: sdp("8 0"), ptA: 8, ptB: 8},
		{name: "a call on Opus gets the G.711 codec both also accepted", offer: sdp("111 0", "111 opus/48000/2"), answer: sdp("96 0", "96 opus/48000/2"), ptA: 0, ptB: 0},
		{name: "PCMU under a dynamic number cannot be played", offer: sdp("96", "96 PCMU/8000"), answer: sdp("96", "96 PCMU/8000"), err: ErrNoCommonCodec},
		{name: "no G.711 in common", offer: sdp("111 0", "111 opus/48000/2"), answer: sdp("111", "111 opus/48000/2"), err: ErrNoCommonCodec},
		{name: "no answer", offer: sdp("0"), answer: []byte("garbage"), err: ErrInvalidSDP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ptA, ptB, err := PromptPayloadTypes(tt.offer, tt.answer)
			if tt.err != nil {
				wantErr(t, err, tt.err)
				return
			}
			if err != nil || ptA != tt.ptA || ptB != tt.ptB {
				t.Errorf("got %d, %d, %v; want %d, %d", ptA, ptB, err, tt.ptA, tt.ptB)
			}
		})
	}
}

func TestSilenceOutlastsAnAnnouncementsEnd(t *testing.T) {
	p := newTestPool(t, 4)
	a, b := must(p.Allocate()), must(p.Allocate())
	r, err := NewRelay(a, b)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Silence()
	r.Mute(false) // what an announcement's end does
	if !r.fromA.muted.Load() || !r.fromB.muted.Load() {
		t.Fatal("Mute(false) lifted Silence")
	}
}
