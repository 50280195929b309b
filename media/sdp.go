package media

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/pion/sdp/v3"
)

// Mode is the direction attribute of an audio stream (RFC 3264).
type Mode string

// The four modes; a stream without a direction attribute is SendRecv.
const (
	SendRecv Mode = "sendrecv"
	SendOnly Mode = "sendonly"
	RecvOnly Mode = "recvonly"
	Inactive Mode = "inactive"
)

// Description is what the switch needs from an SDP body: the first audio
// stream's destination, formats and direction.
type Description struct {
	// Remote is where the party wants its audio: the media-level c=
	// address (else the session-level one) and the m=audio port. Its
	// address is unspecified (0.0.0.0) for an RFC 2543 hold.
	Remote netip.AddrPort
	// Codecs are the stream's formats in the SDP's order of preference.
	Codecs []Codec
	// Mode is the stream's direction (media-level over session-level).
	Mode Mode
	// PacketTime is the a=ptime value, 0 when absent.
	PacketTime time.Duration
}

// Hold reports whether the stream is held: any mode but sendrecv, or a
// c=0.0.0.0 address.
func (d *Description) Hold() bool {
	return d.Mode != SendRecv || d.Remote.Addr().IsUnspecified()
}

// TelephoneEvent returns the stream's telephone-event format at 8 kHz, if
// offered.
func (d *Description) TelephoneEvent() (Codec, bool) {
	for _, c := range d.Codecs {
		if c.IsTelephoneEvent() && c.ClockRate == 8000 {
			return c, true
		}
	}
	return Codec{}, false
}

// Parse reads the first audio stream of an SDP body. It fails with
// ErrInvalidSDP for a body pion/sdp cannot parse and ErrNoAudio when there
// is no audio stream or it is disabled (port 0).
func Parse(body []byte) (*Description, error) {
	sd, err := unmarshal(body)
	if err != nil {
		return nil, err
	}
	return describe(sd)
}

// Parsed is an SDP body parsed once, for both what Parse reads from it
// and Rewrite: anchoring a body needs both, and parsing is most of their
// cost.
type Parsed struct {
	*Description
	sd *sdp.SessionDescription // rewritten in place by Rewrite
}

// ParseForRewrite is Parse keeping the parsed body for one Rewrite.
func ParseForRewrite(body []byte) (*Parsed, error) {
	sd, err := unmarshal(body)
	if err != nil {
		return nil, err
	}
	return ParsedSession(sd)
}

// ParsedSession is ParseForRewrite of a body the caller has parsed with
// pion/sdp already (and leaves to p from now on).
func ParsedSession(sd *sdp.SessionDescription) (*Parsed, error) {
	d, err := describe(sd)
	if err != nil {
		return nil, err
	}
	return &Parsed{Description: d, sd: sd}, nil
}

// Rewrite is Rewrite of the body p was parsed from; call it once (the
// Description stays as parsed).
func (p *Parsed) Rewrite(ip string, rtpPort int) ([]byte, error) {
	if p.sd == nil {
		return nil, fmt.Errorf("rewrite sdp: %w: rewritten already", ErrInvalidSDP)
	}
	addr, err := checkRewriteTarget(ip, rtpPort)
	if err != nil {
		return nil, err
	}
	sd := p.sd
	p.sd = nil
	return rewrite(sd, addr, rtpPort)
}

