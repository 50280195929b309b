package amd

import (
	"encoding/binary"
	"testing"
	"time"
)

// FuzzFeed feeds arbitrary audio in arbitrary frame sizes: no panic, a
// decision by TotalAnalysisTime, and a cue by MaxDropWait.
func FuzzFeed(f *testing.F) {
	f.Add([]byte{}, uint8(160))
	f.Add(make([]byte, 640), uint8(160))
	f.Add([]byte{0xff, 0x7f, 0x00, 0x80, 0x01, 0x00}, uint8(3))
	f.Add(le(synth(1, 300, segment{kind: "speech", dur: ms(800)}, segment{kind: "tone", dur: ms(300), hz: 1000})), uint8(160))
	f.Fuzz(func(t *testing.T, data []byte, size uint8) {
		audio := make([]int16, len(data)/2)
		for i := range audio {
			audio[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
		}
		n := max(1, int(size))
		frame := make([]int16, n)
		cfg := Config{MaxDropWait: 5 * time.Second} // keeps runs with tiny frames short
		d, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		// The audio repeats until the deadline passes.
		var at time.Duration
		var dec Decision
		decided := false
		for k := 0; !decided; k++ {
			if at > DefaultConfig().TotalAnalysisTime {
				t.Fatalf("no decision at %v", at)
			}
			fill(frame, audio, k*n)
			dec, decided = d.Feed(frame, at)
			at += samplesDuration(n)
		}
		if dec.At > DefaultConfig().TotalAnalysisTime+samplesDuration(n) || dec.GreetingEnd > dec.At {
			t.Fatalf("decision %+v after %v", dec, at)
		}
		b := d.BeepOrEnd()
		for k := 0; ; k++ {
			if at > cfg.MaxDropWait {
				t.Fatalf("no cue at %v", at)
			}
			fill(frame, audio, k*n)
			if cue, ok := b.Feed(frame, at); ok {
				if cue.At < at {
					t.Fatalf("cue %+v in the past at %v", cue, at)
				}
				return
			}
			at += samplesDuration(n)
		}
	})
}

// fill copies audio from offset into frame, wrapping; silence if none.
func fill(frame, audio []int16, offset int) {
	for i := range frame {
		if len(audio) == 0 {
			frame[i] = 0
			continue
		}
		frame[i] = audio[(offset+i)%len(audio)]
	}
}

func le(pcm []int16) []byte {
	b := make([]byte, 2*len(pcm))
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	return b
}
