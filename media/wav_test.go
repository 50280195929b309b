package media

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
	"time"
)

// memFile is an in-memory io.WriteSeeker.
type memFile struct {
	buf []byte
	off int
}

func (m *memFile) Write(p []byte) (int, error) {
	if need := m.off + len(p); need > len(m.buf) {
		m.buf = append(m.buf, make([]byte, need-len(m.buf))...)
	}
	copy(m.buf[m.off:], p)
	m.off += len(p)
	return len(p), nil
}

func (m *memFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		m.off = int(offset)
	case io.SeekCurrent:
		m.off += int(offset)
	case io.SeekEnd:
		m.off = len(m.buf) + int(offset)
	}
	return int64(m.off), nil
}

func TestWAVWriter(t *testing.T) {
	t.Run("a stereo file has a complete header and reads back", func(t *testing.T) {
		var f memFile
		w := must(NewWAVWriter(&f, 8000, 2))
		frames := []int16{1, -1, 2, -2, 32767, -32768}
		if err := w.Write(frames); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if w.Duration() != 3*time.Second/8000 {
			t.Errorf("duration %v", w.Duration())
		}
		b := f.buf
		le := binary.LittleEndian
		checks := []struct {
			name      string
			got, want uint32
		}{
			{"RIFF size", le.Uint32(b[4:]), uint32(len(b) - 8)},
			{"fmt size", le.Uint32(b[16:]), 16},
			{"format", uint32(le.Uint16(b[20:])), 1},
			{"channels", uint32(le.Uint16(b[22:])), 2},
			{"rate", le.Uint32(b[24:]), 8000},
			{"byte rate", le.Uint32(b[28:]), 32000},
			{"block align", uint32(le.Uint16(b[32:])), 4},
			{"bits", uint32(le.Uint16(b[34:])), 16},
			{"data size", le.Uint32(b[40:]), 12},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
			}
		}
		if string(b[0:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " || string(b[36:40]) != "data" {
			t.Errorf("header %q", b[:44])
		}
		got := must(ReadWAV(bytes.NewReader(b)))
		if got.Channels != 2 || got.SampleRate != 8000 || len(got.Samples) != len(frames) {
			t.Fatalf("read %+v", got)
		}
		for i := range frames {
			if got.Samples[i] != frames[i] {
				t.Errorf("sample %d = %d, want %d", i, got.Samples[i], frames[i])
			}
		}
	})
	t.Run("writing after Close fails", func(t *testing.T) {
		var f memFile
		w := must(NewWAVWriter(&f, 8000, 1))
		w.Close()
		wantErr(t, w.Write([]int16{1}), ErrClosed)
	})
	t.Run("three channels are not supported", func(t *testing.T) {
		_, err := NewWAVWriter(&memFile{}, 8000, 3)
		wantErr(t, err, ErrUnsupportedWAV)
	})
}

// wavBytes builds a WAVE file by hand.
func wavBytes(format, channels uint16, rate uint32, bits uint16, extra []byte, data []byte) []byte {
	le := binary.LittleEndian
	var b []byte
	b = append(b, "RIFF"...)
	b = le.AppendUint32(b, 0)
	b = append(b, "WAVE"...)
	b = append(b, "fmt "...)
	b = le.AppendUint32(b, 16)
	b = le.AppendUint16(b, format)
	b = le.AppendUint16(b, channels)
	b = le.AppendUint32(b, rate)
	b = le.AppendUint32(b, rate*uint32(channels)*uint32(bits)/8)
	b = le.AppendUint16(b, channels*bits/8)
	b = le.AppendUint16(b, bits)
	b = append(b, extra...)
	b = append(b, "data"...)
	b = le.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

func TestReadWAV(t *testing.T) {
	pcm := []byte{1, 0, 2, 0, 3, 0, 4, 0}
	list := append(append([]byte("LIST"), 3, 0, 0, 0), 'a', 'b', 'c', 0) // odd size, padded
	tests := []struct {
		name    string
		in      []byte
		samples int
		err     error
	}{
		{name: "a mono prompt reads", in: wavBytes(1, 1, 8000, 16, nil, pcm), samples: 4},
		{name: "an unknown chunk with odd size is skipped", in: wavBytes(1, 1, 8000, 16, list, pcm), samples: 4},
		{name: "a data size past the end reads what is there", in: append(wavBytes(1, 1, 8000, 16, nil, nil)[:40], 0xff, 0xff, 0xff, 0x7f, 5, 0, 6, 0), samples: 2},
		{name: "8-bit audio is unsupported", in: wavBytes(1, 1, 8000, 8, nil, pcm), err: ErrUnsupportedWAV},
		{name: "µ-law WAV is unsupported", in: wavBytes(7, 1, 8000, 16, nil, pcm), err: ErrUnsupportedWAV},
		{name: "a text file is not a WAV", in: []byte("hello, this is not audio"), err: ErrInvalidWAV},
		{name: "a truncated header is not a WAV", in: []byte("RIFF"), err: ErrInvalidWAV},
		{name: "a file without data is not a WAV", in: wavBytes(1, 1, 8000, 16, nil, nil)[:36], err: ErrInvalidWAV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := ReadWAV(bytes.NewReader(tt.in))
			if tt.err != nil {
				wantErr(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(w.Samples) != tt.samples {
				t.Errorf("%d samples, want %d", len(w.Samples), tt.samples)
			}
		})
	}
	t.Run("a prompt must be 8 kHz mono", func(t *testing.T) {
		_, err := LoadPrompt(bytes.NewReader(wavBytes(1, 1, 16000, 16, nil, pcm)))
		wantErr(t, err, ErrUnsupportedWAV)
		_, err = LoadPrompt(bytes.NewReader(wavBytes(1, 2, 8000, 16, nil, pcm)))
		wantErr(t, err, ErrUnsupportedWAV)
		if s := must(LoadPrompt(bytes.NewReader(wavBytes(1, 1, 8000, 16, nil, pcm)))); len(s) != 4 || s[3] != 4 {
			t.Errorf("samples %v", s)
		}
	})
}

func FuzzReadWAV(f *testing.F) {
	f.Add(wavBytes(1, 1, 8000, 16, nil, []byte{1, 0, 2, 0}))
	f.Add(wavBytes(1, 2, 44100, 16, []byte("LIST\x01\x00\x00\x00x\x00"), []byte{1, 0, 2, 0}))
	f.Add(wavBytes(0xFFFE, 1, 8000, 16, nil, nil))
	f.Fuzz(func(t *testing.T, in []byte) {
		w, err := ReadWAV(bytes.NewReader(in))
		if err != nil {
			return
		}
		if w.Channels < 1 || w.Channels > 2 || len(w.Samples)%w.Channels != 0 {
			t.Fatalf("inconsistent result %d channels, %d samples", w.Channels, len(w.Samples))
		}
	})
}
