package sip

import (
	"errors"
	"testing"
)

const offerPCMU = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"

func TestCheckOffer(t *testing.T) {
	tests := []struct {
		name string
		body string
		code int
	}{
		{"an audio offer passes", offerPCMU, 0},
		{"garbage is a bad request", "hello", 400},
		{"an offer without audio is not acceptable", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 4000 RTP/AVP 96\r\n", 488},
		{"a rejected audio stream is not acceptable", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n", 488},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := checkOffer([]byte(tt.body))
			var ce *callError
			switch {
			case tt.code == 0 && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.code != 0 && (!errors.As(err, &ce) || ce.Code != tt.code):
				t.Fatalf("got %v, want %d", err, tt.code)
			}
		})
	}
}

func FuzzCheckOffer(f *testing.F) {
	f.Add([]byte(offerPCMU))
	f.Add([]byte("v=0\r\nm=audio 1 RTP/AVP 0\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := checkOffer(body)
		var ce *callError
		if err != nil && (!errors.As(err, &ce) || (ce.Code != 400 && ce.Code != 488)) {
			t.Fatalf("unexpected error shape: %v", err)
		}
	})
}
