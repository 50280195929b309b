package sip

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

const statelessAck = "ACK sip:+14155550199@127.0.0.1:5060 SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n" +
	"From: <sip:1001@127.0.0.1>;tag=abc\r\n" +
	"To: <sip:+14155550199@127.0.0.1:5060>;tag=sl.3kq9z\r\n" +
	"Call-ID: call-1@127.0.0.1\r\n" +
	"CSeq: 1 ACK\r\n" +
	"Content-Length: 0\r\n\r\n"

func TestIsStatelessAck(t *testing.T) {
	dialogTag := "tag=6f1c2d3e-0a1b-4c5d-8e9f-112233445566"
	tests := []struct {
		name string
		msg  string
		want bool
	}{
		{"the ACK for a challenge", statelessAck, true},
		{"compact To", strings.Replace(statelessAck, "\r\nTo:", "\r\nt:", 1), true},
		{"spaces around the tag, which sipgo does not take for the tag", strings.Replace(statelessAck, ";tag=sl.", " ; tag = sl.", 1), false},
		{"TAG in capitals, which sipgo does not take for the tag", strings.Replace(statelessAck, ";tag=sl.", ";TAG=sl.", 1), false},
		{"a tag parameter after another", strings.Replace(statelessAck, ";tag=sl.", ";x=1;tag=sl.", 1), true},
		{"the ACK for an answered call", strings.Replace(statelessAck, "tag=sl.3kq9z", dialogTag, 1), false},
		{"a To without brackets is left to sipgo", strings.Replace(statelessAck, "<sip:+14155550199@127.0.0.1:5060>;tag", "sip:+14155550199@127.0.0.1:5060;tag", 1), false},
		{"no To tag", strings.Replace(statelessAck, ";tag=sl.3kq9z", "", 1), false},
		{"the tag inside the To URI", strings.Replace(statelessAck, "5060>;tag=sl.3kq9z", "5060;tag=sl.1>", 1), false},
		{"a tag that only contains the prefix", strings.Replace(statelessAck, "tag=sl.", "tag=xsl.", 1), false},
		{"a BYE", strings.Replace(statelessAck, "ACK sip:", "BYE sip:", 1), false},
		{"no end of headers", strings.TrimSuffix(statelessAck, "\r\n\r\n"), false},
		{"a folded header before To", strings.Replace(statelessAck, "From: <sip:1001@127.0.0.1>;tag=abc\r\n", "From: <sip:1001@127.0.0.1>\r\n ;tag=abc\r\n", 1), false},
		{"no To", strings.Replace(statelessAck, "To: <sip:+14155550199@127.0.0.1:5060>;tag=sl.3kq9z\r\n", "", 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isStatelessAck([]byte(tt.msg)); got != tt.want {
				t.Errorf("isStatelessAck = %t, want %t", got, tt.want)
			}
		})
	}
}

// The tags the switch and sipgo make for answers with a transaction never
// look like a stateless answer's.
func TestOtherTagsAreNotStateless(t *testing.T) {
	req := phoneRequest(sip.INVITE)
	for range 100 {
		res := sip.NewResponseFromRequest(req, 200, "OK", nil) // sipgo's tag, as on a dialog's 200
		tag, _ := res.To().Params.Get("tag")
		for _, tag := range []string{tag, sip.GenerateTagN(16)} {
			if strings.HasPrefix(tag, statelessTagPrefix) {
				t.Fatalf("tag %q is taken for a stateless answer's", tag)
			}
		}
	}
}

// FuzzIsStatelessAck checks the datagram reading against sipgo's parser:
// whatever it drops is an ACK with a stateless answer's To tag, as sipgo
// reads it.
func FuzzIsStatelessAck(f *testing.F) {
	f.Add(statelessAck)
	f.Add(strings.Replace(statelessAck, "\r\nTo:", "\r\nt:", 1))
	f.Add(strings.Replace(statelessAck, ";tag=sl.", ";x=\"a;b\";tag=sl.", 1))
	f.Add(strings.Replace(statelessAck, ";tag=sl.", " ; tag = sl.", 1))
	f.Fuzz(func(t *testing.T, msg string) {
		if !isStatelessAck([]byte(msg)) {
			return
		}
		m, err := sip.ParseMessage([]byte(msg))
		if err != nil {
			return // sipgo would drop it too
		}
		req, ok := m.(*sip.Request)
		if !ok || !req.IsAck() {
			t.Fatalf("dropped as a stateless ACK, sipgo reads a %T %v", m, m)
		}
		to := req.To()
		if to == nil {
			t.Fatalf("dropped as a stateless ACK, sipgo finds no To")
		}
		if tag, _ := to.Params.Get("tag"); !strings.HasPrefix(tag, statelessTagPrefix) {
			t.Fatalf("dropped as a stateless ACK, sipgo reads the To tag %q", tag)
		}
	})
}

// The listener drops the ACK for a stateless answer and hands sipgo
// everything else, the ACK for an answered call included.
func TestUDPListenerDropsTheAckForAStatelessAnswer(t *testing.T) {
	sw := &Switch{admission: newAdmission(0), metrics: newMetrics(nil, nil)}
	r := newUDPRig(t, sw)
	dialogAck := strings.Replace(statelessAck, "tag=sl.3kq9z", "tag=6f1c2d3e-0a1b-4c5d", 1)
	r.send(statelessAck)
	r.send(dialogAck)
	if got := r.read(); got != dialogAck {
		t.Fatalf("sipgo read %q, want the dialog's ACK", got)
	}
}

// A challenge of a request in a dialog (a SUBSCRIBE refresh) keeps the
// dialog's To tag; one outside a dialog gets the stateless kind.
func TestTagStatelessKeepsADialogsTag(t *testing.T) {
	tests := []struct {
		name, to  string
		stateless bool
	}{
		{"outside a dialog", "<sip:1001@example.com>", true},
		{"in a dialog", "<sip:1001@example.com>;tag=abc123", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := sip.NewRequest(sip.SUBSCRIBE, sip.Uri{User: "1001", Host: "example.com"})
			to := &sip.ToHeader{Address: sip.Uri{User: "1001", Host: "example.com"}, Params: sip.NewParams()}
			if tag, ok := strings.CutPrefix(tt.to, "<sip:1001@example.com>;tag="); ok {
				to.Params.Add("tag", tag)
			}
			req.AppendHeader(to)
			res := sip.NewResponseFromRequest(req, sip.StatusUnauthorized, "Unauthorized", nil)
			tagStateless(req, res)
			tag, _ := res.To().Params.Get("tag")
			if got := strings.HasPrefix(tag, statelessTagPrefix); got != tt.stateless {
				t.Errorf("To tag %q: stateless %v, want %v", tag, got, tt.stateless)
			}
			if !tt.stateless && tag != "abc123" {
				t.Errorf("To tag %q, want the dialog's abc123", tag)
			}
		})
	}
}
