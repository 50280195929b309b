package messaging

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dialtone/dialtone/sip"
)

// SystemSender is the From user of the switch's own texts to phones
// (a failed send's explanation).
const SystemSender = "dialtone"

// PhoneRegistered delivers the texts kept for user (sip.MessageHandler).
func (s *Service) PhoneRegistered(user string) { s.flush(user) }

// flushLater delivers user's waiting texts in the background.
func (s *Service) flushLater(user string) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.flush(user)
	}()
}

// Wait waits for background deliveries to phones to finish.
func (s *Service) Wait() { s.bg.Wait() }

// flush delivers user's waiting texts, oldest first, stopping at the
// first one no phone takes so the order holds. A text leaves the queue
// only once a phone answered 2xx: at least once, and a resend carries
// the same X-Message-ID.
func (s *Service) flush(user string) {
	if s.o.Phones == nil {
		return
	}
	mu, _ := s.userMu.LoadOrStore(user, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	waiting, err := s.o.Store.Pending(user)
	if err != nil {
		s.log.Error("texts waiting for phones", "user", user, "error", err)
		return
	}
	for _, m := range waiting {
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		n, err := s.o.Phones.DeliverText(ctx, user, phoneText(m))
		cancel()
		if err != nil {
			if !errors.Is(err, sip.ErrNoPhones) {
				s.log.Info("text not delivered to phone; kept", "id", m.ID, "user", user, "error", err)
			}
			return
		}
		m.Waiting = slices.DeleteFunc(m.Waiting, func(u string) bool { return u == user })
		if len(m.Waiting) == 0 && m.Direction != Outbound {
			m.State = StateDelivered
		}
		m.Updated = s.now()
		if err := s.o.Store.Update(m); err != nil {
			s.log.Error("text delivered but not marked", "id", m.ID, "error", err)
			return
		}
		s.log.Info("text delivered to phone", "id", m.ID, "user", user, "phones", n)
	}
}

// phoneText is how a stored text reaches a phone: media as links.
func phoneText(m *Message) sip.OutgoingText {
	body := m.Body
	for _, u := range m.MediaURLs {
		if body != "" {
			body += "\n"
		}
		body += u
	}
	t := sip.OutgoingText{ID: m.ID, From: m.From, Body: body}
	if m.From == SystemSender {
		t.FromDisplay = "dialtone"
	}
	return t
}

// tellSender explains to the phone that sent m why it failed: a phone
// cannot wait for the carrier, so the failure is a text of its own.
func (s *Service) tellSender(m *Message) {
	if m.Source != SourcePhone || m.User == "" {
		return
	}
	why := m.ErrorMessage
	if why == "" {
		why = string(m.State)
	}
	if m.ErrorCode != 0 {
		why = fmt.Sprintf("%s (carrier error %d)", why, m.ErrorCode)
	}
	now := s.now()
	notice := &Message{
		ID: newID(), Direction: Internal, From: SystemSender, To: m.User, Peer: m.User,
		Users: []string{m.User}, Waiting: []string{m.User}, State: StateReceived, Source: SourceCarrier,
		Body:    fmt.Sprintf("Your text to %s was not delivered: %s", m.To, strings.TrimSpace(why)),
		Created: now, Updated: now,
	}
	if _, err := s.o.Store.Create(notice); err != nil {
		s.log.Error("failure notice not stored", "id", m.ID, "error", err)
		return
	}
	s.flushLater(m.User)
}
