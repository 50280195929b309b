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

// newTestEndpoint starts an endpoint on a fresh leg talking to a phone.
func newTestEndpoint(t *testing.T, opts ...PoolOption) (*Endpoint, *phone) {
	t.Helper()
	pool := newTestPool(t, 1, opts...)
	leg := must(pool.Allocate())
	ph := newPhone(t)
	leg.SetRemote(ph.addr())
	ep, err := NewEndpoint(leg, PayloadPCMU, WithTelephoneEvent(101))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	if err := ep.Start(); err != nil {
		t.Fatal(err)
	}
	return ep, ph
}

// pressKey sends a key press the way phones do: two updates, three ends.
func (p *phone) pressKey(ep *Endpoint, event uint8) {
	ts := p.ts
	for i, end := range []bool{false, false, true, true, true} {
		payload := TelephoneEvent{Event: event, End: end, Volume: 10, Duration: uint16(160 * (i + 1))}.Marshal()
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: p.seq, Timestamp: ts, SSRC: p.ssrc, Marker: i == 0}, Payload: payload}
		p.seq++
		p.sendRaw(ep.Leg().Addr(), mustMarshal(p.t, &pkt))
	}
	p.ts += 800
}

func TestEndpointVoicemail(t *testing.T) {
	checkGoroutines(t)
	ep, ph := newTestEndpoint(t)

	var f memFile
	rec := must(NewRecorder(&f))
	ep.AddTap(rec)
	var caller atomic.Int64
	ep.AddTap(TapFunc(func(dir Direction, pkt *rtp.Packet) {
		if dir == FromA && pkt.PayloadType == PayloadPCMU {
			caller.Add(1)
		}
	}))

	// The greeting reaches the caller.
	greeting := GenerateTone(1000, 60*time.Millisecond, 0.5)
	if err := ep.Play(context.Background(), greeting); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if pkt := ph.recvRTP(); pkt.PayloadType != PayloadPCMU {
			t.Fatalf("greeting packet %v", pkt.Header)
		}
	}

	// The caller speaks, then presses 1 and #.
	for i := range 25 {
		ph.sendRTP(ep.Leg().Addr(), PayloadPCMU, must(EncodeG711(nil, PayloadPCMU, sine(440, i*160, 160))))
	}
	waitFor(t, "the caller's audio", func() bool { return caller.Load() == 25 })
	ph.pressKey(ep, 1)
	ph.pressKey(ep, 11)

	ctx, cancel := context.WithTimeout(context.Background(), hangTimeout)
	defer cancel()
	reason, key, err := ep.Record(ctx, TapFunc(func(Direction, *rtp.Packet) {}), RecordOptions{StopKeys: "#", MaxLength: time.Hour})
	if err != nil || reason != StoppedByKey || key.Key != '#' {
		t.Fatalf("record stopped by %v (%q), %v; want the # key", reason, key.Key, err)
	}
	if d, err := rec.Close(); err != nil || d < 500*time.Millisecond {
		t.Fatalf("recording of %v, %v", d, err)
	}
	left, right := channels(t, &f)
	if zc := zeroCrossings(left); zc < 430 || zc > 450 {
		t.Errorf("caller's channel crosses zero %d times, want 440 for 0.5 s of 440 Hz", zc)
	}
	if energy(right) == 0 {
		t.Error("the greeting is missing from the right channel")
	}
	if s := ep.Leg().Stats(); s.RTPPacketsIn != 35 || s.RTPPacketsOut != 3 {
		t.Errorf("stats %+v", s)
	}
}

