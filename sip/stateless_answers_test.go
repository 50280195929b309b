package sip

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
	"github.com/emiago/sipgo/siptest"

	"github.com/dialtone/dialtone/config"
)

// A digest challenge is answered statelessly: its transaction ends with
// the 401/407 instead of waiting 64×T1 for the ACK and then T4 with a
// goroutine parked on it. Every call starts with one, so at a thousand
// calls a second those transactions were thousands of goroutines and
// INVITEs held for nothing.
func TestChallengeTransactionEndsOnceAnswered(t *testing.T) {
	sw := newStatelessTestSwitch(t, "")
	tests := []struct {
		method sip.RequestMethod
		handle func(*sip.Request, sip.ServerTransaction)
		want   int
	}{
		{sip.INVITE, sw.handleInvite, 407},
		{sip.REGISTER, sw.handleRegister, 401},
	}
	for _, tt := range tests {
		t.Run(string(tt.method), func(t *testing.T) {
			req := phoneRequest(tt.method)
			tx := siptest.NewServerTxRecorder(req)
			tt.handle(req, tx)
			assertAnsweredAndEnded(t, tx, tt.want)
		})
	}
}

// An INVITE refused past sip.max_setup_calls after it reached sipgo (the
// limit was reached while it was parsed) is answered as statelessly as the
// ones refused in front of the parser: past the knee, their transactions
// and the goroutines parked on their ACKs were most of the heap.
func TestOverloadRefusalEndsItsTransaction(t *testing.T) {
	sw := newStatelessTestSwitch(t, "  max_setup_calls: 1\n")
	busy := sw.admission.acquireFor(false) // a call being set up
	defer busy.release()
	req := phoneRequest(sip.INVITE)
	tx := siptest.NewServerTxRecorder(req)
	sw.handleInvite(req, tx)
	assertAnsweredAndEnded(t, tx, 503)
}

func newStatelessTestSwitch(t *testing.T, sipSettings string) *Switch {
	t.Helper()
	cfg, err := config.Parse([]byte("sip:\n  domain: 127.0.0.1\n"+sipSettings+minimalConfig), "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sw, err := New(cfg, Options{Organization: organizationOf(t, cfg), CDRs: discardCDRs{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return sw
}

// phoneRequest is a new request from user 1001's phone, without
// credentials.
func phoneRequest(method sip.RequestMethod) *sip.Request {
	req := sip.NewRequest(method, sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1"})
	req.AppendHeader(sip.NewHeader("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK"+sip.GenerateTagN(8)))
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1"}, Params: sip.NewParams()})
	callID := sip.CallIDHeader(sip.GenerateTagN(12))
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: method})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: 5070}})
	req.SetSource("127.0.0.1:5070")
	return req
}

// assertAnsweredAndEnded checks that tx sent the one response want and
// ended with it.
func assertAnsweredAndEnded(t *testing.T, tx *siptest.ServerTxRecorder, want int) {
	t.Helper()
	res := tx.Result()
	if len(res) != 1 || res[0].StatusCode != want {
		t.Fatalf("responses %v, want %d", res, want)
	}
	// Its ACK is dropped as it arrives, by this tag (stateless_ack.go).
	if tag, _ := res[0].To().Params.Get("tag"); !strings.HasPrefix(tag, statelessTagPrefix) {
		t.Errorf("the %d's To tag is %q, want one of a stateless answer", want, tag)
	}
	select {
	case <-tx.Done():
	default:
		t.Fatalf("the transaction is kept after the %d", want)
	}
}
