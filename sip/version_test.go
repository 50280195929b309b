package sip

import (
	"testing"

	"github.com/emiago/sipgo/sip"
)

// respondRecorder is a server transaction that keeps what it is told to send.
type respondRecorder struct {
	sip.ServerTransaction
	sent []*sip.Response
}

func (r *respondRecorder) Respond(res *sip.Response) error {
	r.sent = append(r.sent, res)
	return nil
}

func TestOnlySIP2(t *testing.T) {
	tests := []struct {
		method  sip.RequestMethod
		version string
		handled bool   // passed on to the switch
		answer  string // the response line sent instead, if any
	}{
		{sip.INVITE, "SIP/2.0", true, ""},
		{sip.REGISTER, "sip/2.0", true, ""}, // the version is case-insensitive
		{sip.INVITE, "SIP/7.0", false, "SIP/2.0 505 Version Not Supported"},
		{sip.OPTIONS, "SIP/1.0", false, "SIP/2.0 505 Version Not Supported"},
		{sip.ACK, "SIP/7.0", false, ""}, // an ACK is never answered
	}
	for _, tt := range tests {
		t.Run(string(tt.method)+" "+tt.version, func(t *testing.T) {
			req := sip.NewRequest(tt.method, sip.Uri{User: "1002", Host: "example.com"})
			req.SipVersion = tt.version
			req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: tt.method})
			tx := &respondRecorder{}
			handled := false
			onlySIP2(func(*sip.Request, sip.ServerTransaction) { handled = true })(req, tx)
			if handled != tt.handled {
				t.Errorf("handled %v, want %v", handled, tt.handled)
			}
			var answer string
			if len(tx.sent) > 0 {
				answer = tx.sent[0].StartLine()
			}
			if answer != tt.answer || len(tx.sent) > 1 {
				t.Errorf("sent %q (%d responses), want %q", answer, len(tx.sent), tt.answer)
			}
		})
	}
}
