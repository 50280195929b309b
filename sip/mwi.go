package sip

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Message-waiting indication (RFC 3842): phones SUBSCRIBE to their
// mailbox's message-summary; the switch NOTIFYs them at once and whenever
// a message arrives or is deleted.

// mwiSub is one phone's subscription.
type mwiSub struct {
	user      string
	callID    string
	localTag  string // ours, in the NOTIFY's From
	remote    sip.FromHeader
	contact   sip.Uri
	source    string
	transport string
	expires   time.Time
	cseq      uint32
}

type mwiSubs struct {
	mu   sync.Mutex
	subs map[string]*mwiSub // by Call-ID
}

// handleSubscribe accepts message-summary subscriptions from users' phones.
func (sw *Switch) handleSubscribe(req *sip.Request, tx sip.ServerTransaction) {
	if ev := req.GetHeader("Event"); ev == nil || !strings.HasPrefix(strings.TrimSpace(ev.Value()), "message-summary") {
		respond(tx, req, 489, "Bad Event", sip.NewHeader("Allow-Events", "message-summary"))
		return
	}
	if req.To() == nil || req.From() == nil || req.CallID() == nil || req.Contact() == nil {
		respond(tx, req, sip.StatusBadRequest, "Bad Request")
		return
	}
	u := sw.authenticate(req, tx, false)
	if u == nil {
		return
	}
	expires := 3600
	if h := req.GetHeader("Expires"); h != nil {
		if v, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && v >= 0 && v < expires {
			expires = v
		}
	}
	callID := req.CallID().Value()
	sw.mwi.mu.Lock()
	s := sw.mwi.subs[callID]
	if s == nil {
		s = &mwiSub{user: u.Extension, callID: callID, localTag: sip.GenerateTagN(12)}
		if tag, ok := req.To().Params.Get("tag"); ok && tag != "" {
			s.localTag = tag
		}
		sw.mwi.subs[callID] = s
	}
	s.remote = *req.From()
	s.contact = *req.Contact().Address.Clone()
	s.source, s.transport = req.Source(), strings.ToUpper(req.Transport())
	s.expires = time.Now().Add(time.Duration(expires) * time.Second)
	if expires == 0 {
		delete(sw.mwi.subs, callID)
	}
	sw.mwi.mu.Unlock()

	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	if tag, _ := res.To().Params.Get("tag"); tag == "" {
		res.To().Params.Add("tag", s.localTag)
	}
	res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	res.AppendHeader(&sw.dialogUA["udp"].ContactHDR)
	_ = tx.Respond(res)
	go sw.notifySub(s, expires == 0)
}

// MailboxChanged updates every phone subscribed to ext's mailbox (the
// voicemail package's Notifier).
func (sw *Switch) MailboxChanged(ext string) {
	sw.mwi.mu.Lock()
	var subs []*mwiSub
	now := time.Now()
	for id, s := range sw.mwi.subs {
		if now.After(s.expires) {
			delete(sw.mwi.subs, id)
			continue
		}
		if s.user == ext {
			subs = append(subs, s)
		}
	}
	sw.mwi.mu.Unlock()
	for _, s := range subs {
		go sw.notifySub(s, false)
	}
}

// notifySub sends one message-summary NOTIFY.
func (sw *Switch) notifySub(s *mwiSub, final bool) {
	newMsgs, oldMsgs := 0, 0
	if sw.voicemail != nil {
		var err error
		if newMsgs, oldMsgs, err = sw.voicemail.Counts(s.user); err != nil {
			sw.log.Warn("mwi counts", "user", s.user, "error", err)
		}
	}
	sw.mwi.mu.Lock()
	s.cseq++
	cseq := s.cseq
	remote := s.remote
	contact := s.contact
	left := int(time.Until(s.expires).Seconds())
	sw.mwi.mu.Unlock()

	req := sip.NewRequest(sip.NOTIFY, contact)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: s.user, Host: sw.cfg.SIP.Domain}, Params: sip.NewParams()}
	from.Params.Add("tag", s.localTag)
	to := &sip.ToHeader{DisplayName: remote.DisplayName, Address: remote.Address, Params: remote.Params}
	callID := sip.CallIDHeader(s.callID)
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.NOTIFY})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(sip.NewHeader("Event", "message-summary"))
	state := fmt.Sprintf("active;expires=%d", max(left, 0))
	if final {
		state = "terminated;reason=timeout"
	}
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/simple-message-summary"))
	waiting := "no"
	if newMsgs > 0 {
		waiting = "yes"
	}
	req.SetBody([]byte(fmt.Sprintf("Messages-Waiting: %s\r\nMessage-Account: sip:%s@%s\r\nVoice-Message: %d/%d (0/0)\r\n",
		waiting, s.user, sw.cfg.SIP.Domain, newMsgs, oldMsgs)))
	req.SetTransport(s.transport)
	req.SetDestination(s.source)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := sw.client(req.Transport()).Do(ctx, req); err != nil {
		sw.log.Debug("mwi notify", "user", s.user, "error", err)
	}
}
