package sip

import (
	"strings"

	orgdir "github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/phone"
	"github.com/emiago/sipgo/sip"
)

// route is where a new call goes; the directory decides it (routing
// policy is package directory's), from what routeFromPhone and
// routeFromTrunk read off the request.
type route = orgdir.Route

// dialedUser is the user part of the Request-URI, or of To when the
// Request-URI has none.
func dialedUser(req *sip.Request) string {
	if u := req.Recipient.User; u != "" {
		return u
	}
	return req.To().Address.User
}

// routeFromTrunk routes a call the carrier sends to one of our numbers.
func (sw *Switch) routeFromTrunk(req *sip.Request, t *trunk) (*route, error) {
	return sw.directory().RouteFromTrunk(t, dialedUser(req), req.From().Address.User)
}

// routeFromPhone routes a call a registered user places.
func (sw *Switch) routeFromPhone(req *sip.Request, u *user) (*route, error) {
	dir := sw.directory()
	return dir.RouteFromPhone(u, orgdir.Dialing{
		Dialed:             dialedUser(req),
		Identity:           preferredIdentity(req),
		VoicemailExtension: dir.settings.voicemailExtension,
		AgentJoin:          sw.agentJoinHook() != nil,
	})
}

// preferredIdentity is the caller ID a P-Preferred-Identity header asks
// for (nil: none).
func preferredIdentity(req *sip.Request) *orgdir.AskedIdentity {
	h := req.GetHeader("P-Preferred-Identity")
	if h == nil {
		return nil
	}
	n, ok := identityNumber(h.Value())
	return &orgdir.AskedIdentity{Number: n, OK: ok}
}

// identityNumber reads the E.164 number of a P-Preferred-Identity value
// such as <sip:+14155550100@host> or <tel:+14155550100>.
func identityNumber(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		v = v[i+1:]
		if j := strings.IndexByte(v, '>'); j >= 0 {
			v = v[:j]
		}
	}
	v = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(v, "sips:"), "sip:"), "tel:")
	if i := strings.IndexAny(v, "@;"); i >= 0 {
		v = v[:i]
	}
	return phone.Dialed(v, "")
}
