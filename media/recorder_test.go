package media

import (
	"bytes"
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// fakeClock is a recorder clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock               { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }
func sine(freq float64, from, n int) []int16 { // continuous across packets
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(8000 * math.Sin(2*math.Pi*freq*float64(from+i)/8000))
	}
	return out
}

// stream sends one direction's G.711 packets.
type stream struct {
	dir  Direction
	pt   uint8
	seq  uint16
	ts   uint32
	ssrc uint32
	freq float64
	n    int // samples sent
}

func (s *stream) packet() *rtp.Packet {
	payload := must(EncodeG711(nil, s.pt, sine(s.freq, s.n, 160)))
	p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: s.pt, SequenceNumber: s.seq, Timestamp: s.ts, SSRC: s.ssrc}, Payload: payload}
	s.seq++
	s.ts += 160
	s.n += 160
	return p
}

func newTestRecorder(t *testing.T, clock *fakeClock, opts ...RecorderOption) (*Recorder, *memFile) {
	t.Helper()
	var f memFile
	r, err := NewRecorder(&f, opts...)
	if err != nil {
		t.Fatal(err)
	}
	r.now = clock.now
	return r, &f
}

// channels splits a decoded stereo WAV.
func channels(t *testing.T, f *memFile) (left, right []int16) {
	t.Helper()
	w, err := ReadWAV(bytes.NewReader(f.buf))
	if err != nil {
		t.Fatal(err)
	}
	if w.Channels != 2 || w.SampleRate != 8000 {
		t.Fatalf("%d channels at %d Hz", w.Channels, w.SampleRate)
	}
	for i := 0; i+1 < len(w.Samples); i += 2 {
		left = append(left, w.Samples[i])
		right = append(right, w.Samples[i+1])
	}
	return left, right
}

func zeroCrossings(s []int16) int {
	n, prev := 0, int16(0)
	for _, v := range s {
		if v == 0 {
			continue
		}
		if prev != 0 && (v > 0) != (prev > 0) {
			n++
		}
		prev = v
	}
	return n
}

func energy(s []int16) float64 {
	var e float64
	for _, v := range s {
		e += float64(v) * float64(v)
	}
	return e
}

func firstNonZero(s []int16) int {
	for i, v := range s {
		if v != 0 {
			return i
		}
	}
	return -1
}

