package sip

import (
	"context"

	"github.com/dialtone/dialtone/calls"
	"github.com/emiago/sipgo"
)

// outboundLeg is an INVITE the switch placed that its party answered: a
// client dialog (ring.go places and forks them). It is the session
// itself under another name, so making one allocates nothing.
type outboundLeg sipgo.DialogClientSession

func newOutboundLeg(s *sipgo.DialogClientSession) *outboundLeg { return (*outboundLeg)(s) }

func (l *outboundLeg) session() *sipgo.DialogClientSession { return (*sipgo.DialogClientSession)(l) }

func (l *outboundLeg) DialogID() string         { return l.ID }
func (l *outboundLeg) SDP() []byte              { return l.InviteResponse.Body() }
func (l *outboundLeg) Source() string           { return l.InviteResponse.Source() }
func (l *outboundLeg) Context() context.Context { return l.session().Context() }
func (l *outboundLeg) Done() <-chan struct{}    { return l.session().Context().Done() }
func (l *outboundLeg) Accept() error            { return nil }

func (l *outboundLeg) Provisional(int, string, []byte) error { return errWrongSide }

// Answer acknowledges the party's 2xx (the ACK is not a transaction:
// nothing waits for it).
func (l *outboundLeg) Answer([]byte) error { return l.session().Ack(context.Background()) }

func (l *outboundLeg) Refuse(*calls.Refusal) error { return errWrongSide }
func (l *outboundLeg) Unacked() bool               { return false }
func (l *outboundLeg) AbandonAnswer()              {}

func (l *outboundLeg) Bye(ctx context.Context) error { return l.session().Bye(ctx) }

func (l *outboundLeg) ReportTransfer(ctx context.Context, code int, phrase string) error {
	res := l.InviteResponse
	if res == nil || res.Contact() == nil {
		return nil
	}
	_, err := l.session().Do(ctx, referNotify(res.Contact().Address, code, phrase))
	return err
}
