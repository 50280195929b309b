package sip

import (
	"context"
	"fmt"
	"strings"

	"github.com/dialtone/dialtone/calls"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// inboundLeg is a leg whose INVITE the switch received: until Accept it
// is the INVITE's transaction, then a server dialog.
type inboundLeg struct {
	// req is the INVITE: as received until Accept, then the server
	// dialog's copy, so the one received goes with its transaction.
	req    *sip.Request
	tx     sip.ServerTransaction // invite, but for tests' fakes
	ua     *sipgo.DialogUA
	server *sipgo.DialogServerSession // set by Accept
	invite inviteTx                   // in the leg: one allocation less a call
}

// newInboundLeg wraps an INVITE the switch will answer as a B2BUA. The
// leg and its dialog hold the transaction through an inviteTx, which
// lets go of it when it ends.
func (sw *Switch) newInboundLeg(req *sip.Request, tx sip.ServerTransaction) *inboundLeg {
	ua := sw.dialogUA[strings.ToLower(req.Transport())]
	if ua == nil {
		ua = sw.dialogUA["udp"]
	}
	l := &inboundLeg{req: req, ua: ua}
	l.invite.wrap(tx)
	l.tx = &l.invite
	return l
}

func (l *inboundLeg) DialogID() string {
	if l.server == nil {
		return ""
	}
	return l.server.ID
}

func (l *inboundLeg) SDP() []byte    { return l.req.Body() }
func (l *inboundLeg) Source() string { return l.req.Source() }

func (l *inboundLeg) Context() context.Context {
	if l.server == nil {
		return context.Background()
	}
	return l.server.Context()
}

func (l *inboundLeg) Done() <-chan struct{} {
	if l.server == nil {
		return nil
	}
	return l.server.Context().Done()
}

func (l *inboundLeg) Accept() error {
	server, err := l.ua.ReadInvite(l.req, l.tx)
	if err != nil {
		return err
	}
	l.server, l.req = server, server.InviteRequest
	return nil
}

func (l *inboundLeg) Provisional(code int, phrase string, sdp []byte) error {
	if len(sdp) == 0 {
		return l.server.Respond(code, phrase, nil)
	}
	return l.server.Respond(code, phrase, sdp, sip.NewHeader("Content-Type", "application/sdp"))
}

func (l *inboundLeg) Answer(sdp []byte) error { return l.server.RespondSDP(sdp) }

// Refuse answers on the INVITE's transaction before Accept, in the
// dialog after it.
func (l *inboundLeg) Refuse(ce *callError) error {
	if l.server != nil {
		return l.server.Respond(ce.Code, ce.Phrase, nil, refusalHeaders(ce)...)
	}
	res := sip.NewResponseFromRequest(l.req, ce.Code, ce.Phrase, nil)
	for _, h := range refusalHeaders(ce) {
		res.AppendHeader(h)
	}
	return l.tx.Respond(res)
}

func (l *inboundLeg) Unacked() bool {
	return l.server != nil && l.server.LoadState() == sip.DialogStateEstablished
}

func (l *inboundLeg) AbandonAnswer() { l.tx.Terminate() }

func (l *inboundLeg) Bye(ctx context.Context) error { return l.server.Bye(ctx) }

func (l *inboundLeg) ReportTransfer(ctx context.Context, code int, phrase string) error {
	if l.server == nil || l.server.InviteRequest.Contact() == nil {
		return nil
	}
	_, err := l.server.Do(ctx, referNotify(l.server.InviteRequest.Contact().Address, code, phrase))
	return err
}

// referNotify is the NOTIFY that tells a transferor how its transfer goes
// (RFC 3515 §2.4.5): a sipfrag with the target's status; a final status
// ends the subscription.
func referNotify(target sip.Uri, code int, phrase string) *sip.Request {
	req := sip.NewRequest(sip.NOTIFY, *target.Clone())
	req.AppendHeader(sip.NewHeader("Event", "refer"))
	state := "active;expires=60"
	if code >= 200 {
		state = "terminated;reason=noresource"
	}
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte(fmt.Sprintf("SIP/2.0 %d %s\r\n", code, phrase)))
	return req
}

// originOf is what a call keeps of its caller's INVITE.
func originOf(req *sip.Request) calls.Origin {
	o := calls.Origin{Dialed: dialedUser(req)}
	if f := req.From(); f != nil {
		o.From, o.Display = f.Address.User, f.DisplayName
	}
	if id := req.CallID(); id != nil {
		o.SIPCallID = id.Value()
	}
	if mf := req.MaxForwards(); mf != nil {
		o.MaxForwards = int(mf.Val())
	}
	if ct := req.ContentType(); ct != nil {
		o.ContentType = ct.Value()
	}
	return o
}