func TestRecorder(t *testing.T) {
	t.Run("a 440 Hz callee lands on the right and the silent caller's left stays silent", func(t *testing.T) {
		clock := newFakeClock()
		rec, f := newTestRecorder(t, clock)
		callee := &stream{dir: FromB, pt: PayloadPCMU, seq: 1, ts: 5000, ssrc: 7, freq: 440}
		for range 50 { // one second
			rec.Packet(FromB, callee.packet())
			clock.advance(20 * time.Millisecond)
		}
		d, err := rec.Close()
		if err != nil {
			t.Fatal(err)
		}
		if d != time.Second {
			t.Errorf("duration %v, want 1s", d)
		}
		left, right := channels(t, f)
		if len(right) != 8000 {
			t.Fatalf("%d frames, want 8000", len(right))
		}
		if energy(left) != 0 {
			t.Errorf("left channel has energy %v", energy(left))
		}
		if zc := zeroCrossings(right); zc < 870 || zc > 890 { // 440 Hz: 880 a second
			t.Errorf("right channel crosses zero %d times in 1 s, want about 880", zc)
		}
	})

	t.Run("the two directions line up by their first packet's arrival", func(t *testing.T) {
		clock := newFakeClock()
		rec, f := newTestRecorder(t, clock)
		caller := &stream{dir: FromA, pt: PayloadPCMU, seq: 60000, ts: 1 << 31, ssrc: 1, freq: 440}
		callee := &stream{dir: FromB, pt: PayloadPCMA, seq: 5, ts: 12345, ssrc: 2, freq: 1000}
		for i := range 100 {
			rec.Packet(FromA, caller.packet())
			if i >= 25 { // the callee answers 500 ms later
				rec.Packet(FromB, callee.packet())
			}
			clock.advance(20 * time.Millisecond)
		}
		rec.Close()
		left, right := channels(t, f)
		if len(left) != 100*160 {
			t.Fatalf("%d frames", len(left))
		}
		if i := firstNonZero(left); i < 0 || i > 2 {
			t.Errorf("caller starts at sample %d, want 0", i)
		}
		if i := firstNonZero(right); i < 4000 || i > 4002 {
			t.Errorf("callee starts at sample %d, want 4000", i)
		}
		if zc := zeroCrossings(right[4000:12000]); zc < 1990 || zc > 2010 {
			t.Errorf("callee's PCMA 1 kHz crosses zero %d times a second", zc)
		}
	})

	t.Run("a short gap in timestamps is filled with silence", func(t *testing.T) {
		clock := newFakeClock()
		rec, f := newTestRecorder(t, clock)
		s := &stream{pt: PayloadPCMU, ts: 0, ssrc: 3, freq: 440}
		for range 10 {
			rec.Packet(FromA, s.packet())
			clock.advance(20 * time.Millisecond)
		}
		s.ts += 8000 // one second without packets (DTX)
		clock.advance(time.Second)
		for range 10 {
			rec.Packet(FromA, s.packet())
			clock.advance(20 * time.Millisecond)
		}
		d, _ := rec.Close()
		if d != 1400*time.Millisecond {
			t.Errorf("duration %v, want 1.4s", d)
		}
		left, _ := channels(t, f)
		if energy(left[1600:9600]) != 0 {
			t.Error("the gap is not silent")
		}
		if energy(left[9600:]) == 0 {
			t.Error("audio after the gap is missing")
		}
	})

	t.Run("a timestamp jump of an hour inserts at most the maximum gap", func(t *testing.T) {
		clock := newFakeClock()
		rec, _ := newTestRecorder(t, clock)
		s := &stream{pt: PayloadPCMU, ssrc: 3, freq: 440}
		for range 10 {
			rec.Packet(FromA, s.packet())
			clock.advance(20 * time.Millisecond)
		}
		s.ts += 3600 * 8000
		clock.advance(10 * time.Second) // on hold for 10 s
		for range 10 {
			rec.Packet(FromA, s.packet())
			clock.advance(20 * time.Millisecond)
		}
		if d, _ := rec.Close(); d != 5400*time.Millisecond {
			t.Errorf("duration %v, want 0.4s of audio and a 5s gap", d)
		}
	})

	t.Run("a timestamp jump with no pause in arrivals inserts nothing", func(t *testing.T) {
		clock := newFakeClock()
		rec, _ := newTestRecorder(t, clock)
		s := &stream{pt: PayloadPCMU, ssrc: 3, freq: 440}
		for i := range 20 {
			if i == 10 {
				s.ts -= 1 << 30 // the sender restarted its clock
			}
			rec.Packet(FromA, s.packet())
			clock.advance(20 * time.Millisecond)
		}
		if d, _ := rec.Close(); d != 400*time.Millisecond {
			t.Errorf("duration %v, want 0.4s", d)
		}
	})

	t.Run("sequence and timestamp wrap-around play on without a gap", func(t *testing.T) {
		clock := newFakeClock()
		rec, f := newTestRecorder(t, clock)
		s := &stream{pt: PayloadPCMU, seq: 65533, ts: math.MaxUint32 - 479, ssrc: 3, freq: 440}
		for range 10 {
			rec.Packet(FromB, s.packet())
			clock.advance(20 * time.Millisecond)
		}
		if d, _ := rec.Close(); d != 200*time.Millisecond {
			t.Errorf("duration %v, want 0.2s", d)
		}
		_, right := channels(t, f)
		if zc := zeroCrossings(right); zc < 170 || zc > 180 {
			t.Errorf("%d zero crossings in 0.2 s of 440 Hz, want 176", zc)
		}
	})

	t.Run("reordered packets take their place", func(t *testing.T) {
		clock := newFakeClock()
		inOrder, f1 := newTestRecorder(t, clock)
		clock2 := newFakeClock()
		shuffled, f2 := newTestRecorder(t, clock2)
		s1 := &stream{pt: PayloadPCMU, ssrc: 3, freq: 440}
		s2 := &stream{pt: PayloadPCMU, ssrc: 3, freq: 440}
		var pkts []*rtp.Packet
		for range 20 {
			inOrder.Packet(FromA, s1.packet())
			clock.advance(20 * time.Millisecond)
			pkts = append(pkts, s2.packet())
		}
		order := []int{0, 2, 1, 3, 5, 4, 6, 7, 9, 8, 10, 11, 13, 12, 14, 15, 17, 16, 19, 18}
		for _, i := range order {
			shuffled.Packet(FromA, pkts[i])
			clock2.advance(20 * time.Millisecond)
		}
		inOrder.Close()
		shuffled.Close()
		if !bytes.Equal(f1.buf, f2.buf) {
			t.Error("reordering changed the recording")
		}
	})

	t.Run("telephone-events and unknown codecs are ignored", func(t *testing.T) {
		clock := newFakeClock()
		rec, _ := newTestRecorder(t, clock)
		for i := range 10 {
			rec.Packet(FromA, &rtp.Packet{Header: rtp.Header{PayloadType: 101, Timestamp: uint32(i * 160)}, Payload: []byte{11, 0x8a, 0, 160}})
			rec.Packet(FromB, &rtp.Packet{Header: rtp.Header{PayloadType: 111, Timestamp: uint32(i * 160)}, Payload: []byte{1, 2, 3}})
			clock.advance(20 * time.Millisecond)
		}
		if d, _ := rec.Close(); d != 0 {
			t.Errorf("duration %v, want nothing recorded", d)
		}
	})

	t.Run("an announced prompt is mixed over the parties without moving them", func(t *testing.T) {
		clock := newFakeClock()
		rec, f := newTestRecorder(t, clock)
		caller := &stream{pt: PayloadPCMU, ts: 1000, ssrc: 1, freq: 440}
		toA := &stream{pt: PayloadPCMU, ts: 9000, ssrc: 2, freq: 1400} // what A hears: B's side
		toB := &stream{pt: PayloadPCMA, ts: 7000, ssrc: 3, freq: 1400}
		var wantLeft, wantRight []int16
		for i := range 50 {
			p := caller.packet()
			rec.Packet(FromA, p)
			left := must(DecodeG711(nil, p.PayloadType, p.Payload))
			right := make([]int16, 160)
			if i < 25 { // the prompt lasts the first half second
				pa, pb := toA.packet(), toB.packet()
				rec.promptPacket(FromB, pa)
				rec.promptPacket(FromA, pb)
				right = must(DecodeG711(nil, pa.PayloadType, pa.Payload))
				for j, v := range must(DecodeG711(nil, pb.PayloadType, pb.Payload)) {
					left[j] = int16(min(max(int32(left[j])+int32(v), math.MinInt16), math.MaxInt16))
				}
			}
			wantLeft, wantRight = append(wantLeft, left...), append(wantRight, right...)
			clock.advance(20 * time.Millisecond)
		}
		if d, err := rec.Close(); err != nil || d != time.Second {
			t.Fatalf("duration %v (%v), want 1s: the prompt must not push the caller along", d, err)
		}
		left, right := channels(t, f)
		if !slices.Equal(left, wantLeft) {
			t.Error("left is not the caller with the prompt B hears mixed in")
		}
		if !slices.Equal(right, wantRight) {
			t.Error("right is not the prompt A hears, then silence")
		}
	})

	t.Run("a mono recording keeps one party", func(t *testing.T) {
		clock := newFakeClock()
		path := filepath.Join(t.TempDir(), "voicemail.wav")
		rec, err := OpenRecorder(path, RecordMono(FromA))
		if err != nil {
			t.Fatal(err)
		}
		rec.now = clock.now
		caller := &stream{pt: PayloadPCMU, ssrc: 1, freq: 440}
		prompt := &stream{pt: PayloadPCMU, ssrc: 2, freq: 1000}
		for range 25 {
			rec.Packet(FromA, caller.packet())
			rec.Packet(FromB, prompt.packet())
			clock.advance(20 * time.Millisecond)
		}
		if d, err := rec.Close(); err != nil || d != 500*time.Millisecond {
			t.Fatalf("close: %v %v", d, err)
		}
		rec.Packet(FromA, caller.packet()) // after Close: ignored, no panic
		w, err := ReadWAVFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if w.Channels != 1 || len(w.Samples) != 4000 {
			t.Fatalf("%d channels, %d samples", w.Channels, len(w.Samples))
		}
		if zc := zeroCrossings(w.Samples); zc < 430 || zc > 450 {
			t.Errorf("%d zero crossings in 0.5 s, want 440 (the caller's tone only)", zc)
		}
	})
}

// discard is an io.WriteSeeker that keeps nothing.
type discard struct{}

func (discard) Write(p []byte) (int, error)    { return len(p), nil }
func (discard) Seek(int64, int) (int64, error) { return 0, nil }

func BenchmarkRecorder(b *testing.B) {
	rec := must(NewRecorder(discard{}))
	s := &stream{pt: PayloadPCMU, ssrc: 1, freq: 440}
	pkt := s.packet()
	clock := newFakeClock()
	rec.now = clock.now
	b.ReportAllocs()
	for b.Loop() {
		rec.Packet(FromA, pkt)
		pkt.Timestamp += 160
		clock.advance(20 * time.Millisecond)
	}
}