// describe is Parse of a parsed body.
func describe(sd *sdp.SessionDescription) (*Description, error) {
	m := firstAudio(sd)
	if m == nil {
		return nil, fmt.Errorf("parse sdp: %w", ErrNoAudio)
	}
	if m.MediaName.Port.Value <= 0 || m.MediaName.Port.Value > 65535 {
		return nil, fmt.Errorf("parse sdp: %w: audio port %d", ErrNoAudio, m.MediaName.Port.Value)
	}
	conn := m.ConnectionInformation
	if conn == nil {
		conn = sd.ConnectionInformation
	}
	if conn == nil || conn.Address == nil {
		return nil, fmt.Errorf("parse sdp: %w: no connection address for audio", ErrInvalidSDP)
	}
	ip, err := netip.ParseAddr(conn.Address.Address)
	if err != nil {
		return nil, fmt.Errorf("parse sdp: %w: connection address %q", ErrInvalidAddress, conn.Address.Address)
	}
	d := &Description{
		Remote: netip.AddrPortFrom(ip.Unmap(), uint16(m.MediaName.Port.Value)),
		Codecs: codecs(m),
		Mode:   mode(sd, m),
	}
	if v, ok := m.Attribute("ptime"); ok {
		if ms, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && ms > 0 && ms < 10000 {
			d.PacketTime = time.Duration(ms * float64(time.Millisecond))
		}
	}
	return d, nil
}

// Remote returns where the party that wrote body wants its audio sent:
// the media-level c= of the first audio stream over the session-level
// one, and its port. Give it to Leg.SetRemote.
func Remote(body []byte) (netip.AddrPort, error) {
	d, err := Parse(body)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return d.Remote, nil
}

// Codecs lists the formats of the first audio stream, in order, with the
// names of static payload types filled in (0 PCMU, 8 PCMA...).
func Codecs(body []byte) ([]Codec, error) {
	d, err := Parse(body)
	if err != nil {
		return nil, err
	}
	return d.Codecs, nil
}

// IsHold reports whether body puts its audio stream on hold: a sendonly,
// recvonly or inactive direction, or a c=0.0.0.0 address.
func IsHold(body []byte) (bool, error) {
	d, err := Parse(body)
	if err != nil {
		return false, err
	}
	return d.Hold(), nil
}

// CommonCodecs returns the formats of the answer's audio stream that the
// offer's audio stream also lists (same name, clock rate and channels,
// whatever the payload type numbers), in the answer's order. It fails with
// ErrNoCommonCodec when none of them is an audio codec (telephone-event
// and comfort noise alone do not make a call) or the answer rejected the
// stream (port 0).
func CommonCodecs(offer, answer []byte) ([]Codec, error) {
	o, err := Parse(offer)
	if err != nil {
		return nil, fmt.Errorf("offer: %w", err)
	}
	a, err := Parse(answer)
	return Common(o, a, err)
}

// Common is CommonCodecs for an offer and an answer already parsed (err:
// the answer's Parse error), so a caller that needs them anyway parses
// each body once.
func Common(o, a *Description, err error) ([]Codec, error) {
	if err != nil {
		if errors.Is(err, ErrNoAudio) {
			return nil, fmt.Errorf("answer: %w: %w", ErrNoCommonCodec, err)
		}
		return nil, fmt.Errorf("answer: %w", err)
	}
	var common []Codec
	audio := false
	for _, c := range a.Codecs {
		for _, oc := range o.Codecs {
			if c.matches(oc) {
				common = append(common, c)
				audio = audio || c.IsAudio()
				break
			}
		}
	}
	if !audio {
		return nil, fmt.Errorf("offer %v, answer %v: %w", names(o.Codecs), names(a.Codecs), ErrNoCommonCodec)
	}
	return common, nil
}

// Negotiable reports whether an answer is acceptable for an offer: nil, or
// an error wrapping ErrNoCommonCodec (answer the call with 488), ErrNoAudio
// or ErrInvalidSDP.
func Negotiable(offer, answer []byte) error {
	_, err := CommonCodecs(offer, answer)
	return err
}

// Rewrite anchors an SDP body on the switch: it replaces the origin
// address, the session-level and audio-level connection addresses with
// ip, the first audio stream's port with rtpPort and its a=rtcp port with
// rtpPort+1. Codecs and other attributes are kept. ICE attributes are
// dropped (their candidates would bypass the anchor), and every media
// stream but the first audio one is disabled (port 0, its address
// rewritten too): only audio is relayed. A disabled audio stream stays disabled and an unspecified
// connection address (c=0.0.0.0 hold) is kept.
//
// Rewrite what each party sends before the other party sees it: A's offer
// with B leg's port (B sends to it), B's answer with A leg's port.
func Rewrite(body []byte, ip string, rtpPort int) ([]byte, error) {
	addr, err := checkRewriteTarget(ip, rtpPort)
	if err != nil {
		return nil, err
	}
	sd, err := unmarshal(body)
	if err != nil {
		return nil, err
	}
	return rewrite(sd, addr, rtpPort)
}

