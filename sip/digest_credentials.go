package sip

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/icholy/digest"
)

// parseDigestCredentials parses an Authorization header value exactly as
// digest.ParseCredentials does (FuzzDigestCredentialsParsers checks that),
// without its 4 KB read buffer and rune slices per header: the values are
// substrings of the header unless they hold escapes. It ran on every
// authenticated INVITE and REGISTER, and was the largest allocation the
// switch itself made per call.
func parseDigestCredentials(s string) (*digest.Credentials, error) {
	s, ok := digest.CutPrefix(s)
	if !ok {
		return nil, errors.New("digest: invalid credentials prefix")
	}
	var c digest.Credentials
	p := paramScanner{s: s}
	for first := true; ; first = false {
		p.skipSpaces()
		if p.i == len(p.s) {
			break
		}
		key, value, err := p.param(first)
		if err != nil {
			return nil, fmt.Errorf("digest: invalid credentials: param: %w", err)
		}
		switch key {
		case "username":
			c.Username = value
		case "realm":
			c.Realm = value
		case "nonce":
			c.Nonce = value
		case "uri":
			c.URI = value
		case "response":
			c.Response = value
		case "algorithm":
			c.Algorithm = value
		case "cnonce":
			c.Cnonce = value
		case "opaque":
			c.Opaque = value
		case "qop":
			c.QOP = value
		case "nc":
			nc, err := strconv.ParseInt(value, 16, 32)
			if err != nil {
				return nil, fmt.Errorf("digest: invalid nc: %w", err)
			}
			c.Nc = int(nc)
		case "userhash":
			c.Userhash = strings.ToLower(value) == "true"
		}
	}
	return &c, nil
}

// paramScanner reads the key=value, key="quoted" list of a digest header
// with the grammar of the digest package: only spaces are white space,
// keys and bare values are letters, digits and '-', a backslash escapes
// the next character of a quoted value, and invalid UTF-8 in a quoted
// value reads as U+FFFD.
type paramScanner struct {
	s string
	i int
}

var errUnexpectedEnd = errors.New("unexpected end of header")

func (p *paramScanner) skipSpaces() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *paramScanner) expect(b byte) error {
	if p.i == len(p.s) {
		return fmt.Errorf("expected '%c', got EOF", b)
	}
	if p.s[p.i] != b {
		return fmt.Errorf("expected '%c', got '%c'", b, p.s[p.i])
	}
	p.i++
	return nil
}

func (p *paramScanner) param(first bool) (key, value string, err error) {
	p.skipSpaces()
	if !first {
		if err := p.expect(','); err != nil {
			return "", "", err
		}
		p.skipSpaces()
	}
	key = p.ident()
	p.skipSpaces()
	if err := p.expect('='); err != nil {
		return "", "", err
	}
	p.skipSpaces()
	if p.i < len(p.s) && p.s[p.i] == '"' {
		value, err = p.quoted()
		return key, value, err
	}
	return key, p.ident(), nil
}

func (p *paramScanner) ident() string {
	start := p.i
	for p.i < len(p.s) {
		b := p.s[p.i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-') {
			break
		}
		p.i++
	}
	return p.s[start:p.i]
}

// quoted reads a quoted value; the opening quote is at p.i.
func (p *paramScanner) quoted() (string, error) {
	p.i++
	start := p.i
	// The common case: no escape, valid UTF-8, a closing quote.
	for j := start; j < len(p.s); j++ {
		switch c := p.s[j]; {
		case c == '"':
			p.i = j + 1
			return p.s[start:j], nil
		case c == '\\' || c >= utf8.RuneSelf:
			return p.quotedSlow()
		}
	}
	return "", errUnexpectedEnd
}

// quotedSlow reads a quoted value from p.i (after the opening quote) rune
// by rune, as the digest package does.
func (p *paramScanner) quotedSlow() (string, error) {
	var out []byte
	escaped := false
	for p.i < len(p.s) {
		r, size := utf8.DecodeRuneInString(p.s[p.i:])
		p.i += size
		switch {
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
			continue
		case r == '"':
			return string(out), nil
		}
		out = utf8.AppendRune(out, r)
	}
	return "", errUnexpectedEnd
}
