package media

import (
	"sync"
	"time"

	"github.com/pion/rtp"
)

// DefaultSilenceLevel is the mean absolute sample value (of 32767) below
// which a packet counts as silence: about -38 dBFS, above line noise and
// below speech.
const DefaultSilenceLevel = 400

// SilenceDetector is a Tap that notices when one direction has been
// silent for a while: its G.711 packets are quiet, it sends comfort noise
// or nothing at all. It counts silence in RTP time (quiet packets and
// timestamp gaps), and Check adds wall-clock time since the last voiced
// packet for a party that stopped sending.
type SilenceDetector struct {
	dir   Direction
	level int
	limit int64 // samples

	mu        sync.Mutex
	run       int64 // silent samples in a row
	hasLast   bool
	ssrc      uint32
	nextTS    uint32
	lastVoice time.Time
	silent    chan struct{}
	fired     bool
	dec       []int16
}

// NewSilenceDetector reports (Silent) when the audio sent from dir stays
// below level (DefaultSilenceLevel if 0) for d.
func NewSilenceDetector(dir Direction, d time.Duration, level int) *SilenceDetector {
	if level <= 0 {
		level = DefaultSilenceLevel
	}
	return &SilenceDetector{
		dir:       dir,
		level:     level,
		limit:     max(int64(d)/nsPerSample, 1),
		lastVoice: time.Now(),
		silent:    make(chan struct{}),
	}
}

// Silent returns a channel closed once the silence has lasted.
func (s *SilenceDetector) Silent() <-chan struct{} { return s.silent }

// Packet looks at one RTP packet (it implements Tap).
func (s *SilenceDetector) Packet(dir Direction, pkt *rtp.Packet) {
	if dir != s.dir {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fired {
		return
	}
	if s.hasLast && pkt.SSRC == s.ssrc {
		if gap := int32(pkt.Timestamp - s.nextTS); gap > 0 {
			s.run += int64(gap) // nothing was sent: silence (DTX)
		}
		if s.run >= s.limit {
			s.fire()
			return
		}
	}
	s.hasLast, s.ssrc = true, pkt.SSRC
	var err error
	s.dec, err = DecodeG711(s.dec[:0], pkt.PayloadType, pkt.Payload)
	switch {
	case err != nil || len(s.dec) == 0:
		// comfort noise, events, other codecs: no voice
		s.nextTS = pkt.Timestamp
	case meanAbs(s.dec) >= s.level:
		s.run = 0
		s.lastVoice = time.Now()
		s.nextTS = pkt.Timestamp + uint32(len(s.dec))
	default:
		s.run += int64(len(s.dec))
		s.nextTS = pkt.Timestamp + uint32(len(s.dec))
	}
	if s.run >= s.limit {
		s.fire()
	}
}

// Check reports silence by the wall clock: nothing voiced arrived for the
// detector's duration before now. Call it on a ticker.
func (s *SilenceDetector) Check(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.fired && now.Sub(s.lastVoice) >= time.Duration(s.limit*nsPerSample) {
		s.fire()
	}
}

func (s *SilenceDetector) fire() {
	if !s.fired {
		s.fired = true
		close(s.silent)
	}
}

func meanAbs(samples []int16) int {
	var sum int64
	for _, v := range samples {
		if v < 0 {
			sum -= int64(v)
		} else {
			sum += int64(v)
		}
	}
	return int(sum / int64(len(samples)))
}