func TestEndpointRecordStops(t *testing.T) {
	noop := TapFunc(func(Direction, *rtp.Packet) {})
	t.Run("silence from the caller ends the recording", func(t *testing.T) {
		checkGoroutines(t)
		ep, ph := newTestEndpoint(t)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { // a caller who says nothing, until the recording ends
			defer close(done)
			quiet := bytes.Repeat([]byte{0xFF}, 160)
			for {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
					ph.sendRTP(ep.Leg().Addr(), PayloadPCMU, quiet)
				}
			}
		}()
		reason, _, err := ep.Record(context.Background(), noop, RecordOptions{Silence: 100 * time.Millisecond, MaxLength: hangTimeout})
		close(stop)
		<-done
		if err != nil || reason != StoppedBySilence {
			t.Fatalf("stopped by %v, %v", reason, err)
		}
	})
	t.Run("a caller who sends nothing is silent by the clock", func(t *testing.T) {
		checkGoroutines(t)
		ep, _ := newTestEndpoint(t)
		reason, _, err := ep.Record(context.Background(), noop, RecordOptions{Silence: 50 * time.Millisecond, MaxLength: hangTimeout})
		if err != nil || reason != StoppedBySilence {
			t.Fatalf("stopped by %v, %v", reason, err)
		}
	})
	t.Run("the maximum length ends the recording", func(t *testing.T) {
		checkGoroutines(t)
		ep, _ := newTestEndpoint(t)
		reason, _, err := ep.Record(context.Background(), noop, RecordOptions{MaxLength: 30 * time.Millisecond})
		if err != nil || reason != StoppedByMaxLength {
			t.Fatalf("stopped by %v, %v", reason, err)
		}
	})
	t.Run("a media timeout ends the recording", func(t *testing.T) {
		checkGoroutines(t)
		ep, _ := newTestEndpoint(t, WithMediaTimeout(30*time.Millisecond))
		reason, _, err := ep.Record(context.Background(), noop, RecordOptions{})
		if err != nil || reason != StoppedByMediaTimeout {
			t.Fatalf("stopped by %v, %v", reason, err)
		}
	})
	t.Run("a canceled context ends the recording with its error", func(t *testing.T) {
		checkGoroutines(t)
		ep, _ := newTestEndpoint(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		reason, _, err := ep.Record(ctx, noop, RecordOptions{})
		if reason != StoppedByContext || !errors.Is(err, context.Canceled) {
			t.Fatalf("stopped by %v, %v", reason, err)
		}
	})
	t.Run("closing the endpoint ends the recording", func(t *testing.T) {
		checkGoroutines(t)
		ep, _ := newTestEndpoint(t)
		go func() {
			time.Sleep(10 * time.Millisecond)
			ep.Close()
		}()
		reason, _, err := ep.Record(context.Background(), noop, RecordOptions{MaxLength: hangTimeout})
		if err != nil || reason != StoppedByClose {
			t.Fatalf("stopped by %v, %v", reason, err)
		}
	})
}

func TestEndpointLifecycle(t *testing.T) {
	checkGoroutines(t)
	pool := newTestPool(t, 2)
	leg, other := must(pool.Allocate()), must(pool.Allocate())
	defer other.Close()
	ep := must(NewEndpoint(leg, PayloadPCMA))
	if _, err := NewEndpoint(leg, PayloadPCMA); !errors.Is(err, ErrLegInUse) {
		t.Errorf("second endpoint on a leg: %v", err)
	}
	if _, err := NewRelay(other, leg); !errors.Is(err, ErrLegInUse) {
		t.Errorf("relay on an endpoint's leg: %v", err)
	}
	if _, err := NewEndpoint(other, 18); !errors.Is(err, ErrUnsupportedCodec) {
		t.Errorf("G.729 endpoint: %v", err)
	}
	if err := ep.Start(); err != nil {
		t.Fatal(err)
	}
	if err := ep.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-ep.Digits(); ok {
		t.Error("Digits not closed")
	}
	wantErr(t, ep.Start(), ErrClosed)
	if err := ep.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if pool.Available() != 1 {
		t.Errorf("the endpoint's leg was not returned: %d available", pool.Available())
	}
}

