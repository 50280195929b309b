package sip

import (
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// onlySIP2 answers a request of any SIP version but 2.0 with 505 and goes
// no further with it (RFC 3261 8.2.2): a SIP/7.0 INVITE is not an INVITE
// the switch understands, and must not be challenged or routed as one.
func onlySIP2(next sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if strings.EqualFold(req.SipVersion, "SIP/2.0") { // case-insensitive (RFC 3261 7.1)
			next(req, tx)
			return
		}
		if req.IsAck() {
			return // an ACK gets no response
		}
		res := sip.NewResponseFromRequest(req, sip.StatusVersionNotSupported, "Version Not Supported", nil)
		res.SipVersion = "SIP/2.0" // the version the switch speaks, not the request's
		_ = tx.Respond(res)
	}
}
