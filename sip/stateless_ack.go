package sip

import (
	"bytes"
	"math/rand/v2"
	"strconv"

	"github.com/emiago/sipgo/sip"
)

// The answers the switch gives without a transaction (digest challenges,
// overload 503s) carry a To tag of their own kind, so that the caller's
// ACK for one, which every call's first INVITE draws, is known as such in
// the datagram and dropped before sipgo parses it. sipgo would parse it,
// start a goroutine and a server transaction for it, and hand it to a
// handler that finds no dialog: a sizeable share of what the switch spends
// on a call. No tag the switch or sipgo makes otherwise has a dot in it
// (sipgo's are UUIDs and letters and digits).
const statelessTagPrefix = "sl."

// statelessTag is a To tag for an answer without a transaction.
func statelessTag() string {
	return statelessTagPrefix + strconv.FormatUint(rand.Uint64(), 36)
}

// tagStateless gives a response the switch sends without a transaction
// its kind of To tag (in place of the one sipgo made), unless req was in a
// dialog (a SUBSCRIBE refresh challenged): its To tag names the dialog
// and stays.
func tagStateless(req *sip.Request, res *sip.Response) {
	if to := req.To(); to != nil {
		if tag, ok := to.Params.Get("tag"); ok && tag != "" {
			return
		}
	}
	if to := res.To(); to != nil {
		to.Params.Add("tag", statelessTag())
	}
}

// isStatelessAck reports whether a datagram is an ACK for an answer the
// switch sent without a transaction: an ACK whose To tag is of that kind.
// Anything it cannot read with certainty is left to sipgo.
func isStatelessAck(msg []byte) bool {
	if !bytes.HasPrefix(msg, []byte("ACK ")) {
		return false
	}
	var tag []byte
	readable := readHeaders(msg, func(name, value []byte) bool {
		if isHeader(name, "to", "t") {
			tag = toTag(value)
			return false
		}
		return true
	})
	return readable && bytes.HasPrefix(tag, []byte(statelessTagPrefix))
}

// toTag is the tag parameter of a To header value written <URI>;params,
// nil if it has none. Without the brackets it is nil too: which
// parameters belong to the URI is then the parser's to judge.
func toTag(to []byte) []byte {
	i := bytes.LastIndexByte(to, '>')
	if i < 0 {
		return nil
	}
	to = to[i:]
	for {
		i := bytes.IndexByte(to, ';')
		if i < 0 {
			return nil
		}
		to = to[i+1:]
		param, _, _ := bytes.Cut(to, []byte(";"))
		name, value, _ := bytes.Cut(param, []byte("="))
		if bytes.Equal(name, []byte("tag")) { // as sipgo reads it: no spaces, lower case
			return value
		}
	}
}
