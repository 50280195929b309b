package media

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/pion/sdp/v3"
)

// sdpBody joins lines with CRLF.
func sdpBody(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n") }

var phoneOffer = sdpBody(
	"v=0",
	"o=alice 2890844526 2890844526 IN IP4 192.168.1.20",
	"s=-",
	"c=IN IP4 192.168.1.20",
	"t=0 0",
	"m=audio 49170 RTP/AVP 0 8 101",
	"a=rtpmap:0 PCMU/8000",
	"a=rtpmap:8 PCMA/8000",
	"a=rtpmap:101 telephone-event/8000",
	"a=fmtp:101 0-16",
	"a=ptime:20",
	"a=rtcp:49171 IN IP4 192.168.1.20",
	"a=sendrecv",
)

var webrtcishOffer = sdpBody(
	"v=0",
	"o=- 1 2 IN IP4 10.0.0.5",
	"s=-",
	"t=0 0",
	"a=ice-ufrag:abcd",
	"m=audio 5004 RTP/AVP 111 0 96",
	"c=IN IP4 10.0.0.5",
	"a=rtpmap:111 opus/48000/2",
	"a=fmtp:111 minptime=10;useinbandfec=1",
	"a=rtpmap:96 telephone-event/48000",
	"a=candidate:1 1 UDP 2122252543 10.0.0.5 5004 typ host",
	"a=ice-pwd:secretsecretsecret",
	"a=sendonly",
	"m=video 5006 RTP/AVP 97",
	"c=IN IP4 10.0.0.5",
	"a=rtpmap:97 H264/90000",
)

func TestParse(t *testing.T) {
	tests := []struct {
		name       string
		body       []byte
		remote     string
		codecs     string
		mode       Mode
		hold       bool
		packetTime time.Duration
		err        error
	}{
		{
			name: "a phone's offer gives its session address, codecs and ptime", body: phoneOffer,
			remote: "192.168.1.20:49170", codecs: "0 PCMU/8000,8 PCMA/8000,101 telephone-event/8000",
			mode: SendRecv, packetTime: 20 * time.Millisecond,
		},
		{
			name: "a media-level address wins and dynamic codecs are named by rtpmap", body: webrtcishOffer,
			remote: "10.0.0.5:5004", codecs: "111 opus/48000/2,0 PCMU/8000,96 telephone-event/48000",
			mode: SendOnly, hold: true,
		},
		{
			name:   "a media-level address overrides the session-level one",
			body:   sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "c=IN IP4 1.1.1.1", "t=0 0", "m=audio 4000 RTP/AVP 18", "c=IN IP4 2.2.2.2"),
			remote: "2.2.2.2:4000", codecs: "18 G729/8000", mode: SendRecv,
		},
		{
			name:   "c=0.0.0.0 is an old-style hold",
			body:   sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "c=IN IP4 0.0.0.0", "t=0 0", "m=audio 4000 RTP/AVP 0"),
			remote: "0.0.0.0:4000", codecs: "0 PCMU/8000", mode: SendRecv, hold: true,
		},
		{
			name:   "a session-level inactive applies to the stream",
			body:   sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "c=IN IP4 1.1.1.1", "t=0 0", "a=inactive", "m=audio 4000 RTP/AVP 8"),
			remote: "1.1.1.1:4000", codecs: "8 PCMA/8000", mode: Inactive, hold: true,
		},
		{
			name:   "recvonly counts as hold",
			body:   sdpBody("v=0", "o=- 1 1 IN IP6 ::1", "s=-", "c=IN IP6 2001:db8::1", "t=0 0", "m=audio 4000 RTP/AVP 8", "a=recvonly"),
			remote: "[2001:db8::1]:4000", codecs: "8 PCMA/8000", mode: RecvOnly, hold: true,
		},
		{
			name: "a body with only video has no audio",
			body: sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "c=IN IP4 1.1.1.1", "t=0 0", "m=video 4000 RTP/AVP 97"),
			err:  ErrNoAudio,
		},
		{
			name: "a disabled audio stream is no audio",
			body: sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "c=IN IP4 1.1.1.1", "t=0 0", "m=audio 0 RTP/AVP 0"),
			err:  ErrNoAudio,
		},
		{
			name: "a hostname is not an address",
			body: sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "c=IN IP4 pbx.example.com", "t=0 0", "m=audio 4000 RTP/AVP 0"),
			err:  ErrInvalidAddress,
		},
		{name: "garbage is invalid SDP", body: []byte("hello"), err: ErrInvalidSDP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.body)
			if tt.err != nil {
				wantErr(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Remote != netip.MustParseAddrPort(tt.remote) {
				t.Errorf("remote %v, want %v", d.Remote, tt.remote)
			}
			if got := codecList(d.Codecs); got != tt.codecs {
				t.Errorf("codecs %q, want %q", got, tt.codecs)
			}
			if d.Mode != tt.mode || d.Hold() != tt.hold {
				t.Errorf("mode %q hold %v, want %q %v", d.Mode, d.Hold(), tt.mode, tt.hold)
			}
			if d.PacketTime != tt.packetTime {
				t.Errorf("ptime %v, want %v", d.PacketTime, tt.packetTime)
			}
			// the wrappers agree
			if r, _ := Remote(tt.body); r != d.Remote {
				t.Errorf("Remote() = %v", r)
			}
			if h, _ := IsHold(tt.body); h != tt.hold {
				t.Errorf("IsHold() = %v", h)
			}
			if cs, _ := Codecs(tt.body); codecList(cs) != tt.codecs {
				t.Errorf("Codecs() = %v", cs)
			}
		})
	}
}

