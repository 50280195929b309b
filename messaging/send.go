package messaging

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/sip"
)

// SendRequest is a text a user (a phone, a user's API token) or the
// organization (an organization token) wants to send.
type SendRequest struct {
	User      string // extension; "" for the organization
	From      string // the number to send from; "" for the user's default
	To        string // an outside number, or a user (extension or name)
	Body      string
	MediaURLs []string
	Key       string // idempotency: the same key returns the first text
	Source    string
}

// MaxBody bounds a text: ten full UCS-2 segments' worth of characters is
// far beyond what carriers concatenate (Twilio: 1600 characters).
const MaxBody = 1600

// Send validates a text against every rule, stores it and queues it (to
// an outside number) or delivers it (to a user). A rule's refusal is a
// *Refusal and nothing is stored or charged. created is false when Key
// named an existing text, which is returned.
func (s *Service) Send(ctx context.Context, r SendRequest) (m *Message, created bool, err error) {
	if r.Key != "" {
		// A retry gets the first answer, whatever changed since (an
		// opt-out, the balance): the text was taken once.
		if m, err := s.o.Store.ByKey(r.Key); err == nil {
			return m, false, nil
		} else if !errors.Is(err, ErrNotFound) {
			return nil, false, err
		}
	}
	if strings.TrimSpace(r.Body) == "" && len(r.MediaURLs) == 0 {
		return nil, false, refuse(RuleBody, 488, "the text is empty")
	}
	if len([]rune(r.Body)) > MaxBody {
		return nil, false, refuse(RuleBody, 488, fmt.Sprintf("the text is longer than %d characters", MaxBody))
	}
	var sender *userInfo
	if r.User != "" {
		if sender = s.user(r.User); sender == nil {
			return nil, false, fmt.Errorf("send text: unknown user %s", r.User)
		}
		if !sender.perms[config.PermSMS] {
			return nil, false, refuse(RulePermissionSMS, 403, "texts not permitted for this user (needs sms)")
		}
		if len(r.MediaURLs) > 0 && !sender.perms[config.PermMMS] {
			return nil, false, refuse(RulePermissionMMS, 403, "MMS not permitted for this user (needs mms)")
		}
	}
	if to, ok := e164(r.To); ok {
		if n := s.number(to); n != nil {
			// An organization number: its owners' phones, no carrier.
			return s.sendInternal(ctx, r, sender, s.owners(n))
		}
		return s.sendOutside(ctx, r, sender, to)
	}
	if ext, ok := s.userExtension(r.To); ok {
		return s.sendInternal(ctx, r, sender, []string{ext})
	}
	return nil, false, refuse(RuleDestination, 404, fmt.Sprintf("%q is neither a user nor a phone number", r.To))
}

func (s *Service) userExtension(name string) (string, bool) {
	if u := s.user(name); u != nil {
		return u.ext, true
	}
	return "", false
}

