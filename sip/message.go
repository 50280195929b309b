package sip

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dialtone/dialtone/phone"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"
)

// Texts between phones and the switch travel as SIP MESSAGE (RFC 3428,
// text/plain). The switch only carries them: what a text means (to a
// user, to an outside number, stored for later) is the MessageHandler's
// business, so this package needs nothing of the messaging one.

// PhoneText is a text a phone sent, after digest authentication.
type PhoneText struct {
	User     string // the authenticated user's extension
	To       string // the Request-URI's user: an extension, a name or a number
	FromUser string // the From header's user
	// Identity is the P-Preferred-Identity's user, when the phone asked
	// to send from another number it may use.
	Identity string
	Body     string
	// ID identifies the text across resends of the same request (Call-ID
	// and CSeq): a handler stores it once.
	ID     string
	Source string
}

// TextResult is the answer to a phone's MESSAGE: 202 when the text is
// taken (delivered or queued), else a refusal whose Reason says why.
type TextResult struct {
	Code   int
	Reason string
}

// MessageHandler takes the texts phones send and learns when a phone
// registers, to deliver the texts kept for it.
type MessageHandler interface {
	FromPhone(ctx context.Context, t PhoneText) TextResult
	PhoneRegistered(user string)
}

// OutgoingText is a text the switch sends to a user's phones.
type OutgoingText struct {
	ID          string // carried in a header for the phone's logs; dedup is the handler's
	From        string // the From user: a number, an extension or "dialtone"
	FromDisplay string
	Body        string
}

// messageHandlers holds each switch's handler outside the Switch struct,
// which the call-engine work is reshaping: this file is the only seam.
var messageHandlers sync.Map // *Switch -> MessageHandler

// SetMessageHandler routes phones' MESSAGE requests to h (nil: refused
// with 405) and tells h when phones register.
func (sw *Switch) SetMessageHandler(h MessageHandler) {
	if h == nil {
		messageHandlers.Delete(sw)
		return
	}
	messageHandlers.Store(sw, h)
}

func (sw *Switch) messageHandler() MessageHandler {
	h, _ := messageHandlers.Load(sw)
	mh, _ := h.(MessageHandler)
	return mh
}

