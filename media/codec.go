package media

import (
	"strconv"
	"strings"
)

// Static payload types the switch can decode and send.
const (
	// PayloadPCMU is G.711 µ-law at 8 kHz (RFC 3551).
	PayloadPCMU uint8 = 0
	// PayloadPCMA is G.711 A-law at 8 kHz (RFC 3551).
	PayloadPCMA uint8 = 8
	// DefaultTelephoneEvent is the dynamic payload type the switch offers
	// for RFC 4733 telephone-events when it writes SDP itself.
	DefaultTelephoneEvent uint8 = 101
)

// Codec is one payload format of an SDP media description.
type Codec struct {
	PayloadType uint8
	// Name is the encoding name as the SDP spells it ("PCMU", "opus",
	// "telephone-event").
	Name      string
	ClockRate uint32
	// Channels is 1 unless the rtpmap says otherwise.
	Channels int
	// Fmtp is the value of the a=fmtp line for this payload type, if any.
	Fmtp string
}

// String returns the rtpmap form: "PCMU/8000", "opus/48000/2".
func (c Codec) String() string {
	s := c.Name + "/" + strconv.FormatUint(uint64(c.ClockRate), 10)
	if c.Channels > 1 {
		s += "/" + strconv.Itoa(c.Channels)
	}
	return s
}

// IsAudio reports whether c carries sound: telephone-event, comfort noise
// and redundancy formats do not.
func (c Codec) IsAudio() bool {
	switch strings.ToLower(c.Name) {
	case "telephone-event", "cn", "red", "":
		return false
	}
	return true
}

// IsTelephoneEvent reports whether c is RFC 4733 telephone-event.
func (c Codec) IsTelephoneEvent() bool { return strings.EqualFold(c.Name, "telephone-event") }

// matches reports whether c and o are the same format, whatever their
// payload type numbers.
func (c Codec) matches(o Codec) bool {
	return strings.EqualFold(c.Name, o.Name) && c.ClockRate == o.ClockRate && max(c.Channels, 1) == max(o.Channels, 1)
}

// staticCodecs are the audio payload types RFC 3551 assigns, used when an
// SDP has no rtpmap for them.
var staticCodecs = map[uint8]Codec{
	0:  {PayloadType: 0, Name: "PCMU", ClockRate: 8000, Channels: 1},
	3:  {PayloadType: 3, Name: "GSM", ClockRate: 8000, Channels: 1},
	4:  {PayloadType: 4, Name: "G723", ClockRate: 8000, Channels: 1},
	5:  {PayloadType: 5, Name: "DVI4", ClockRate: 8000, Channels: 1},
	6:  {PayloadType: 6, Name: "DVI4", ClockRate: 16000, Channels: 1},
	7:  {PayloadType: 7, Name: "LPC", ClockRate: 8000, Channels: 1},
	8:  {PayloadType: 8, Name: "PCMA", ClockRate: 8000, Channels: 1},
	9:  {PayloadType: 9, Name: "G722", ClockRate: 8000, Channels: 1},
	10: {PayloadType: 10, Name: "L16", ClockRate: 44100, Channels: 2},
	11: {PayloadType: 11, Name: "L16", ClockRate: 44100, Channels: 1},
	12: {PayloadType: 12, Name: "QCELP", ClockRate: 8000, Channels: 1},
	13: {PayloadType: 13, Name: "CN", ClockRate: 8000, Channels: 1},
	14: {PayloadType: 14, Name: "MPA", ClockRate: 90000, Channels: 1},
	15: {PayloadType: 15, Name: "G728", ClockRate: 8000, Channels: 1},
	16: {PayloadType: 16, Name: "DVI4", ClockRate: 11025, Channels: 1},
	17: {PayloadType: 17, Name: "DVI4", ClockRate: 22050, Channels: 1},
	18: {PayloadType: 18, Name: "G729", ClockRate: 8000, Channels: 1},
}

// parseRtpmap parses "<pt> <name>/<rate>[/<channels>]".
func parseRtpmap(v string) (pt uint8, c Codec, ok bool) {
	ptStr, enc, found := strings.Cut(strings.TrimSpace(v), " ")
	if !found {
		return 0, Codec{}, false
	}
	n, err := strconv.ParseUint(ptStr, 10, 7)
	if err != nil {
		return 0, Codec{}, false
	}
	parts := strings.Split(strings.TrimSpace(enc), "/")
	if len(parts) < 2 || parts[0] == "" {
		return 0, Codec{}, false
	}
	rate, err := strconv.ParseUint(parts[1], 10, 32)
	if err != nil {
		return 0, Codec{}, false
	}
	c = Codec{PayloadType: uint8(n), Name: parts[0], ClockRate: uint32(rate), Channels: 1}
	if len(parts) > 2 {
		ch, err := strconv.Atoi(parts[2])
		if err != nil || ch < 1 {
			return 0, Codec{}, false
		}
		c.Channels = ch
	}
	return uint8(n), c, true
}
