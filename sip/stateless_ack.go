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
// its kind of To tag.
func tagStateless(res *sip.Response) {
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
	head, _, ok := bytes.Cut(msg, []byte("\r\n\r\n"))
	if !ok {
		return false
	}
	_, rest, _ := bytes.Cut(head, []byte("\r\n")) // past the request line
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			return false // folded headers: leave it to the parser
		}
		if isHeader(bytes.TrimSpace(name), "to", "t") {
			return bytes.HasPrefix(toTag(value), []byte(statelessTagPrefix))
		}
	}
	return false
}

// toTag is the tag parameter of a To header value (outside its <URI>),
// nil if it has none.
func toTag(to []byte) []byte {
	if i := bytes.LastIndexByte(to, '>'); i >= 0 {
		to = to[i:]
	}
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