func codecList(cs []Codec) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, strconv.Itoa(int(c.PayloadType))+" "+c.String())
	}
	return strings.Join(parts, ",")
}

func TestRewrite(t *testing.T) {
	t.Run("a phone's offer is anchored on the switch with codecs and attributes kept", func(t *testing.T) {
		out, err := Rewrite(phoneOffer, "203.0.113.7", 30000)
		if err != nil {
			t.Fatal(err)
		}
		d := must(Parse(out))
		if d.Remote != netip.MustParseAddrPort("203.0.113.7:30000") {
			t.Errorf("remote %v", d.Remote)
		}
		if codecList(d.Codecs) != "0 PCMU/8000,8 PCMA/8000,101 telephone-event/8000" || d.Codecs[2].Fmtp != "0-16" {
			t.Errorf("codecs %v", d.Codecs)
		}
		s := string(out)
		for _, want := range []string{"o=alice 2890844526 2890844526 IN IP4 203.0.113.7", "a=rtcp:30001 IN IP4 203.0.113.7", "a=ptime:20", "a=sendrecv"} {
			if !strings.Contains(s, want) {
				t.Errorf("missing %q in\n%s", want, s)
			}
		}
		if strings.Contains(s, "192.168.1.20") {
			t.Errorf("the phone's address leaked:\n%s", s)
		}
	})
	t.Run("ICE is dropped and other streams are disabled", func(t *testing.T) {
		out := must(Rewrite(webrtcishOffer, "203.0.113.7", 30000))
		var sd sdp.SessionDescription
		if err := sd.Unmarshal(out); err != nil {
			t.Fatal(err)
		}
		s := string(out)
		for _, gone := range []string{"candidate", "ice-ufrag", "ice-pwd", "10.0.0.5"} {
			if strings.Contains(s, gone) {
				t.Errorf("%q survived:\n%s", gone, s)
			}
		}
		if sd.MediaDescriptions[1].MediaName.Port.Value != 0 {
			t.Errorf("video port %d, want 0", sd.MediaDescriptions[1].MediaName.Port.Value)
		}
		d := must(Parse(out))
		if d.Remote.Port() != 30000 || d.Mode != SendOnly || codecList(d.Codecs) != "111 opus/48000/2,0 PCMU/8000,96 telephone-event/48000" {
			t.Errorf("parsed %+v", d)
		}
	})
	t.Run("an old-style hold keeps c=0.0.0.0", func(t *testing.T) {
		body := sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "c=IN IP4 0.0.0.0", "t=0 0", "m=audio 4000 RTP/AVP 0")
		d := must(Parse(must(Rewrite(body, "203.0.113.7", 30000))))
		if d.Remote != netip.MustParseAddrPort("0.0.0.0:30000") || !d.Hold() {
			t.Errorf("got %v hold %v", d.Remote, d.Hold())
		}
	})
	t.Run("a rejected audio stream stays rejected", func(t *testing.T) {
		body := sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "c=IN IP4 1.1.1.1", "t=0 0", "m=audio 0 RTP/AVP 0")
		out := must(Rewrite(body, "203.0.113.7", 30000))
		if !strings.Contains(string(out), "m=audio 0 ") {
			t.Errorf("got\n%s", out)
		}
	})
	t.Run("an IPv6 anchor says IP6", func(t *testing.T) {
		out := must(Rewrite(phoneOffer, "2001:db8::7", 30000))
		if !strings.Contains(string(out), "c=IN IP6 2001:db8::7") {
			t.Errorf("got\n%s", out)
		}
		if r := must(Remote(out)); r != netip.MustParseAddrPort("[2001:db8::7]:30000") {
			t.Errorf("remote %v", r)
		}
	})
	t.Run("a body with only a media-level address gets it rewritten", func(t *testing.T) {
		body := sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "t=0 0", "m=audio 4000 RTP/AVP 0", "c=IN IP4 1.1.1.1")
		if r := must(Remote(must(Rewrite(body, "203.0.113.7", 30000)))); r != netip.MustParseAddrPort("203.0.113.7:30000") {
			t.Errorf("remote %v", r)
		}
	})
	errTests := []struct {
		name string
		body []byte
		ip   string
		port int
		want error
	}{
		{name: "a hostname is refused as the anchor", body: phoneOffer, ip: "switch.example.com", port: 30000, want: ErrInvalidAddress},
		{name: "an unspecified anchor is refused", body: phoneOffer, ip: "0.0.0.0", port: 30000, want: ErrInvalidAddress},
		{name: "port 0 is refused", body: phoneOffer, ip: "203.0.113.7", port: 0, want: ErrInvalidAddress},
		{name: "port 65535 has no RTCP port", body: phoneOffer, ip: "203.0.113.7", port: 65535, want: ErrInvalidAddress},
		{name: "garbage is invalid SDP", body: []byte("v=0\r\nbroken"), ip: "203.0.113.7", port: 30000, want: ErrInvalidSDP},
		{name: "a body without audio is refused", body: sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "t=0 0"), ip: "203.0.113.7", port: 30000, want: ErrNoAudio},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Rewrite(tt.body, tt.ip, tt.port)
			wantErr(t, err, tt.want)
		})
	}
}