// sendInternal stores a text between users and delivers it to every
// registered phone of each recipient (the rest get it when they register).
func (s *Service) sendInternal(ctx context.Context, r SendRequest, sender *userInfo, to []string) (*Message, bool, error) {
	if len(to) == 0 {
		return nil, false, refuse(RuleDestination, 404, fmt.Sprintf("no user receives texts for %s", r.To))
	}
	now := s.now()
	m := &Message{
		ID: newID(), Direction: Internal, From: cmpOr(r.From, "organization"), To: r.To, Peer: to[0],
		Users: to, Waiting: slices.Clone(to), Body: r.Body, MediaURLs: r.MediaURLs,
		State: StateReceived, Source: r.Source, Key: r.Key, Created: now, Updated: now,
	}
	if sender != nil {
		m.User, m.From = sender.ext, sender.ext
	}
	existing, err := s.o.Store.Create(m)
	if err != nil {
		return nil, false, err
	}
	if existing != nil {
		return existing, false, nil
	}
	for _, u := range to {
		s.flushLater(u)
	}
	return m, true, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// fromNumber picks the organization number a text goes out from: the one
// asked for (a caller ID the user may use, or any for the organization),
// else the user's first caller ID the organization owns with sms: true.
func (s *Service) fromNumber(r SendRequest, sender *userInfo) (string, error) {
	if r.From != "" {
		from, ok := e164(r.From)
		if !ok {
			return "", refuse(RuleSMSNumber, 403, fmt.Sprintf("%q is not an E.164 number to send from", r.From))
		}
		if sender != nil && !slices.Contains(sender.callerIDs, from) {
			return "", refuse(RuleSMSNumber, 403, fmt.Sprintf("%s is not one of this user's caller IDs", from))
		}
		n := s.number(from)
		if n == nil || !n.SMS {
			return "", refuse(RuleSMSNumber, 403, fmt.Sprintf("%s is not an SMS-enabled number of the organization", from))
		}
		return from, nil
	}
	if sender == nil {
		return "", refuse(RuleSMSNumber, 403, "from is required: the organization number to send from")
	}
	for _, id := range sender.callerIDs {
		if n := s.number(id); n != nil && n.SMS {
			return id, nil
		}
	}
	return "", refuse(RuleSMSNumber, 403, "this user has no SMS-enabled number among their caller IDs")
}

// sendOutside checks a text to an outside number and queues it.
func (s *Service) sendOutside(ctx context.Context, r SendRequest, sender *userInfo, to string) (*Message, bool, error) {
	from, err := s.fromNumber(r, sender)
	if err != nil {
		return nil, false, err
	}
	kind := billing.KindSMSOut
	if len(r.MediaURLs) > 0 {
		kind = billing.KindMMSOut
	}
	if err := billing.CheckText(string(kind), from, to); err != nil {
		return nil, false, refuse(RuleCountries, 488, strings.TrimSuffix(err.Error(), ": "+billing.ErrTextNotAllowed.Error()))
	}
	out, err := s.o.Store.OptedOut(from, to)
	if err != nil {
		return nil, false, err
	}
	if out {
		return nil, false, refuse(RuleOptedOut, 403, fmt.Sprintf("%s has opted out of texts from %s (replied STOP)", to, from))
	}
	if s.o.Carrier == nil {
		return nil, false, refuse(RuleNoCarrier, 503, "texts to outside numbers need a twilio account in the config")
	}
	seg := billing.Segments(r.Body)
	now := s.now()
	m := &Message{
		ID: newID(), Direction: Outbound, Kind: string(kind), From: from, To: to, Number: from, Peer: to,
		Body: r.Body, MediaURLs: r.MediaURLs, State: StateQueued, Segments: max(seg.Segments, 1), Encoding: seg.Encoding,
		Source: r.Source, Key: r.Key, Created: now, Updated: now,
	}
	if sender != nil {
		m.User = sender.ext
	}
	if s.o.Meter != nil {
		if _, err := s.o.Meter.Authorize(m.textRecord()); err != nil {
			if errors.Is(err, billing.ErrInsufficientCredit) {
				return nil, false, refuse(RuleCredit, 403, err.Error())
			}
			return nil, false, refuse(RuleCountries, 488, err.Error())
		}
	}
	existing, err := s.o.Store.Create(m)
	if err != nil {
		return nil, false, err
	}
	if existing != nil {
		return existing, false, nil
	}
	s.log.Info("text queued", "id", m.ID, "from", from, "to", to, "user", m.User, "segments", m.Segments, "source", m.Source)
	s.notify(m)
	s.outbox.wake(from)
	return m, true, nil
}

// textRecord is the meter's view of m; the carrier's SID keys the charge.
func (m *Message) textRecord() billing.TextRecord {
	segs := 0
	if m.SID != "" {
		segs = m.Segments
	}
	return billing.TextRecord{
		MessageID: m.SID, Kind: billing.Kind(m.Kind), From: m.From, To: m.To, Body: m.Body,
		Segments: segs, User: m.User, Time: m.Created,
	}
}

// FromPhone takes a phone's MESSAGE (sip.MessageHandler).
func (s *Service) FromPhone(ctx context.Context, t sip.PhoneText) sip.TextResult {
	r := SendRequest{User: t.User, To: t.To, Body: t.Body, Key: "phone:" + t.User + ":" + t.ID, Source: SourcePhone}
	// A number in P-Preferred-Identity or From picks the number to send
	// from; the user's own extension or name there is the default.
	for _, id := range []string{t.Identity, t.FromUser} {
		if from, ok := e164(id); ok {
			r.From = from
			break
		}
	}
	_, _, err := s.Send(ctx, r)
	if err != nil {
		if ref, ok := asRefusal(err); ok {
			s.log.Info("text refused", "user", t.User, "to", t.To, "rule", ref.Rule, "reason", ref.Message)
			return sip.TextResult{Code: ref.SIPCode, Reason: ref.Message}
		}
		s.log.Error("text from phone", "user", t.User, "to", t.To, "error", err)
		return sip.TextResult{Code: 500, Reason: "the text could not be stored"}
	}
	return sip.TextResult{Code: 202}
}