// checkRewriteTarget parses the address a body is rewritten to, once.
func checkRewriteTarget(ip string, rtpPort int) (netip.Addr, error) {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Unmap().IsUnspecified() {
		return netip.Addr{}, fmt.Errorf("rewrite sdp: %w: ip %q", ErrInvalidAddress, ip)
	}
	if rtpPort < 1 || rtpPort > 65534 {
		return netip.Addr{}, fmt.Errorf("rewrite sdp: %w: port %d", ErrInvalidAddress, rtpPort)
	}
	return addr.Unmap(), nil
}

// rewrite rewrites a parsed body in place and writes it out; addr and
// rtpPort passed checkRewriteTarget.
func rewrite(sd *sdp.SessionDescription, addr netip.Addr, rtpPort int) ([]byte, error) {
	audio := firstAudio(sd)
	if audio == nil {
		return nil, fmt.Errorf("rewrite sdp: %w", ErrNoAudio)
	}
	addrType := addressType(addr)
	ipStr := addr.String()

	sd.Origin.NetworkType = "IN"
	sd.Origin.AddressType = addrType
	sd.Origin.UnicastAddress = ipStr
	if sd.ConnectionInformation != nil {
		rewriteConn(sd.ConnectionInformation, addrType, ipStr)
	}
	sd.Attributes = withoutICE(sd.Attributes)
	for _, m := range sd.MediaDescriptions {
		if m != audio {
			m.MediaName.Port = sdp.RangedPort{Value: 0}
			if m.ConnectionInformation != nil {
				rewriteConn(m.ConnectionInformation, addrType, ipStr)
			}
			m.Attributes = withoutICE(m.Attributes)
			continue
		}
		switch {
		case m.ConnectionInformation != nil:
			rewriteConn(m.ConnectionInformation, addrType, ipStr)
		case sd.ConnectionInformation == nil:
			m.ConnectionInformation = &sdp.ConnectionInformation{NetworkType: "IN", AddressType: addrType, Address: &sdp.Address{Address: ipStr}}
		}
		if m.MediaName.Port.Value != 0 {
			m.MediaName.Port = sdp.RangedPort{Value: rtpPort}
		}
		m.Attributes = withoutICE(m.Attributes)
		for i, a := range m.Attributes {
			if a.Key == "rtcp" {
				m.Attributes[i].Value = fmt.Sprintf("%d IN %s %s", rtpPort+1, addrType, ipStr)
			}
		}
	}
	out, err := sd.Marshal()
	if err != nil {
		return nil, fmt.Errorf("rewrite sdp: marshal: %w", err)
	}
	// pion/sdp accepts a few inputs it cannot write back readably; never
	// hand such a body on.
	var check sdp.SessionDescription
	if err := check.Unmarshal(out); err != nil {
		return nil, fmt.Errorf("rewrite sdp: %w: rewritten body does not parse: %w", ErrInvalidSDP, err)
	}
	return out, nil
}

