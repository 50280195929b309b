package sip

import "testing"

const framedInvite = "INVITE sip:1002@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK1\r\n" +
	"Content-Type: application/sdp\r\nContent-Length: 10\r\n\r\n0123456789"

func TestMessageFramer(t *testing.T) {
	tests := []struct {
		name      string
		stream    string
		completed int
		partial   bool
	}{
		{name: "nothing", stream: "", completed: 0},
		{name: "keepalives only", stream: "\r\n\r\n\r\n", completed: 0},
		{name: "a message without a body", stream: "OPTIONS sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n", completed: 1},
		{name: "a message with a body", stream: framedInvite, completed: 1},
		{name: "two messages and a keepalive", stream: framedInvite + "\r\n\r\n" + framedInvite, completed: 2},
		{name: "half a start line", stream: "INVITE sip:1002@exa", partial: true},
		{name: "headers without their end", stream: "INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/TCP a\r\n", partial: true},
		{name: "a body cut short", stream: framedInvite[:len(framedInvite)-3], partial: true},
		{name: "a message then half of another", stream: framedInvite + "BYE sip:x SIP/2.0\r\n", completed: 1, partial: true},
		{name: "the compact form and odd spacing", stream: "MESSAGE sip:x SIP/2.0\r\nl :  3\r\n\r\nabc", completed: 1},
		{name: "lines ended by LF alone", stream: "OPTIONS sip:x SIP/2.0\nContent-Length: 2\n\nab", completed: 1},
		{name: "a bad length counts as none", stream: "OPTIONS sip:x SIP/2.0\r\nContent-Length: -4\r\n\r\n", completed: 1},
		{name: "a start line that looks like a length", stream: "Content-Length: 5\r\n\r\n", completed: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Whole, and one byte per read: TCP may cut the stream anywhere.
			for _, chunk := range []int{len(tt.stream) + 1, 1} {
				var f messageFramer
				s := tt.stream
				for len(s) > 0 {
					n := min(chunk, len(s))
					f.feed([]byte(s[:n]))
					s = s[n:]
				}
				if f.completed != tt.completed || f.partial() != tt.partial {
					t.Errorf("chunks of %d: completed %d partial %v, want %d %v", chunk, f.completed, f.partial(), tt.completed, tt.partial)
				}
			}
		})
	}
}

// FuzzMessageFramer checks that where reads cut the stream changes
// nothing, and that no input makes the framer panic or grow.
func FuzzMessageFramer(f *testing.F) {
	f.Add([]byte(framedInvite+"\r\n\r\n"+framedInvite), 7)
	f.Add([]byte("INVITE sip:x SIP/2.0\r\nl: 99999999999999999999\r\n\r\n"), 3)
	f.Fuzz(func(t *testing.T, stream []byte, cut int) {
		var whole, split messageFramer
		whole.feed(stream)
		if cut < 0 {
			cut = -cut
		}
		cut %= len(stream) + 1
		split.feed(stream[:cut])
		split.feed(stream[cut:])
		if whole.completed != split.completed || whole.partial() != split.partial() || whole.bodyLeft != split.bodyLeft {
			t.Fatalf("cut at %d: %+v, whole: %+v", cut, split, whole)
		}
		if len(whole.line) > maxFramedLine {
			t.Fatalf("kept a line of %d bytes", len(whole.line))
		}
	})
}
