package media

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"time"
)

const wavHeaderSize = 44

// WAVWriter writes 16-bit PCM to a RIFF WAVE file. The header is written
// first with zero sizes and completed by Close, so the file is valid
// (if empty-looking) even when the writer never closes.
type WAVWriter struct {
	w          io.WriteSeeker
	bw         *bufio.Writer
	sampleRate int
	channels   int
	dataBytes  int64
	buf        []byte
	closed     bool
}

// NewWAVWriter writes a WAVE header for 16-bit PCM at sampleRate with
// channels interleaved channels and returns the writer.
func NewWAVWriter(w io.WriteSeeker, sampleRate, channels int) (*WAVWriter, error) {
	if sampleRate <= 0 || channels < 1 || channels > 2 {
		return nil, fmt.Errorf("new wav writer: %w: %d Hz, %d channels", ErrUnsupportedWAV, sampleRate, channels)
	}
	ww := &WAVWriter{w: w, bw: bufio.NewWriterSize(w, 64<<10), sampleRate: sampleRate, channels: channels}
	if _, err := ww.bw.Write(ww.header()); err != nil {
		return nil, fmt.Errorf("write wav header: %w", err)
	}
	return ww, nil
}

func (ww *WAVWriter) header() []byte {
	h := make([]byte, wavHeaderSize)
	le := binary.LittleEndian
	copy(h[0:], "RIFF")
	le.PutUint32(h[4:], uint32(min(36+ww.dataBytes, 1<<32-1)))
	copy(h[8:], "WAVE")
	copy(h[12:], "fmt ")
	le.PutUint32(h[16:], 16)
	le.PutUint16(h[20:], 1) // PCM
	le.PutUint16(h[22:], uint16(ww.channels))
	le.PutUint32(h[24:], uint32(ww.sampleRate))
	le.PutUint32(h[28:], uint32(ww.sampleRate*ww.channels*2))
	le.PutUint16(h[32:], uint16(ww.channels*2))
	le.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	le.PutUint32(h[40:], uint32(min(ww.dataBytes, 1<<32-1-36)))
	return h
}

// Write appends interleaved samples (a multiple of the channel count).
func (ww *WAVWriter) Write(samples []int16) error {
	if ww.closed {
		return fmt.Errorf("write wav: %w", ErrClosed)
	}
	ww.buf = ww.buf[:0]
	for _, s := range samples {
		ww.buf = binary.LittleEndian.AppendUint16(ww.buf, uint16(s))
	}
	n, err := ww.bw.Write(ww.buf)
	ww.dataBytes += int64(n)
	if err != nil {
		return fmt.Errorf("write wav samples: %w", err)
	}
	return nil
}

// Duration returns the length of the audio written so far.
func (ww *WAVWriter) Duration() time.Duration {
	frames := ww.dataBytes / int64(2*ww.channels)
	return time.Duration(frames) * time.Second / time.Duration(ww.sampleRate)
}

// Close flushes the samples and writes the final sizes into the header.
// It does not close the underlying writer.
func (ww *WAVWriter) Close() error {
	if ww.closed {
		return nil
	}
	ww.closed = true
	if err := ww.bw.Flush(); err != nil {
		return fmt.Errorf("flush wav: %w", err)
	}
	if _, err := ww.w.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("finalize wav header: %w", err)
	}
	if _, err := ww.w.Write(ww.header()); err != nil {
		return fmt.Errorf("finalize wav header: %w", err)
	}
	if _, err := ww.w.Seek(0, io.SeekEnd); err != nil {
		return fmt.Errorf("finalize wav header: %w", err)
	}
	return nil
}

// WAV is decoded 16-bit PCM audio.
type WAV struct {
	SampleRate int
	Channels   int
	// Samples are interleaved when Channels is 2.
	Samples []int16
}

// Duration returns the length of the audio.
func (w *WAV) Duration() time.Duration {
	if w.SampleRate == 0 || w.Channels == 0 {
		return 0
	}
	return time.Duration(len(w.Samples)/w.Channels) * time.Second / time.Duration(w.SampleRate)
}

// maxWAVData bounds what ReadWAV loads: an hour of 8 kHz stereo is 115 MB.
const maxWAVData = 256 << 20

// ReadWAV reads a RIFF WAVE file of 16-bit PCM (any rate, 1 or 2
// channels). Chunks other than fmt and data are skipped; a data size
// larger than the file (a writer that never finalized) reads to the end.
func ReadWAV(r io.Reader) (*WAV, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("read wav: %w: %w", ErrInvalidWAV, err)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, fmt.Errorf("read wav: %w: not RIFF/WAVE", ErrInvalidWAV)
	}
	le := binary.LittleEndian
	var w *WAV
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return nil, fmt.Errorf("read wav: %w: no data chunk: %w", ErrInvalidWAV, err)
		}
		id, size := string(ch[0:4]), int64(le.Uint32(ch[4:]))
		switch id {
		case "fmt ":
			if size < 16 || size > 1<<16 {
				return nil, fmt.Errorf("read wav: %w: fmt chunk of %d bytes", ErrInvalidWAV, size)
			}
			f := make([]byte, size+size%2)
			if _, err := io.ReadFull(r, f); err != nil {
				return nil, fmt.Errorf("read wav: %w: fmt chunk: %w", ErrInvalidWAV, err)
			}
			format, channels, rate, bitsPer := le.Uint16(f[0:]), int(le.Uint16(f[2:])), int(le.Uint32(f[4:])), le.Uint16(f[14:])
			if format == 0xFFFE && size >= 26 { // WAVE_FORMAT_EXTENSIBLE: the subformat says
				format = le.Uint16(f[24:])
			}
			if format != 1 || bitsPer != 16 || channels < 1 || channels > 2 || rate <= 0 {
				return nil, fmt.Errorf("read wav: %w: format %d, %d bits, %d channels, %d Hz", ErrUnsupportedWAV, format, bitsPer, channels, rate)
			}
			w = &WAV{SampleRate: rate, Channels: channels}
		case "data":
			if w == nil {
				return nil, fmt.Errorf("read wav: %w: data before fmt", ErrInvalidWAV)
			}
			data, err := io.ReadAll(io.LimitReader(r, min(size, maxWAVData)))
			if err != nil {
				return nil, fmt.Errorf("read wav data: %w", err)
			}
			frame := 2 * w.Channels
			data = data[:len(data)/frame*frame]
			w.Samples = make([]int16, len(data)/2)
			for i := range w.Samples {
				w.Samples[i] = int16(le.Uint16(data[2*i:]))
			}
			return w, nil
		default:
			if _, err := io.CopyN(io.Discard, r, size+size%2); err != nil {
				return nil, fmt.Errorf("read wav: %w: chunk %q: %w", ErrInvalidWAV, id, err)
			}
		}
	}
}

// ReadWAVFile reads a WAV file (see ReadWAV).
func ReadWAVFile(path string) (*WAV, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read wav: %w", err)
	}
	defer f.Close()
	w, err := ReadWAV(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}
