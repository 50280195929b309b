package sip

import (
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/dialtone/dialtone/calls"
)

// An inbound leg refused before its dialog exists answers on the
// INVITE's transaction, saying why in the headers the refusal carries.
func TestAnInboundLegRefusesWithTheHeadersOfItsRefusal(t *testing.T) {
	for _, tt := range []struct {
		name        string
		ce          *callError
		reason      string
		retryAfter  string
		wantStartLn string
	}{
		{"a reason", calls.Refuse(486, "Busy Here", "concurrent call limit reached"), `SIP;cause=486;text="concurrent call limit reached"`, "", "SIP/2.0 486 Busy Here"},
		{"try again later", &callError{Code: 503, Phrase: "Service Unavailable", RetryAfter: 30}, "", "30", "SIP/2.0 503 Service Unavailable"},
		{"nothing to add", &callError{Code: 480, Phrase: "Temporarily Unavailable"}, "", "", "SIP/2.0 480 Temporarily Unavailable"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := sip.NewRequest(sip.INVITE, sip.Uri{User: "1002", Host: "example.com"})
			req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
			tx := &respondRecorder{}
			in := &inboundLeg{req: req, tx: tx}
			if err := in.Refuse(tt.ce); err != nil {
				t.Fatal(err)
			}
			if len(tx.sent) != 1 || tx.sent[0].StartLine() != tt.wantStartLn {
				t.Fatalf("sent %v, want one %q", tx.sent, tt.wantStartLn)
			}
			res := tx.sent[0]
			if got := headerValue(res, "Reason"); got != tt.reason {
				t.Errorf("Reason %q, want %q", got, tt.reason)
			}
			if got := headerValue(res, "Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
		})
	}
}

func headerValue(res *sip.Response, name string) string {
	if h := res.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

// What only the other side can do fails rather than sending anything.
func TestAnOutboundLegCannotBeRefusedOrRelayedTo(t *testing.T) {
	out := &outboundLeg{}
	if err := out.Refuse(calls.Refuse(486, "Busy Here", "")); err != errWrongSide {
		t.Errorf("Refuse: %v, want errWrongSide", err)
	}
	if err := out.Provisional(180, "Ringing", nil); err != errWrongSide {
		t.Errorf("Provisional: %v, want errWrongSide", err)
	}
	if out.Unacked() {
		t.Error("an outbound leg waits for no ACK")
	}
}
