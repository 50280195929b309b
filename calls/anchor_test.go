package calls

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/dialtone/dialtone/media"
)

func TestCheckReofferRefusesTheSwitchsOwnMediaPorts(t *testing.T) {
	pool, err := media.NewPool(netip.MustParseAddr("192.0.2.10"), 10000, 10999)
	if err != nil {
		t.Fatal(err)
	}
	offer := func(ip string, port int) []byte {
		return []byte(fmt.Sprintf("v=0\r\no=- 1 2 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", ip, ip, port))
	}
	tests := []struct {
		name string
		body []byte
		loop bool
	}{
		{"the switch's media IP and port", offer("192.0.2.10", 10500), true},
		{"the switch's IP outside the media range", offer("192.0.2.10", 5060), false},
		{"a phone", offer("198.51.100.7", 10500), false},
		{"hold", offer("0.0.0.0", 10500), false},
		{"a body Reanswer will judge", []byte("junk"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckReoffer(pool, tt.body)
			var ce *Refusal
			switch {
			case !tt.loop && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.loop && (!errors.As(err, &ce) || ce.Code != 488 || !errors.Is(err, media.ErrMediaLoop)):
				t.Fatalf("got %v, want a 488 wrapping ErrMediaLoop", err)
			}
		})
	}
	if err := CheckReoffer(nil, offer("192.0.2.10", 10500)); err != nil {
		t.Errorf("without anchoring nothing loops through the switch: %v", err)
	}
}

func TestSignalingSource(t *testing.T) {
	tests := []struct {
		in   string
		want netip.Addr
	}{
		{"203.0.113.5:5060", netip.MustParseAddr("203.0.113.5")},
		{"[2001:db8::1]:5060", netip.MustParseAddr("2001:db8::1")},
		{"[::ffff:203.0.113.5]:5060", netip.MustParseAddr("203.0.113.5")},
		{"203.0.113.5", netip.MustParseAddr("203.0.113.5")},
		{"phone.example.com:5060", netip.Addr{}},
		{"", netip.Addr{}},
	}
	for _, tt := range tests {
		if got := SignalingSource(tt.in); got != tt.want {
			t.Errorf("SignalingSource(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