// Answer writes the switch's own answer to an offer, for a leg the switch
// terminates (an Endpoint: voicemail, prompts). It picks the first of PCMU
// and PCMA in the offer's order and the offer's telephone-event, on ip and
// rtpPort, with the direction that mirrors the offer's; every other media
// stream is refused (port 0). It fails with ErrNoCommonCodec (answer 488)
// when the offer has neither G.711 codec or is not plain RTP/AVP.
func Answer(offer []byte, ip string, rtpPort int) ([]byte, Selection, error) {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Unmap().IsUnspecified() {
		return nil, Selection{}, fmt.Errorf("answer sdp: %w: ip %q", ErrInvalidAddress, ip)
	}
	addr = addr.Unmap()
	if rtpPort < 1 || rtpPort > 65534 {
		return nil, Selection{}, fmt.Errorf("answer sdp: %w: port %d", ErrInvalidAddress, rtpPort)
	}
	sd, err := unmarshal(offer)
	if err != nil {
		return nil, Selection{}, err
	}
	audio := firstAudio(sd)
	if audio == nil || audio.MediaName.Port.Value == 0 {
		return nil, Selection{}, fmt.Errorf("answer sdp: %w", ErrNoAudio)
	}
	proto := strings.Join(audio.MediaName.Protos, "/")
	if proto != "RTP/AVP" && proto != "RTP/AVPF" {
		return nil, Selection{}, fmt.Errorf("answer sdp: %w: transport %s", ErrNoCommonCodec, proto)
	}
	var sel Selection
	found := false
	for _, c := range codecs(audio) {
		switch {
		case !found && c.PayloadType == c.staticPT() && (c.PayloadType == PayloadPCMU || c.PayloadType == PayloadPCMA):
			sel.Codec, found = c, true
		case sel.TelephoneEvent == nil && c.IsTelephoneEvent() && c.ClockRate == 8000:
			te := c
			sel.TelephoneEvent = &te
		}
	}
	if !found {
		return nil, Selection{}, fmt.Errorf("answer sdp: offer %v: %w", names(codecs(audio)), ErrNoCommonCodec)
	}
	sel.Mode = mirror(mode(sd, audio))
	ans := newSession(addr)
	for _, m := range sd.MediaDescriptions {
		if m != audio {
			formats := m.MediaName.Formats
			if len(formats) > 1 {
				formats = formats[:1]
			}
			ans.MediaDescriptions = append(ans.MediaDescriptions, &sdp.MediaDescription{
				MediaName: sdp.MediaName{Media: m.MediaName.Media, Port: sdp.RangedPort{Value: 0}, Protos: m.MediaName.Protos, Formats: formats},
			})
			continue
		}
		cs := []Codec{sel.Codec}
		if sel.TelephoneEvent != nil {
			cs = append(cs, *sel.TelephoneEvent)
		}
		ans.MediaDescriptions = append(ans.MediaDescriptions, audioMedia(rtpPort, audio.MediaName.Protos, cs, sel.Mode))
	}
	out, err := ans.Marshal()
	if err != nil {
		return nil, Selection{}, fmt.Errorf("answer sdp: marshal: %w", err)
	}
	return out, sel, nil
}

// Selection is what Answer chose.
type Selection struct {
	// Codec is PCMU or PCMA: give its PayloadType to NewEndpoint.
	Codec Codec
	// TelephoneEvent is the offer's telephone-event format, nil when
	// the offer had none (then no DTMF will arrive in band as events).
	TelephoneEvent *Codec
	// Mode is the answer's direction.
	Mode Mode
}

// Offer writes an SDP offer for a leg the switch starts itself (a call it
// places to play prompts): PCMU, PCMA and telephone-event (payload type
// DefaultTelephoneEvent) on ip and rtpPort, sendrecv.
func Offer(ip string, rtpPort int) ([]byte, error) {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Unmap().IsUnspecified() {
		return nil, fmt.Errorf("offer sdp: %w: ip %q", ErrInvalidAddress, ip)
	}
	if rtpPort < 1 || rtpPort > 65534 {
		return nil, fmt.Errorf("offer sdp: %w: port %d", ErrInvalidAddress, rtpPort)
	}
	sd := newSession(addr.Unmap())
	te := Codec{PayloadType: DefaultTelephoneEvent, Name: "telephone-event", ClockRate: 8000, Channels: 1, Fmtp: "0-16"}
	cs := []Codec{staticCodecs[PayloadPCMU], staticCodecs[PayloadPCMA], te}
	sd.MediaDescriptions = append(sd.MediaDescriptions, audioMedia(rtpPort, []string{"RTP", "AVP"}, cs, SendRecv))
	out, err := sd.Marshal()
	if err != nil {
		return nil, fmt.Errorf("offer sdp: marshal: %w", err)
	}
	return out, nil
}

