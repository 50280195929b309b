package media

import "errors"

var (
	// ErrPoolExhausted is returned by Pool.Allocate when every RTP/RTCP
	// port pair of the range is in use (or could not be bound).
	ErrPoolExhausted = errors.New("media: port pool exhausted")
	// ErrInvalidPortRange is returned by NewPool for a range that holds no
	// even RTP port with its RTCP port above it.
	ErrInvalidPortRange = errors.New("media: invalid port range")
	// ErrClosed is returned by operations on a closed Leg, Relay, Endpoint
	// or Recorder.
	ErrClosed = errors.New("media: closed")
	// ErrLegInUse is returned when a Leg is handed to a second Relay or
	// Endpoint, or started twice.
	ErrLegInUse = errors.New("media: leg already in use")
	// ErrNoRemote is returned when a Player has no address to send to: the
	// leg has neither an SDP address nor a latched one.
	ErrNoRemote = errors.New("media: leg has no remote address")

	// ErrInvalidSDP wraps a body that github.com/pion/sdp/v3 cannot parse.
	ErrInvalidSDP = errors.New("media: invalid SDP")
	// ErrNoAudio is returned when an SDP body has no audio stream, or its
	// audio stream is disabled (port 0).
	ErrNoAudio = errors.New("media: no audio stream")
	// ErrNoCommonCodec is returned when an offer and its answer share no
	// audio codec (telephone-event and comfort noise do not count). A
	// switch answers such a call with 488 Not Acceptable Here.
	ErrNoCommonCodec = errors.New("media: no common audio codec")
	// ErrInvalidAddress is returned for an IP address or port that cannot
	// be used in SDP or as a socket address.
	ErrInvalidAddress = errors.New("media: invalid address")
	// ErrMediaLoop is returned by Pool.CheckRemote for an SDP address that
	// is one of the switch's own media ports: relaying there would loop.
	// A switch answers such an offer with 488 Not Acceptable Here.
	ErrMediaLoop = errors.New("media: address is one of the switch's own media ports")

	// ErrUnsupportedCodec is returned when a Player or Endpoint is asked to
	// send a payload type other than PCMU (0) or PCMA (8).
	ErrUnsupportedCodec = errors.New("media: unsupported codec")
	// ErrInvalidWAV is returned by ReadWAV for a body that is not a RIFF
	// WAVE file.
	ErrInvalidWAV = errors.New("media: invalid WAV")
	// ErrUnsupportedWAV is returned by ReadWAV for a WAVE file that is not
	// 16-bit PCM, and by prompt loaders for one that is not 8 kHz mono.
	ErrUnsupportedWAV = errors.New("media: unsupported WAV format")
	// ErrUnknownPhrase is returned by Say for a phrase it has no
	// recording of.
	ErrUnknownPhrase = errors.New("media: no such spoken phrase")
	// ErrShortPayload is returned when an RFC 4733 telephone-event payload
	// is shorter than its 4 bytes.
	ErrShortPayload = errors.New("media: telephone-event payload too short")
)