// handleMessage authenticates a phone's MESSAGE like an INVITE and hands
// the text to the handler.
func (sw *Switch) handleMessage(req *sip.Request, tx sip.ServerTransaction) {
	h := sw.messageHandler()
	if h == nil {
		respond(tx, req, sip.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	if req.To() == nil || req.From() == nil || req.CallID() == nil || req.CSeq() == nil {
		respond(tx, req, sip.StatusBadRequest, "Bad Request")
		return
	}
	if !isPlainText(req) {
		respond(tx, req, sip.StatusUnsupportedMediaType, "Unsupported Media Type", sip.NewHeader("Accept", "text/plain"))
		return
	}
	u := sw.authenticate(req, tx, true)
	if u == nil {
		return
	}
	t := PhoneText{
		User:     u.Extension,
		To:       req.Recipient.User,
		FromUser: req.From().Address.User,
		Body:     string(req.Body()),
		ID:       req.CallID().Value() + "/" + strconv.FormatUint(uint64(req.CSeq().SeqNo), 10),
		Source:   req.Source(),
	}
	if t.To == "" {
		t.To = req.To().Address.User
	}
	if ppi := req.GetHeader("P-Preferred-Identity"); ppi != nil {
		var addr sip.Uri
		v := strings.Trim(strings.TrimSpace(ppi.Value()), "<>")
		if err := sip.ParseUri(v, &addr); err == nil {
			t.Identity = addr.User
		}
	}
	sw.normalizeText(&t, u)
	ctx, cancel := context.WithTimeout(sw.ctx, 5*time.Second)
	defer cancel()
	r := h.FromPhone(ctx, t)
	var headers []sip.Header
	phrase := "Accepted"
	if r.Code >= 300 {
		phrase = cmp.Or(r.Reason, "Refused")
		headers = append(headers, sip.NewHeader("Reason", fmt.Sprintf("SIP;cause=%d;text=%q", r.Code, phrase)))
	}
	respond(tx, req, r.Code, phrase, headers...)
}

// normalizeText writes the numbers of a phone's text in E.164, as calls
// have them: a national number takes the country of the user's first
// caller ID; users' extensions and names stay as they are.
func (sw *Switch) normalizeText(t *PhoneText, u *user) {
	country := ""
	if id := u.DefaultCallerID(); id != "" {
		country = phone.Country(id)
	}
	if sw.directory().User(t.To) == nil {
		if e, ok := phone.Dialed(t.To, country); ok {
			t.To = e
		}
	}
	for _, id := range []*string{&t.Identity, &t.FromUser} {
		if sw.directory().User(*id) == nil {
			if e, ok := phone.Dialed(*id, ""); ok {
				*id = e
			}
		}
	}
}

// claimsOwnNumber lets a phone's MESSAGE say From: one of the user's
// caller IDs, to pick the number a text goes out from.
func claimsOwnNumber(req *sip.Request, u *user, claimed string) bool {
	if req.Method != sip.MESSAGE {
		return false
	}
	e164, ok := phone.Dialed(claimed, "")
	return ok && u.Verified(e164)
}

func isPlainText(req *sip.Request) bool {
	ct := req.ContentType()
	if ct == nil {
		return len(req.Body()) == 0
	}
	mt, _, err := mime.ParseMediaType(ct.Value())
	return err == nil && mt == "text/plain"
}

// afterRegister runs the REGISTER handler, then tells the message handler
// when the user has a phone registered, so texts kept for it go out.
func (sw *Switch) afterRegister(next sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		next(req, tx)
		h := sw.messageHandler()
		if h == nil || req.To() == nil {
			return
		}
		u := sw.directory().User(req.To().Address.User)
		if u == nil || len(sw.reg.lookup(u.Extension)) == 0 {
			return
		}
		go h.PhoneRegistered(u.Extension)
	}
}

// ErrNoPhones means the user has no phone registered.
var ErrNoPhones = errors.New("no phone registered")

// DeliverText sends t to every registered phone of user and returns how
// many took it (2xx). With none registered it is ErrNoPhones; when every
// phone refused or did not answer, an error saying so.
func (sw *Switch) DeliverText(ctx context.Context, user string, t OutgoingText) (int, error) {
	bindings := sw.reg.lookup(user)
	if len(bindings) == 0 {
		return 0, ErrNoPhones
	}
	type result struct {
		ok  bool
		err error
	}
	results := make(chan result, len(bindings))
	for _, b := range bindings {
		go func(b binding) {
			req := sw.textRequest(user, b, t)
			res, err := sw.client(req.Transport()).Do(ctx, req)
			switch {
			case err != nil:
				results <- result{err: fmt.Errorf("%s: %w", b.Contact.String(), err)}
			case res.StatusCode >= 200 && res.StatusCode < 300:
				results <- result{ok: true}
			default:
				results <- result{err: fmt.Errorf("%s: %d %s", b.Contact.String(), res.StatusCode, res.Reason)}
			}
		}(b)
	}
	delivered := 0
	var errs []error
	for range bindings {
		r := <-results
		if r.ok {
			delivered++
		} else {
			errs = append(errs, r.err)
		}
	}
	if delivered == 0 {
		return 0, fmt.Errorf("deliver text to %s: %w", user, errors.Join(errs...))
	}
	return delivered, nil
}

func (sw *Switch) textRequest(user string, b binding, t OutgoingText) *sip.Request {
	req := sip.NewRequest(sip.MESSAGE, *b.Contact.Clone())
	from := &sip.FromHeader{DisplayName: t.FromDisplay, Address: sip.Uri{Scheme: "sip", User: t.From, Host: sw.cfg.SIP.Domain}, Params: sip.NewParams()}
	from.Params.Add("tag", uuid.NewString()[:8])
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: sw.cfg.SIP.Domain}})
	callID := sip.CallIDHeader(uuid.NewString())
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.MESSAGE})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	if t.ID != "" {
		req.AppendHeader(sip.NewHeader("X-Message-ID", t.ID))
	}
	ct := sip.ContentTypeHeader("text/plain;charset=UTF-8")
	req.AppendHeader(&ct)
	req.SetBody([]byte(t.Body))
	req.SetTransport(strings.ToUpper(b.Transport))
	// Send where the phone's REGISTER came from (NAT), as calls do.
	req.SetDestination(b.Source)
	return req
}