func newSession(addr netip.Addr) *sdp.SessionDescription {
	id := rand.Uint64N(1 << 62)
	addrType := addressType(addr)
	return &sdp.SessionDescription{
		Origin: sdp.Origin{
			Username: "dialtone", SessionID: id, SessionVersion: id,
			NetworkType: "IN", AddressType: addrType, UnicastAddress: addr.String(),
		},
		SessionName:           "dialtone",
		ConnectionInformation: &sdp.ConnectionInformation{NetworkType: "IN", AddressType: addrType, Address: &sdp.Address{Address: addr.String()}},
		TimeDescriptions:      []sdp.TimeDescription{{Timing: sdp.Timing{}}},
	}
}

func audioMedia(port int, protos []string, cs []Codec, md Mode) *sdp.MediaDescription {
	m := &sdp.MediaDescription{
		MediaName: sdp.MediaName{Media: "audio", Port: sdp.RangedPort{Value: port}, Protos: protos},
	}
	for _, c := range cs {
		pt := strconv.Itoa(int(c.PayloadType))
		m.MediaName.Formats = append(m.MediaName.Formats, pt)
		m.Attributes = append(m.Attributes, sdp.NewAttribute("rtpmap", pt+" "+c.String()))
		fmtp := c.Fmtp
		if fmtp == "" && c.IsTelephoneEvent() {
			fmtp = "0-16"
		}
		if fmtp != "" {
			m.Attributes = append(m.Attributes, sdp.NewAttribute("fmtp", pt+" "+fmtp))
		}
	}
	m.Attributes = append(m.Attributes, sdp.NewAttribute("ptime", "20"), sdp.NewPropertyAttribute(string(md)))
	return m
}

func mirror(m Mode) Mode {
	switch m {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	}
	return m
}

func unmarshal(body []byte) (*sdp.SessionDescription, error) {
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(body); err != nil {
		return nil, fmt.Errorf("parse sdp: %w: %w", ErrInvalidSDP, err)
	}
	return &sd, nil
}

func firstAudio(sd *sdp.SessionDescription) *sdp.MediaDescription {
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Media == "audio" {
			return m
		}
	}
	return nil
}

func codecs(m *sdp.MediaDescription) []Codec {
	byPT := map[uint8]Codec{}
	fmtps := map[uint8]string{}
	for _, a := range m.Attributes {
		switch a.Key {
		case "rtpmap":
			if pt, c, ok := parseRtpmap(a.Value); ok {
				if _, dup := byPT[pt]; !dup {
					byPT[pt] = c
				}
			}
		case "fmtp":
			if ptStr, v, ok := strings.Cut(strings.TrimSpace(a.Value), " "); ok {
				if pt, err := strconv.ParseUint(ptStr, 10, 7); err == nil {
					fmtps[uint8(pt)] = strings.TrimSpace(v)
				}
			}
		}
	}
	var out []Codec
	for _, f := range m.MediaName.Formats {
		n, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			continue
		}
		pt := uint8(n)
		c, ok := byPT[pt]
		if !ok {
			c, ok = staticCodecs[pt]
		}
		if !ok {
			c = Codec{PayloadType: pt, Channels: 1} // dynamic, unnamed
		}
		// A call keeps its offer's Description while it lasts: its
		// strings are not to be slices of the parsed body, which they
		// would keep whole.
		c.Name = ownName(pt, c.Name)
		c.Fmtp = strings.Clone(fmtps[pt])
		out = append(out, c)
	}
	return out
}

// dynamicNames are the encoding names without a static payload type
// that a Description takes without a copy.
var dynamicNames = [...]string{"telephone-event", "opus"}

