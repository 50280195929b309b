package media

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"
)

func TestPlayer(t *testing.T) {
	pool := newTestPool(t, 2)
	leg := must(pool.Allocate())
	defer leg.Close()
	ph := newPhone(t)
	leg.SetRemote(ph.addr())

	t.Run("a prompt goes out as paced 20 ms PCMU packets with a marker on the first", func(t *testing.T) {
		p := must(NewPlayer(leg, PayloadPCMU))
		prompt := GenerateTone(440, 100*time.Millisecond, 0.5)
		prompt = append(prompt, 1000, 2000) // a partial last packet
		start := time.Now()
		if err := p.Play(context.Background(), prompt); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el < 100*time.Millisecond {
			t.Errorf("6 packets sent in %v: not paced", el)
		}
		first := ph.recvRTP()
		if !first.Marker || first.PayloadType != PayloadPCMU || first.Version != 2 || len(first.Payload) != 160 {
			t.Fatalf("first packet %v, %d bytes", first.Header, len(first.Payload))
		}
		want := must(EncodeG711(nil, PayloadPCMU, prompt[:160]))
		if string(first.Payload) != string(want) {
			t.Error("first payload is not the prompt's encoding")
		}
		prev := first
		for i := 1; i < 6; i++ {
			pkt := ph.recvRTP()
			if pkt.Marker || pkt.SSRC != first.SSRC || pkt.SequenceNumber != prev.SequenceNumber+1 || pkt.Timestamp != prev.Timestamp+160 {
				t.Fatalf("packet %d: %v after %v", i, pkt.Header, prev.Header)
			}
			prev = pkt
		}
		if s := prev.Payload; LinearToULaw(1000) != s[0] || LinearToULaw(2000) != s[1] || s[2] != LinearToULaw(0) {
			t.Error("the partial last packet is not padded with silence")
		}

		t.Run("the next prompt runs on with a new marker and a timestamp that covers the pause", func(t *testing.T) {
			time.Sleep(40 * time.Millisecond)
			if err := p.Play(context.Background(), GenerateBeep()[:160]); err != nil {
				t.Fatal(err)
			}
			pkt := ph.recvRTP()
			if !pkt.Marker || pkt.SSRC != first.SSRC || pkt.SequenceNumber != prev.SequenceNumber+1 {
				t.Errorf("got %v after %v", pkt.Header, prev.Header)
			}
			if gap := pkt.Timestamp - prev.Timestamp; gap < 160+160 {
				t.Errorf("timestamp advanced %d: the 20 ms of the last packet and a pause of at least 20 ms", gap)
			}
		})
	})

	t.Run("PCMA is sent as payload type 8", func(t *testing.T) {
		p := must(NewPlayer(leg, PayloadPCMA))
		if err := p.Play(context.Background(), GenerateSilence(20*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if pkt := ph.recvRTP(); pkt.PayloadType != PayloadPCMA || pkt.Payload[0] != 0xD5 {
			t.Errorf("got %v %x", pkt.Header, pkt.Payload[:1])
		}
	})

	t.Run("a canceled context stops the prompt", func(t *testing.T) {
		p := must(NewPlayer(leg, PayloadPCMU))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- p.Play(ctx, GenerateSilence(time.Minute)) }()
		ph.recvRTP()
		ph.recvRTP()
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %v, want context.Canceled", err)
			}
		case <-time.After(hangTimeout):
			t.Fatal("Play did not stop")
		}
	})

	t.Run("a leg without an address cannot play", func(t *testing.T) {
		other := must(pool.Allocate())
		defer other.Close()
		p := must(NewPlayer(other, PayloadPCMU))
		wantErr(t, p.Play(context.Background(), GenerateBeep()), ErrNoRemote)
		other.SetRemote(netip.MustParseAddrPort("0.0.0.0:4000")) // held
		wantErr(t, p.Play(context.Background(), GenerateBeep()), ErrNoRemote)
	})

	t.Run("a closed leg stops the prompt with ErrClosed", func(t *testing.T) {
		other := must(pool.Allocate())
		other.SetRemote(ph.addr())
		p := must(NewPlayer(other, PayloadPCMU))
		other.Close()
		wantErr(t, p.Play(context.Background(), GenerateBeep()), ErrClosed)
	})

	t.Run("only G.711 can be played", func(t *testing.T) {
		_, err := NewPlayer(leg, 9)
		wantErr(t, err, ErrUnsupportedCodec)
	})
}

func TestPrompts(t *testing.T) {
	tests := []struct {
		name    string
		samples []int16
		dur     time.Duration
		zc      [2]int // zero crossings, min and max
	}{
		{name: "a 440 Hz tone of a second", samples: GenerateTone(440, time.Second, 0.5), dur: time.Second, zc: [2]int{875, 881}},
		{name: "the beep is 250 ms of 1 kHz", samples: GenerateBeep(), dur: 250 * time.Millisecond, zc: [2]int{495, 501}},
		{name: "silence is silent", samples: GenerateSilence(time.Second), dur: time.Second},
		{name: "the default greeting is tones and the beep", samples: DefaultGreeting(), dur: 1400 * time.Millisecond, zc: [2]int{1270, 1300}},
		{name: "the recording announcement is two 1400 Hz beeps", samples: DefaultRecordingAnnouncement(), dur: time.Second, zc: [2]int{2200, 2245}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := time.Duration(len(tt.samples)) * time.Second / 8000; d != tt.dur {
				t.Errorf("lasts %v, want %v", d, tt.dur)
			}
			if zc := zeroCrossings(tt.samples); zc < tt.zc[0] || zc > tt.zc[1] {
				t.Errorf("%d zero crossings, want %d to %d", zc, tt.zc[0], tt.zc[1])
			}
		})
	}
}
