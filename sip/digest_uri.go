package sip

import (
	"net/url"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// sameSIPURI reports whether a digest's uri names the same target as the
// Request-URI, so a response computed for one request cannot authorize a
// request to another number. Compared as SIP URIs (RFC 3261 §19.1.4, the
// parts that choose the target): scheme, user (escapes decoded, case kept),
// host (case-insensitive), port (absent = the scheme's default). Parameters
// and headers are ignored: phones order and case them as they like, and
// none of them changes whom the request reaches. URIs of other schemes
// (tel:) must be equal as text, ignoring case.
func sameSIPURI(digestURI, requestURI string) bool {
	var a, b sip.Uri
	if sip.ParseUri(digestURI, &a) != nil || sip.ParseUri(requestURI, &b) != nil || !isSIPScheme(a.Scheme) || !isSIPScheme(b.Scheme) {
		return digestURI != "" && strings.EqualFold(digestURI, requestURI)
	}
	return a.Scheme == b.Scheme &&
		unescapeUser(a.User) == unescapeUser(b.User) &&
		strings.EqualFold(strings.Trim(a.Host, "[]"), strings.Trim(b.Host, "[]")) &&
		uriPort(a) == uriPort(b)
}

func isSIPScheme(s string) bool { return s == "sip" || s == "sips" }

func unescapeUser(u string) string {
	if s, err := url.PathUnescape(u); err == nil {
		return s
	}
	return u
}

func uriPort(u sip.Uri) int {
	switch {
	case u.Port > 0:
		return u.Port
	case u.Scheme == "sips":
		return 5061
	default:
		return 5060
	}
}
