package api

import (
	"errors"
	"net/http"

	"github.com/dialtone/dialtone/jsonbody"
	"github.com/dialtone/dialtone/voicemail"
)

// Mailboxes are the voicemail routes' view of package voicemail: users
// are named by extension or name.
type Mailboxes interface {
	Messages(user string) ([]voicemail.Message, error)
	Audio(user, id string) (path string, err error)
	Delete(user, id string) error
}

// voicemailRoutes serve the users' voicemail messages.
func voicemailRoutes(mux *http.ServeMux, boxes Mailboxes) {
	mux.HandleFunc("GET /v1/voicemail", func(w http.ResponseWriter, r *http.Request) {
		msgs, err := boxes.Messages(r.URL.Query().Get("user"))
		if err != nil {
			voicemailError(w, err)
			return
		}
		jsonbody.Write(w, http.StatusOK, msgs)
	})
	mux.HandleFunc("GET /v1/voicemail/{user}/{id}", func(w http.ResponseWriter, r *http.Request) {
		path, err := boxes.Audio(r.PathValue("user"), r.PathValue("id"))
		if err != nil {
			voicemailError(w, err)
			return
		}
		w.Header().Set("Content-Type", "audio/wav")
		http.ServeFile(w, r, path)
	})
	mux.HandleFunc("DELETE /v1/voicemail/{user}/{id}", func(w http.ResponseWriter, r *http.Request) {
		if err := boxes.Delete(r.PathValue("user"), r.PathValue("id")); err != nil {
			voicemailError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// voicemailError answers an unknown user or message 404, anything else
// (the store failing) 500.
func voicemailError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	if errors.Is(err, voicemail.ErrNoMailbox) || errors.Is(err, voicemail.ErrNoMessage) {
		code = http.StatusNotFound
	}
	jsonbody.Error(w, code, err.Error())
}
