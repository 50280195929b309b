package sip

import (
	"github.com/emiago/sipgo/sip"
)

// handleAck confirms a dialog the switch answered.
func (sw *Switch) handleAck(req *sip.Request, tx sip.ServerTransaction) {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return
	}
	if v, ok := sw.uas.Load(id); ok {
		_ = v.(*leg).server.ReadAck(req, tx)
	}
}

// handleBye ends the dialog it names, from whichever side it came.
func (sw *Switch) handleBye(req *sip.Request, tx sip.ServerTransaction) {
	if id, err := sip.DialogIDFromRequestUAS(req); err == nil {
		if v, ok := sw.uas.Load(id); ok {
			if err := v.(*leg).server.ReadBye(req, tx); err != nil {
				respond(tx, req, 481, "Call/Transaction Does Not Exist")
			}
			return
		}
	}
	if id, err := sip.DialogIDFromRequestUAC(req); err == nil {
		if v, ok := sw.uac.Load(id); ok {
			if err := v.(*leg).client.ReadBye(req, tx); err != nil {
				respond(tx, req, 481, "Call/Transaction Does Not Exist")
			}
			return
		}
	}
	respond(tx, req, 481, "Call/Transaction Does Not Exist")
}

// handleReinvite answers a session refresh inside an established dialog.
// Until media is anchored (issue: media) the switch keeps the session as
// it is and answers with the SDP it last sent on that dialog.
func (sw *Switch) handleReinvite(req *sip.Request, tx sip.ServerTransaction) {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err == nil {
		if v, ok := sw.uas.Load(id); ok {
			l := v.(*leg)
			if res := l.server.InviteResponse; res != nil && res.IsSuccess() {
				_ = tx.Respond(sip.NewSDPResponseFromRequest(req, res.Body()))
				return
			}
		}
	}
	if id, err := sip.DialogIDFromRequestUAC(req); err == nil {
		if v, ok := sw.uac.Load(id); ok {
			l := v.(*leg)
			_ = tx.Respond(sip.NewSDPResponseFromRequest(req, l.client.InviteRequest.Body()))
			return
		}
	}
	respond(tx, req, 481, "Call/Transaction Does Not Exist")
}
