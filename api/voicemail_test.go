package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/voicemail"
)

// fakeMailboxes holds one message of bob's, 1002; lookups fail as package
// voicemail's do.
type fakeMailboxes struct{ broken bool }

func (f fakeMailboxes) mailbox(user string) error {
	switch {
	case f.broken:
		return errors.New("disk full")
	case user != "1002" && user != "bob":
		return fmt.Errorf("no mailbox %q: %w", user, voicemail.ErrNoMailbox)
	}
	return nil
}

func (f fakeMailboxes) Messages(user string) ([]voicemail.Message, error) {
	if err := f.mailbox(user); err != nil {
		return nil, err
	}
	return []voicemail.Message{{ID: "m1", User: "1002", From: "1001"}}, nil
}

func (f fakeMailboxes) Audio(user, id string) (string, error) {
	if err := f.mailbox(user); err != nil {
		return "", err
	}
	return "", fmt.Errorf("no message %q: %w", id, voicemail.ErrNoMessage)
}

func (f fakeMailboxes) Delete(user, id string) error {
	if err := f.mailbox(user); err != nil {
		return err
	}
	if id != "m1" {
		return fmt.Errorf("no message %q: %w", id, voicemail.ErrNoMessage)
	}
	return nil
}

// The voicemail routes answer an unknown user or message 404 and the
// store's failure 500, with the error said in the body.
func TestVoicemailRoutes(t *testing.T) {
	tests := []struct {
		name, method, path string
		broken             bool
		code               int
		body               string
	}{
		{"a user's messages", "GET", "/v1/voicemail?user=bob", false, 200, `"from":"1001"`},
		{"an unknown user's", "GET", "/v1/voicemail?user=carol", false, 404, `no mailbox \"carol\"`},
		{"an unknown message's audio", "GET", "/v1/voicemail/1002/m9", false, 404, `no message \"m9\"`},
		{"a message deleted", "DELETE", "/v1/voicemail/1002/m1", false, 204, ""},
		{"an unknown message deleted", "DELETE", "/v1/voicemail/1002/m9", false, 404, `no message \"m9\"`},
		{"the store failing", "GET", "/v1/voicemail?user=bob", true, 500, "disk full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			voicemailRoutes(mux, fakeMailboxes{broken: tt.broken})
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.code || !strings.Contains(rec.Body.String(), tt.body) {
				t.Fatalf("%d %s, want %d with %s", rec.Code, rec.Body, tt.code, tt.body)
			}
		})
	}
}