func TestCommonCodecs(t *testing.T) {
	answer := func(port int, formats string, attrs ...string) []byte {
		lines := []string{"v=0", "o=bob 1 1 IN IP4 5.5.5.5", "s=-", "c=IN IP4 5.5.5.5", "t=0 0", "m=audio " + strconv.Itoa(port) + " RTP/AVP " + formats}
		return sdpBody(append(lines, attrs...)...)
	}
	tests := []struct {
		name   string
		offer  []byte
		answer []byte
		want   string
		err    error
	}{
		{name: "the answer's choice among the offer's codecs is common", offer: phoneOffer, answer: answer(6000, "8 101", "a=rtpmap:101 telephone-event/8000"), want: "8 PCMA/8000,101 telephone-event/8000"},
		{name: "codecs match by name whatever the payload type number", offer: webrtcishOffer, answer: answer(6000, "109", "a=rtpmap:109 OPUS/48000/2"), want: "109 OPUS/48000/2"},
		{name: "an answer with a codec the offer lacks has none in common", offer: phoneOffer, answer: answer(6000, "18"), err: ErrNoCommonCodec},
		{name: "telephone-event alone is no common audio codec", offer: phoneOffer, answer: answer(6000, "101", "a=rtpmap:101 telephone-event/8000"), err: ErrNoCommonCodec},
		{name: "a different clock rate is another codec", offer: webrtcishOffer, answer: answer(6000, "111", "a=rtpmap:111 opus/16000"), err: ErrNoCommonCodec},
		{name: "an answer that rejects the stream has none in common", offer: phoneOffer, answer: answer(0, "0"), err: ErrNoCommonCodec},
		{name: "an unreadable offer is invalid", offer: []byte("v=0\r\nbroken"), answer: answer(6000, "0"), err: ErrInvalidSDP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CommonCodecs(tt.offer, tt.answer)
			if nerr := Negotiable(tt.offer, tt.answer); (nerr == nil) != (err == nil) {
				t.Errorf("Negotiable = %v, CommonCodecs error %v", nerr, err)
			}
			if tt.err != nil {
				wantErr(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if codecList(got) != tt.want {
				t.Errorf("got %q, want %q", codecList(got), tt.want)
			}
		})
	}
}

func TestAnswer(t *testing.T) {
	tests := []struct {
		name    string
		offer   []byte
		codec   uint8
		te      int // -1: none
		mode    Mode
		streams int
		err     error
	}{
		{name: "a phone's offer gets PCMU and its telephone-event", offer: phoneOffer, codec: PayloadPCMU, te: 101, mode: SendRecv, streams: 1},
		{
			name:  "the offer's order decides between PCMA and PCMU",
			offer: sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "c=IN IP4 1.1.1.1", "t=0 0", "m=audio 4000 RTP/AVP 18 8 0"),
			codec: PayloadPCMA, te: -1, mode: SendRecv, streams: 1,
		},
		{
			name:  "a sendonly offer gets a recvonly answer and video is refused",
			offer: sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "c=IN IP4 1.1.1.1", "t=0 0", "m=audio 4000 RTP/AVP 0", "a=sendonly", "m=video 4002 RTP/AVP 97 98"),
			codec: PayloadPCMU, te: -1, mode: RecvOnly, streams: 2,
		},
		{name: "an unreadable offer is invalid", offer: []byte("v=0\r\nbroken"), err: ErrInvalidSDP},
		{
			name:  "an offer with only opus is not acceptable",
			offer: sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "c=IN IP4 1.1.1.1", "t=0 0", "m=audio 4000 RTP/AVP 111", "a=rtpmap:111 opus/48000/2"),
			err:   ErrNoCommonCodec,
		},
		{
			name:  "an SRTP offer is not acceptable",
			offer: sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "c=IN IP4 1.1.1.1", "t=0 0", "m=audio 4000 RTP/SAVP 0"),
			err:   ErrNoCommonCodec,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ans, sel, err := Answer(tt.offer, "203.0.113.7", 31000)
			if tt.err != nil {
				wantErr(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sel.Codec.PayloadType != tt.codec || sel.Mode != tt.mode {
				t.Errorf("selected %+v", sel)
			}
			if (tt.te < 0) != (sel.TelephoneEvent == nil) || (sel.TelephoneEvent != nil && int(sel.TelephoneEvent.PayloadType) != tt.te) {
				t.Errorf("telephone-event %+v, want %d", sel.TelephoneEvent, tt.te)
			}
			d := must(Parse(ans))
			if d.Remote != netip.MustParseAddrPort("203.0.113.7:31000") || d.Mode != tt.mode || d.Codecs[0].PayloadType != tt.codec {
				t.Errorf("answer parses as %+v\n%s", d, ans)
			}
			var sd sdp.SessionDescription
			_ = sd.Unmarshal(ans)
			if len(sd.MediaDescriptions) != tt.streams {
				t.Errorf("%d streams, want %d", len(sd.MediaDescriptions), tt.streams)
			}
			if err := Negotiable(tt.offer, ans); err != nil {
				t.Errorf("the answer does not negotiate with its offer: %v", err)
			}
		})
	}
	t.Run("the switch's own offer lists G.711 and telephone-event", func(t *testing.T) {
		off := must(Offer("203.0.113.7", 32000))
		d := must(Parse(off))
		if codecList(d.Codecs) != "0 PCMU/8000,8 PCMA/8000,101 telephone-event/8000" || d.Remote.Port() != 32000 {
			t.Errorf("offer parses as %+v\n%s", d, off)
		}
		if _, sel, err := Answer(off, "198.51.100.1", 4000); err != nil || sel.Codec.PayloadType != PayloadPCMU {
			t.Errorf("answering our own offer: %v %+v", err, sel)
		}
	})
}

