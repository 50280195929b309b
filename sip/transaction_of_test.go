package sip

import (
	"fmt"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// transactionOf names a transaction as its fmt version did: branch|
// host:port|Call-ID|CSeq method|source.
func TestTransactionOfName(t *testing.T) {
	msg := "INVITE sip:+14155550199@127.0.0.1:5060 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 10.0.0.7:5072;branch=z9hG4bK-77-1;rport\r\n" +
		"From: <sip:1001@127.0.0.1>;tag=a1\r\nTo: <sip:+14155550199@127.0.0.1>\r\n" +
		"Call-ID: 77-1@10.0.0.7\r\nCSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n"
	parsed, err := sip.ParseMessage([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	req := parsed.(*sip.Request)
	req.SetSource("10.0.0.7:5072")
	if got, want := transactionOf(req), formattedTransaction(req); got != want {
		t.Errorf("transactionOf = %q, want %q", got, want)
	}
	if want := "z9hG4bK-77-1|10.0.0.7:5072|77-1@10.0.0.7|2 INVITE|10.0.0.7:5072"; transactionOf(req) != want {
		t.Errorf("transactionOf = %q, want %q", transactionOf(req), want)
	}
}

// formattedTransaction is how transactionOf wrote the name with fmt.
func formattedTransaction(req *sip.Request) string {
	var b strings.Builder
	if v := req.Via(); v != nil {
		branch, _ := v.Params.Get("branch")
		fmt.Fprintf(&b, "%s|%s:%d|", branch, v.Host, v.Port)
	}
	if id := req.CallID(); id != nil {
		b.WriteString(id.Value())
	}
	if cs := req.CSeq(); cs != nil {
		fmt.Fprintf(&b, "|%d %s", cs.SeqNo, cs.MethodName)
	}
	b.WriteString("|" + req.Source())
	return b.String()
}
