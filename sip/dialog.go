package sip

import (
	"strings"

	"github.com/dialtone/dialtone/media"
	"github.com/emiago/sipgo/sip"
)

// handleAck confirms a dialog the switch answered.
func (sw *Switch) handleAck(req *sip.Request, tx sip.ServerTransaction) {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return
	}
	if v, ok := sw.uas.Load(id); ok {
		if in := inboundOf(v); in != nil {
			_ = in.server.ReadAck(req, tx)
		}
	}
}

// handleBye ends the dialog it names, from whichever side it came.
func (sw *Switch) handleBye(req *sip.Request, tx sip.ServerTransaction) {
	// The BYE's transaction is ended once answered rather than kept 64×T1
	// for a retransmission: at high call rates those transactions were
	// most of the memory held. A retransmitted BYE (our 200 lost) gets
	// 481, which ends the dialog for its sender just the same
	// (RFC 3261 §15.1.1).
	defer tx.Terminate()
	if id, err := sip.DialogIDFromRequestUAS(req); err == nil {
		if v, ok := sw.uas.Load(id); ok {
			if in := inboundOf(v); in == nil || in.server.ReadBye(req, tx) != nil {
				respond(tx, req, 481, "Call/Transaction Does Not Exist")
			}
			return
		}
	}
	if id, err := sip.DialogIDFromRequestUAC(req); err == nil {
		if v, ok := sw.uac.Load(id); ok {
			if out := outboundOf(v); out == nil || out.session().ReadBye(req, tx) != nil {
				respond(tx, req, 481, "Call/Transaction Does Not Exist")
			}
			return
		}
	}
	respond(tx, req, 481, "Call/Transaction Does Not Exist")
}

// handleUpdate answers UPDATE (RFC 3311) like a re-INVITE; without a body
// it only refreshes the session.
func (sw *Switch) handleUpdate(req *sip.Request, tx sip.ServerTransaction) {
	sw.handleReinvite(req, tx)
}

// handleReinvite answers a re-INVITE inside an established dialog (hold,
// resume, a phone's new address). The switch answers it itself: with media
// anchored, the other party keeps sending to the switch and needs no
// re-INVITE; the relay follows the new address and the hold state.
func (sw *Switch) handleReinvite(req *sip.Request, tx sip.ServerTransaction) {
	l := sw.legOfRequest(req)
	if l == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	var previous []byte
	switch d := l.Dialog.(type) {
	case *inboundLeg:
		if d.server != nil && d.server.InviteResponse != nil && d.server.InviteResponse.IsSuccess() {
			previous = d.server.InviteResponse.Body()
		}
	case *outboundLeg:
		previous = d.InviteRequest.Body()
	}
	offer := req.Body()
	if len(offer) == 0 || len(previous) == 0 {
		// No offer (a session refresh): the answer is the session as it is.
		_ = tx.Respond(sip.NewSDPResponseFromRequest(req, previous))
		return
	}
	if err := sw.checkReoffer(offer); err != nil {
		sw.log.Warn("re-offer refused", "source", req.Source(), "error", err)
		respond(tx, req, 488, "Not Acceptable Here")
		return
	}
	answer, err := media.Reanswer(previous, offer)
	if err != nil {
		respond(tx, req, 488, "Not Acceptable Here")
		return
	}
	if c := l.Owner(); c != nil {
		c.FollowReoffer(l, offer, req.Source())
	}
	_ = tx.Respond(sip.NewSDPResponseFromRequest(req, answer))
}

// handleInfo takes DTMF sent as SIP INFO (application/dtmf-relay
// "Signal=5", or application/dtmf "5") for a leg the switch answers
// itself: the key joins the leg's Endpoint's digits, so whatever reads
// keys there (the mailbox's menu, a voicemail recording's #) takes it as
// it takes an RFC 4733 event. Other INFO, and keys for a leg without an
// endpoint (a bridged call), are acknowledged and dropped.
func (sw *Switch) handleInfo(req *sip.Request, tx sip.ServerTransaction) {
	l := sw.legOfRequest(req)
	if l == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if key, ok := infoDigit(req); ok {
		if l.OnKey != nil {
			l.OnKey(key)
		}
		if ep := l.Endpoint.Load(); ep != nil {
			if err := ep.SignalDigit(key); err != nil {
				// The endpoint ended between the load and the key: the call
				// is hanging up, so the key has nothing left to act on.
				sw.log.Debug("info dtmf", "key", string(key), "error", err)
			}
		}
	}
	respond(tx, req, 200, "OK")
}

// infoDigit reads the key of a DTMF INFO body.
func infoDigit(req *sip.Request) (rune, bool) {
	body := strings.TrimSpace(string(req.Body()))
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = strings.ToLower(h.Value())
	}
	switch {
	case strings.HasPrefix(ct, "application/dtmf-relay"):
		for _, line := range strings.Split(body, "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "Signal") {
				body = strings.TrimSpace(v)
				break
			}
		}
	case strings.HasPrefix(ct, "application/dtmf"):
	default:
		return 0, false
	}
	if len(body) != 1 || !strings.ContainsRune("0123456789*#ABCDabcd", rune(body[0])) {
		return 0, false
	}
	return rune(strings.ToUpper(body)[0]), true
}
