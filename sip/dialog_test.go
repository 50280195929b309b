package sip

import (
	"io"
	"log/slog"
	"testing"

	"github.com/emiago/sipgo/sip"
	"github.com/emiago/sipgo/siptest"

	"github.com/dialtone/dialtone/config"
)

// A BYE's transaction ends once answered instead of living 64×T1 (32 s)
// for retransmissions: at a thousand calls a second those transactions
// were most of the memory the switch held.
func TestByeTransactionEndsOnceAnswered(t *testing.T) {
	cfg, err := config.Parse([]byte("sip:\n  domain: 127.0.0.1\n"+minimalConfig), "b.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sw, err := New(cfg, Options{Organization: organizationOf(t, cfg), CDRs: discardCDRs{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	req := sip.NewRequest(sip.BYE, sip.Uri{Scheme: "sip", User: "dialtone", Host: "127.0.0.1"})
	req.AppendHeader(sip.NewHeader("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK"+sip.GenerateTagN(8)))
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", "a")
	to := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "1002", Host: "127.0.0.1"}, Params: sip.NewParams()}
	to.Params.Add("tag", "b")
	req.AppendHeader(from)
	req.AppendHeader(to)
	callID := sip.CallIDHeader("bye-test")
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 2, MethodName: sip.BYE})
	tx := siptest.NewServerTxRecorder(req)

	sw.handleBye(req, tx)
	if res := tx.Result(); len(res) != 1 || res[0].StatusCode != 481 {
		t.Fatalf("responses %v, want 481 for an unknown dialog", res)
	}
	select {
	case <-tx.Done():
	default:
		t.Fatal("the BYE's transaction is kept after its answer")
	}
}
