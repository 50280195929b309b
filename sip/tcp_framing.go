package sip

import (
	"bytes"
	"strconv"
)

// messageFramer follows SIP message boundaries in a TCP byte stream, only
// to tell a connection that is between messages from one that stopped in
// the middle of one; sipgo parses the messages themselves.
type messageFramer struct {
	state     framingState
	line      []byte // the header line being read, up to maxFramedLine bytes
	startLine bool   // the line being read is the message's first
	length    int    // the message's Content-Length
	bodyLeft  int
	completed int // messages seen to their end
}

type framingState int

const (
	betweenMessages framingState = iota
	inHeaders
	inBody
)

// maxFramedLine is as much of a header line as is kept: a Content-Length
// line fits, and an endless line costs no memory.
const maxFramedLine = 128

// partial reports whether a message has begun and not ended.
func (f *messageFramer) partial() bool { return f.state != betweenMessages }

// feed consumes the next bytes of the stream.
func (f *messageFramer) feed(p []byte) {
	for len(p) > 0 {
		switch f.state {
		case betweenMessages:
			// CRLF keepalives (RFC 5626) and stray line ends between
			// messages start nothing.
			i := 0
			for i < len(p) && (p[i] == '\r' || p[i] == '\n') {
				i++
			}
			p = p[i:]
			if len(p) > 0 {
				f.state, f.startLine, f.length, f.line = inHeaders, true, 0, f.line[:0]
			}
		case inHeaders:
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				f.keep(p)
				return
			}
			f.keep(p[:i])
			p = p[i+1:]
			f.endLine()
		case inBody:
			n := min(f.bodyLeft, len(p))
			f.bodyLeft -= n
			p = p[n:]
			if f.bodyLeft == 0 {
				f.state = betweenMessages
				f.completed++
			}
		}
	}
}

func (f *messageFramer) keep(p []byte) {
	if room := maxFramedLine - len(f.line); room > 0 {
		f.line = append(f.line, p[:min(room, len(p))]...)
	}
}

// endLine handles a complete header line: the empty line ends the headers.
func (f *messageFramer) endLine() {
	line := bytes.TrimRight(f.line, "\r")
	f.line = f.line[:0]
	if f.startLine {
		f.startLine = false
		return
	}
	if len(line) > 0 {
		if n, ok := contentLength(line); ok {
			f.length = n
		}
		return
	}
	if f.length > 0 {
		f.state, f.bodyLeft = inBody, f.length
		return
	}
	f.state = betweenMessages
	f.completed++
}

// contentLength reads a Content-Length (or compact "l") header line.
func contentLength(line []byte) (int, bool) {
	name, value, ok := bytes.Cut(line, []byte(":"))
	if !ok {
		return 0, false
	}
	name = bytes.TrimSpace(name)
	if !bytes.EqualFold(name, []byte("content-length")) && !bytes.EqualFold(name, []byte("l")) {
		return 0, false
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(value)))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
