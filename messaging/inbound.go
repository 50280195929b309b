package messaging

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dialtone/dialtone/billing"
)

// CarrierInbound is a text the carrier received for an organization
// number (Twilio's webhook fields).
type CarrierInbound struct {
	SID       string
	From, To  string
	Body      string
	Segments  int
	MediaURLs []string
}

// Opt-out and opt-in keywords (Twilio's defaults), matched on the whole
// body, case-insensitively.
var (
	optOutWords = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
	optInWords  = []string{"START", "YES", "UNSTOP"}
)

// Receive stores an inbound text, charges it (keyed by its SID, so a
// replayed webhook changes nothing), records opt-outs and delivers it to
// the number's owners in the background.
func (s *Service) Receive(ctx context.Context, in CarrierInbound) (*Message, error) {
	if in.SID == "" {
		return nil, errors.New("inbound text without a message sid")
	}
	if m, err := s.o.Store.BySID(in.SID); err == nil {
		return m, nil // a webhook Twilio sent again
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	kind := billing.KindSMSIn
	if len(in.MediaURLs) > 0 {
		kind = billing.KindMMSIn
	}
	seg := billing.Segments(in.Body)
	now := s.now()
	m := &Message{
		ID: newID(), Direction: Inbound, Kind: string(kind), From: in.From, To: in.To, Number: in.To, Peer: in.From,
		Body: in.Body, MediaURLs: in.MediaURLs, State: StateReceived, SID: in.SID,
		Segments: cmpInt(in.Segments, max(seg.Segments, 1)), Encoding: seg.Encoding,
		Source: SourceCarrier, Key: "carrier:" + in.SID, Created: now, Updated: now,
	}
	n := s.number(in.To)
	if n != nil {
		m.Users = s.owners(n)
		m.Waiting = slices.Clone(m.Users)
		if len(m.Users) > 0 {
			m.User = m.Users[0]
		}
	}
	if err := billing.CheckText(string(kind), in.From, in.To); err != nil || n == nil || !n.SMS {
		// Not a text the rules let in: kept for the record, neither
		// delivered nor charged.
		m.State, m.Waiting, m.Charged = StateFailed, nil, true
		m.ErrorMessage = "not an SMS-enabled number of the organization"
		if err != nil {
			m.ErrorMessage = strings.TrimSuffix(err.Error(), ": "+billing.ErrTextNotAllowed.Error())
		}
	}
	existing, err := s.o.Store.Create(m)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		return existing, nil
	}
	if m.State == StateFailed {
		s.log.Warn("inbound text refused", "sid", in.SID, "from", in.From, "to", in.To, "reason", m.ErrorMessage)
		return m, nil
	}
	s.applyOptWords(m)
	s.postCharge(ctx, m)
	s.notify(m) // the CRM hears of a reply as it hears of a status
	s.log.Info("text received", "id", m.ID, "sid", m.SID, "from", m.From, "to", m.To, "users", m.Users)
	for _, u := range m.Users {
		s.flushLater(u)
	}
	return m, nil
}

func cmpInt(a, b int) int {
	if a > 0 {
		return a
	}
	return b
}

// applyOptWords records a STOP (or lifts it on START) from the sender
// for the number it wrote to.
func (s *Service) applyOptWords(m *Message) {
	word := strings.ToUpper(strings.TrimSpace(m.Body))
	switch {
	case slices.Contains(optOutWords, word):
		if err := s.o.Store.SetOptOut(m.Number, m.Peer, true); err != nil {
			s.log.Error("opt-out not recorded", "number", m.Number, "peer", m.Peer, "error", err)
		}
		s.log.Info("opted out", "number", m.Number, "peer", m.Peer)
	case slices.Contains(optInWords, word):
		if err := s.o.Store.SetOptOut(m.Number, m.Peer, false); err != nil {
			s.log.Error("opt-in not recorded", "number", m.Number, "peer", m.Peer, "error", err)
		}
		s.log.Info("opted in", "number", m.Number, "peer", m.Peer)
	}
}

// StatusUpdate is a carrier's delivery report.
type StatusUpdate struct {
	SID          string
	Status       string // Twilio's word
	ErrorCode    int
	ErrorMessage string
	Segments     int
}

// UpdateStatus moves a text forward (never back: a late or replayed
// callback changes nothing) and reports the change to the CRM.
func (s *Service) UpdateStatus(ctx context.Context, u StatusUpdate) (*Message, error) {
	m, err := s.o.Store.BySID(u.SID)
	if err != nil {
		return nil, err
	}
	next := twilioState(u.Status)
	if next == "" || next.rank() <= m.State.rank() || m.Direction != Outbound {
		return m, nil
	}
	m.State, m.Updated = next, s.now()
	if u.ErrorCode != 0 {
		m.ErrorCode = u.ErrorCode
		m.ErrorMessage = cmpOr(u.ErrorMessage, fmt.Sprintf("carrier error %d", u.ErrorCode))
	}
	if err := s.o.Store.Update(m); err != nil {
		return nil, err
	}
	s.log.Info("text status", "id", m.ID, "sid", m.SID, "state", m.State, "error_code", m.ErrorCode)
	s.notify(m)
	if m.State == StateFailed || m.State == StateUndelivered {
		s.tellSender(m)
	}
	return m, nil
}

// parseInt reads a webhook's number field (0 when absent or bad).
func parseInt(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}
