package sip

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/calls"
	"github.com/emiago/sipgo/sip"
)

// referTarget is what a REFER asks for (RFC 3515): a target, and for an
// attended transfer the dialog it replaces (RFC 3891).
type referTarget struct {
	User     string // user part of the Refer-To URI: an extension, name or number
	Replaces *replaces
}

// replaces names the dialog an attended transfer replaces
// (calls.Replaces).
type replaces = calls.Replaces

var errBadReferTo = errors.New("malformed Refer-To")

// parseReferTo reads a Refer-To header value such as
// <sip:1003@example.org?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2>.
func parseReferTo(v string) (*referTarget, error) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		j := strings.LastIndexByte(v, '>')
		if j < i {
			return nil, errBadReferTo
		}
		v = v[i+1 : j]
	} else if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i] // without <>, ;params belong to the header
	}
	uri, headers, _ := strings.Cut(v, "?")
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok || (scheme != "sip" && scheme != "sips" && scheme != "tel") {
		return nil, fmt.Errorf("%w: scheme of %q", errBadReferTo, uri)
	}
	user := rest
	if scheme != "tel" {
		var found bool
		user, _, found = strings.Cut(rest, "@")
		if !found {
			return nil, fmt.Errorf("%w: no user in %q", errBadReferTo, uri)
		}
	}
	user, _, _ = strings.Cut(user, ";")
	if u, err := url.PathUnescape(user); err == nil {
		user = u
	}
	if user == "" {
		return nil, fmt.Errorf("%w: empty user", errBadReferTo)
	}
	t := &referTarget{User: user}
	for _, h := range strings.Split(headers, "&") {
		name, value, _ := strings.Cut(h, "=")
		if !strings.EqualFold(name, "Replaces") {
			continue
		}
		raw, err := url.QueryUnescape(value)
		if err != nil {
			return nil, fmt.Errorf("%w: Replaces: %v", errBadReferTo, err)
		}
		r, err := parseReplaces(raw)
		if err != nil {
			return nil, err
		}
		t.Replaces = r
	}
	return t, nil
}

// parseReplaces reads "callid;to-tag=x;from-tag=y" (RFC 3891 §6.1).
func parseReplaces(v string) (*replaces, error) {
	parts := strings.Split(v, ";")
	r := &replaces{CallID: strings.TrimSpace(parts[0])}
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch strings.ToLower(k) {
		case "to-tag":
			r.ToTag = val
		case "from-tag":
			r.FromTag = val
		}
	}
	if r.CallID == "" || r.ToTag == "" || r.FromTag == "" {
		return nil, fmt.Errorf("%w: Replaces %q needs a call id, to-tag and from-tag", errBadReferTo, v)
	}
	return r, nil
}

// handleRefer answers a REFER inside a dialog.
func (sw *Switch) handleRefer(req *sip.Request, tx sip.ServerTransaction) {
	x := sw.legOfRequest(req)
	if x == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	h := req.GetHeader("Refer-To")
	if h == nil {
		respond(tx, req, 400, "Bad Request", sip.NewHeader("Reason", `SIP;cause=400;text="no Refer-To"`))
		return
	}
	target, err := parseReferTo(h.Value())
	if err != nil {
		respond(tx, req, 400, "Bad Request", sip.NewHeader("Reason", fmt.Sprintf("SIP;cause=400;text=%q", err.Error())))
		return
	}
	c := x.Owner()
	u := sw.directory().User(x.Party)
	if c == nil || x.CDR.Endpoint != billing.EndpointPhone || u == nil {
		respond(tx, req, 403, "Forbidden", sip.NewHeader("Reason", `SIP;cause=403;text="only a user's phone can transfer"`))
		return
	}
	if target.Replaces != nil {
		if x2 := sw.legByDialog(target.Replaces); x2 != nil && !calls.MayReplace(u, x2) {
			// Before the 202: nothing is placed, moved or charged.
			sw.log.Warn("transfer refused: Replaces names another user's dialog", "call_id", c.ID(), "user", u.Extension, "dialog_user", x2.Party)
			respond(tx, req, 403, "Forbidden", sip.NewHeader("Reason", `SIP;cause=403;text="the dialog to replace is not the transferor's"`))
			return
		}
	}
	res := sip.NewResponseFromRequest(req, 202, "Accepted", nil)
	_ = tx.Respond(res)
	sw.log.Info("transfer requested", "call_id", c.ID(), "leg_id", x.CDR.LegID, "user", u.Extension, "target", target.User, "attended", target.Replaces != nil)
	if target.Replaces != nil {
		c.StartAttendedTransfer(x, u, target.Replaces)
	} else {
		c.StartBlindTransfer(x, u, target.User)
	}
}