// A key the party signals outside the media (SIP INFO) is one more key of
// the endpoint's stream: Record's stop keys and Digits readers see it as
// they see an RFC 4733 event.
func TestEndpointSignalDigit(t *testing.T) {
	noop := TapFunc(func(Direction, *rtp.Packet) {})
	tests := []struct {
		name       string
		keys       string // signaled in order, before Record starts
		stopKeys   string
		wantReason StopReason
		wantKey    rune
	}{
		{name: "a signaled # ends the recording", keys: "#", stopKeys: "#", wantReason: StoppedByKey, wantKey: '#'},
		{name: "other keys are skipped until a stop key", keys: "12*#", stopKeys: "#", wantReason: StoppedByKey, wantKey: '#'},
		{name: "a key that is not a stop key does not end it", keys: "5", stopKeys: "#", wantReason: StoppedByMaxLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkGoroutines(t)
			ep, _ := newTestEndpoint(t)
			for _, k := range tt.keys {
				if err := ep.SignalDigit(k); err != nil {
					t.Fatalf("signal %q: %v", k, err)
				}
			}
			reason, key, err := ep.Record(context.Background(), noop, RecordOptions{StopKeys: tt.stopKeys, MaxLength: 100 * time.Millisecond})
			if err != nil || reason != tt.wantReason || key.Key != tt.wantKey {
				t.Fatalf("record stopped by %v (%q), %v; want %v (%q)", reason, key.Key, err, tt.wantReason, tt.wantKey)
			}
			if tt.wantKey != 0 && key.Direction != FromA {
				t.Errorf("the key came %v, want FromA (the party)", key.Direction)
			}
		})
	}
	t.Run("Digits carries signaled and RFC 4733 keys in order", func(t *testing.T) {
		checkGoroutines(t)
		ep, ph := newTestEndpoint(t)
		ph.pressKey(ep, 7)
		waitFor(t, "the RFC 4733 key", func() bool { return len(ep.Digits()) == 1 })
		if err := ep.SignalDigit('9'); err != nil {
			t.Fatal(err)
		}
		var got []rune
		for range 2 {
			select {
			case d := <-ep.Digits():
				got = append(got, d.Key)
			case <-time.After(hangTimeout):
				t.Fatalf("keys so far %q", string(got))
			}
		}
		if string(got) != "79" {
			t.Errorf("keys %q, want \"79\"", string(got))
		}
	})
	t.Run("a key that is not DTMF is refused", func(t *testing.T) {
		ep, _ := newTestEndpoint(t)
		if err := ep.SignalDigit('x'); err == nil {
			t.Fatal("x accepted as a DTMF key")
		}
		if n := len(ep.Digits()); n != 0 {
			t.Errorf("%d keys queued", n)
		}
	})
	t.Run("keys nobody reads are dropped, not blocked on", func(t *testing.T) {
		ep, _ := newTestEndpoint(t)
		for range cap(ep.Digits()) + 10 {
			if err := ep.SignalDigit('1'); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(ep.Digits()); n != cap(ep.Digits()) {
			t.Errorf("%d keys queued, want %d", n, cap(ep.Digits()))
		}
	})
	t.Run("a closed endpoint refuses keys", func(t *testing.T) {
		ep, _ := newTestEndpoint(t)
		if err := ep.Close(); err != nil {
			t.Fatal(err)
		}
		wantErr(t, ep.SignalDigit('#'), ErrClosed)
	})
	t.Run("a key signaled while the endpoint closes neither panics nor leaks", func(t *testing.T) {
		checkGoroutines(t)
		// The SIP side signals from its own goroutines, unordered with the
		// call's hang-up: a send on the closed channel would panic.
		for range 20 {
			ep, _ := newTestEndpoint(t)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for ep.SignalDigit('#') == nil {
				}
			}()
			if err := ep.Close(); err != nil {
				t.Fatal(err)
			}
			<-done
		}
	})
}