// addRewriteSeeds seeds a fuzz target that takes a body, an ip and a port.
func addRewriteSeeds(f *testing.F) {
	f.Add(phoneOffer, "203.0.113.7", 30000)
	f.Add(webrtcishOffer, "2001:db8::1", 2)
	f.Add(sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "c=IN IP4 0.0.0.0", "t=0 0", "m=audio 4000/2 RTP/AVP 0"), "10.0.0.1", 1000)
	f.Add(sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "t=0 0", "m=audio 4000 RTP/AVP 0", "c=IN IP4 224.2.1.1/127/3"), "10.0.0.1", 1000)
	f.Add([]byte("v=0\r\n"), "1.2.3.4", 5)
}

func FuzzRewrite(f *testing.F) {
	addRewriteSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte, ip string, port int) {
		out, err := Rewrite(body, ip, port)
		if err != nil {
			return
		}
		var sd sdp.SessionDescription
		if err := sd.Unmarshal(out); err != nil {
			t.Fatalf("rewritten body does not parse: %v\n%s", err, out)
		}
		d, err := Parse(out)
		if err != nil {
			return // a disabled or address-less audio stream stays so
		}
		if d.Remote.Port() != uint16(port) {
			t.Fatalf("audio port %d, want %d", d.Remote.Port(), port)
		}
		anchor := netip.MustParseAddr(ip).Unmap()
		if !d.Remote.Addr().IsUnspecified() && d.Remote.Addr() != anchor {
			t.Fatalf("audio address %v, want %v", d.Remote.Addr(), anchor)
		}
	})
}