// ownName is payload type pt's name as a string of its own: RFC 3551's
// (staticCodecs) or a usual dynamic one as SDP spells it, else a copy.
func ownName(pt uint8, name string) string {
	if s, ok := staticCodecs[pt]; ok && s.Name == name {
		return s.Name
	}
	for _, k := range dynamicNames {
		if name == k {
			return k
		}
	}
	return strings.Clone(name)
}

// staticPT returns c's payload type if c is the static format RFC 3551
// assigns to that number, else 255.
func (c Codec) staticPT() uint8 {
	if s, ok := staticCodecs[c.PayloadType]; ok && s.matches(c) {
		return c.PayloadType
	}
	return 255
}

func mode(sd *sdp.SessionDescription, m *sdp.MediaDescription) Mode {
	find := func(attrs []sdp.Attribute) Mode {
		for _, a := range attrs {
			// The constant, not a.Key: a slice of the parsed body (see codecs).
			for _, md := range [...]Mode{SendRecv, SendOnly, RecvOnly, Inactive} {
				if a.Key == string(md) {
					return md
				}
			}
		}
		return ""
	}
	if md := find(m.Attributes); md != "" {
		return md
	}
	if md := find(sd.Attributes); md != "" {
		return md
	}
	return SendRecv
}

func rewriteConn(c *sdp.ConnectionInformation, addrType, ip string) {
	if c.Address != nil {
		if cur, err := netip.ParseAddr(c.Address.Address); err == nil && cur.IsUnspecified() {
			return // c=0.0.0.0: the party asked not to be sent anything
		}
	}
	c.NetworkType = "IN"
	c.AddressType = addrType
	c.Address = &sdp.Address{Address: ip}
}

func addressType(a netip.Addr) string {
	if a.Is4() {
		return "IP4"
	}
	return "IP6"
}

// withoutICE drops ICE attributes, whose candidates would lead the far end
// around the anchor.
func withoutICE(attrs []sdp.Attribute) []sdp.Attribute {
	out := attrs[:0]
	for _, a := range attrs {
		switch a.Key {
		case "candidate", "remote-candidates", "end-of-candidates", "ice-ufrag", "ice-pwd", "ice-options", "ice-lite", "ice-mismatch":
			continue
		}
		out = append(out, a)
	}
	return out
}

func names(cs []Codec) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		if c.Name == "" {
			out = append(out, strconv.Itoa(int(c.PayloadType)))
			continue
		}
		out = append(out, c.String())
	}
	return out
}

// Reanswer answers a re-INVITE or UPDATE offer on a leg whose session is
// already set up: it is the answer the switch gave that leg before
// (previous), with a new origin version and the direction that mirrors
// the offer's (a phone putting the call on hold with sendonly gets
// recvonly). Codecs and ports stay as negotiated.
func Reanswer(previous, offer []byte) ([]byte, error) {
	sd, err := unmarshal(previous)
	if err != nil {
		return nil, fmt.Errorf("reanswer: previous answer: %w", err)
	}
	od, err := unmarshal(offer)
	if err != nil {
		return nil, fmt.Errorf("reanswer: offer: %w", err)
	}
	om := firstAudio(od)
	m := firstAudio(sd)
	if om == nil || m == nil {
		return nil, fmt.Errorf("reanswer: %w", ErrNoAudio)
	}
	want := mirror(mode(od, om))
	attrs := m.Attributes[:0:0]
	for _, a := range m.Attributes {
		switch Mode(a.Key) {
		case SendRecv, SendOnly, RecvOnly, Inactive:
			continue
		}
		attrs = append(attrs, a)
	}
	m.Attributes = append(attrs, sdp.NewPropertyAttribute(string(want)))
	session := sd.Attributes[:0:0]
	for _, a := range sd.Attributes {
		switch Mode(a.Key) {
		case SendRecv, SendOnly, RecvOnly, Inactive:
			continue
		}
		session = append(session, a)
	}
	sd.Attributes = session
	sd.Origin.SessionVersion++
	out, err := sd.Marshal()
	if err != nil {
		return nil, fmt.Errorf("reanswer: %w", err)
	}
	return out, nil
}
