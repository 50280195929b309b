package messaging

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/dialtone/dialtone/jsonbody"
)

// Caller says who an API request acts for: a user's extension and
// permissions, or the organization (user "").
type Caller func(r *http.Request) (user string, perms map[string]bool)

// APIRoutes mounts /v1/messages on mux. The mux's middleware checks the
// token and the sms permission; caller tells a user's token from an
// organization's.
func (s *Service) APIRoutes(mux *http.ServeMux, caller Caller) {
	mux.HandleFunc("POST /v1/messages", func(w http.ResponseWriter, r *http.Request) { s.handleSend(w, r, caller) })
	mux.HandleFunc("GET /v1/messages", func(w http.ResponseWriter, r *http.Request) { s.handleList(w, r, caller) })
	mux.HandleFunc("GET /v1/messages/{id}", func(w http.ResponseWriter, r *http.Request) { s.handleGet(w, r, caller) })
}

// SendBody is the JSON body of POST /v1/messages.
type SendBody struct {
	From      string   `json:"from"`
	To        string   `json:"to"`
	Body      string   `json:"body"`
	MediaURLs []string `json:"media_urls"`
}

var (
	writeJSON  = jsonbody.Write
	writeError = jsonbody.Error
)

func (s *Service) handleSend(w http.ResponseWriter, r *http.Request, caller Caller) {
	user, _ := caller(r)
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		writeError(w, http.StatusBadRequest, "Idempotency-Key header missing: a retried POST must not send twice")
		return
	}
	var b SendBody
	if err := jsonbody.Read(w, r, &b); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if b.To == "" {
		writeError(w, http.StatusBadRequest, "to is required")
		return
	}
	for _, m := range b.MediaURLs {
		if u, err := url.Parse(m); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("media_urls: %q is not an http(s) URL", m))
			return
		}
	}
	m, created, err := s.Send(r.Context(), SendRequest{
		User: user, From: b.From, To: b.To, Body: b.Body, MediaURLs: b.MediaURLs,
		Key: "api:" + user + ":" + key, Source: SourceAPI,
	})
	if ref, ok := asRefusal(err); ok {
		writeJSON(w, ref.HTTPStatus(), map[string]string{"error": ref.Message, "rule": ref.Rule})
		return
	}
	if err != nil {
		s.log.Error("api send text", "error", err)
		writeError(w, http.StatusInternalServerError, "the text could not be stored")
		return
	}
	code := http.StatusCreated
	if !created {
		code = http.StatusOK // the same Idempotency-Key: the first text
	}
	writeJSON(w, code, m)
}

// Conversation is the texts between one organization number (or user)
// and one peer.
type Conversation struct {
	Number   string     `json:"number,omitempty"`
	Peer     string     `json:"peer"`
	Last     time.Time  `json:"last_at"`
	Messages []*Message `json:"messages"`
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request, caller Caller) {
	q := r.URL.Query()
	f := Filter{User: q.Get("user"), Number: q.Get("number"), Peer: q.Get("peer")}
	if user, _ := caller(r); user != "" {
		if f.User != "" && f.User != user {
			writeError(w, http.StatusForbidden, "a user's token lists only that user's texts")
			return
		}
		f.User = user
	}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("since %q: want RFC 3339", v))
			return
		}
		f.Since = t
	}
	msgs, err := s.o.Store.List(f)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": conversations(msgs)})
}

// conversations groups texts by number and peer, the latest first.
func conversations(msgs []*Message) []Conversation {
	by := map[[2]string]*Conversation{}
	var order []*Conversation
	for _, m := range msgs {
		k := [2]string{m.Number, m.Peer}
		if m.Direction == Internal {
			a, b := m.From, m.Peer
			if a > b {
				a, b = b, a
			}
			k = [2]string{a, b}
		}
		c := by[k]
		if c == nil {
			c = &Conversation{Number: m.Number, Peer: m.Peer}
			by[k] = c
			order = append(order, c)
		}
		c.Messages = append(c.Messages, m)
		if m.Created.After(c.Last) {
			c.Last = m.Created
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].Last.After(order[j].Last) })
	out := make([]Conversation, len(order))
	for i, c := range order {
		out[i] = *c
	}
	return out
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request, caller Caller) {
	m, err := s.o.Store.Get(r.PathValue("id"))
	if errors.Is(err, ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such message")
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if user, _ := caller(r); user != "" && !m.involves(user) {
		writeError(w, http.StatusNotFound, "no such message")
		return
	}
	writeJSON(w, http.StatusOK, m)
}