func TestReanswerMirrorsTheOfferDirection(t *testing.T) {
	previous := []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n")
	tests := []struct{ name, offerMode, want string }{
		{"hold with sendonly is answered recvonly", "sendonly", "recvonly"},
		{"hold with inactive is answered inactive", "inactive", "inactive"},
		{"resume is answered sendrecv", "sendrecv", "sendrecv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offer := []byte("v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=" + tt.offerMode + "\r\n")
			out, err := Reanswer(previous, offer)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Parse(out)
			if err != nil {
				t.Fatal(err)
			}
			if string(d.Mode) != tt.want || d.Remote.Port() != 20000 {
				t.Fatalf("answer %s on port %d, want %s on 20000:\n%s", d.Mode, d.Remote.Port(), tt.want, out)
			}
		})
	}
}

// FuzzAnswer feeds untrusted offers to what the switch does with them when
// it is the endpoint (Answer), on a re-INVITE (Reanswer) and when it
// checks two legs agree (CommonCodecs, Negotiable): none may panic, and an
// answer must parse, carry G.711 on the given address and port, and answer
// every media stream of the offer.
func FuzzAnswer(f *testing.F) {
	f.Add(phoneOffer)
	f.Add(webrtcishOffer)
	f.Add(sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "c=IN IP4 1.1.1.1", "t=0 0", "m=audio 4000 RTP/AVP 8 101", "a=rtpmap:101 telephone-event/8000", "a=sendonly", "m=video 5000 RTP/AVP 96"))
	f.Add(sdpBody("v=0", "o=- 1 1 IN IP4 1.1.1.1", "s=-", "t=0 0", "m=audio 4000 RTP/SAVP 0", "c=IN IP4 1.1.1.1"))
	f.Add([]byte("v=0\r\n"))
	f.Fuzz(func(t *testing.T, offer []byte) {
		_, _ = CommonCodecs(offer, phoneOffer)
		_ = Negotiable(phoneOffer, offer)
		ans, sel, err := Answer(offer, "192.0.2.10", 30000)
		if err != nil {
			return
		}
		if pt := sel.Codec.PayloadType; pt != PayloadPCMU && pt != PayloadPCMA {
			t.Fatalf("selected %+v, want PCMU or PCMA", sel.Codec)
		}
		d, err := Parse(ans)
		if err != nil {
			t.Fatalf("our answer does not parse: %v\n%s", err, ans)
		}
		if d.Remote != netip.MustParseAddrPort("192.0.2.10:30000") {
			t.Fatalf("answer on %v, want 192.0.2.10:30000\n%s", d.Remote, ans)
		}
		var o, a sdp.SessionDescription
		if o.Unmarshal(offer) == nil && a.Unmarshal(ans) == nil && len(a.MediaDescriptions) != len(o.MediaDescriptions) {
			t.Fatalf("%d media streams answered, the offer has %d\n%s", len(a.MediaDescriptions), len(o.MediaDescriptions), ans)
		}
		again, err := Reanswer(ans, offer)
		if err != nil {
			t.Fatalf("re-answering the same offer: %v", err)
		}
		if _, err := Parse(again); err != nil {
			t.Fatalf("re-answer does not parse: %v\n%s", err, again)
		}
	})
}

// A call keeps its offer's Description for as long as it lasts, so the
// Description's strings are never slices of the parsed body's attribute
// values: a slice would keep the whole body alive with it.
func TestDescriptionStringsAreNotSlicesOfTheBody(t *testing.T) {
	body := []byte("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n" +
		"m=audio 4000 RTP/AVP 0 97 101 98\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:97 iLBC/8000\r\na=fmtp:97 mode=30\r\n" +
		"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=rtpmap:98 opus/48000/2\r\na=sendonly\r\n")
	sd, err := unmarshal(body)
	if err != nil {
		t.Fatal(err)
	}
	d, err := describe(sd)
	if err != nil {
		t.Fatal(err)
	}
	inBody := func(s string) bool {
		if s == "" {
			return false
		}
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		for _, m := range sd.MediaDescriptions {
			for _, a := range m.Attributes {
				for _, v := range []string{a.Key, a.Value} {
					if start := uintptr(unsafe.Pointer(unsafe.StringData(v))); v != "" && p >= start && p < start+uintptr(len(v)) {
						return true
					}
				}
			}
		}
		return false
	}
	if len(d.Codecs) != 4 {
		t.Fatalf("codecs %v, want 4", d.Codecs)
	}
	for _, c := range d.Codecs {
		if inBody(c.Name) || inBody(c.Fmtp) {
			t.Errorf("codec %s (fmtp %q) is a slice of the body", c.Name, c.Fmtp)
		}
	}
	if d.Mode != SendOnly || inBody(string(d.Mode)) {
		t.Errorf("mode %q: want sendonly, not a slice of the body", d.Mode)
	}
}
