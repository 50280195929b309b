package sip

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/jsonbody"
)

// ForwardingStore persists forwarding rules set through the API.
type ForwardingStore interface {
	LoadForwarding() (map[string]config.Forwarding, error)
	SaveForwarding(extension string, f config.Forwarding) error
}

// Routes registers the switch's HTTP API: GET and PUT
// /v1/users/{id}/forwarding, where id is an extension or user name.
func (sw *Switch) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/users/{id}/forwarding", sw.handleGetForwarding)
	mux.HandleFunc("PUT /v1/users/{id}/forwarding", sw.handlePutForwarding)
	mux.HandleFunc("GET /v1/registrations", sw.handleRegistrations)
	mux.HandleFunc("GET /v1/calls", sw.handleListCalls)
	mux.HandleFunc("POST /v1/calls/{call_id}/recording", sw.handleRecordCall)
	mux.HandleFunc("GET /v1/numbers", sw.handleListNumbers)
	mux.HandleFunc("POST /v1/numbers", sw.handleAddNumber)
	mux.HandleFunc("DELETE /v1/numbers/{number}", sw.handleDeleteNumber)
	mux.HandleFunc("GET /v1/voicemail", sw.handleVoicemailList)
	mux.HandleFunc("GET /v1/voicemail/{user}/{id}", sw.handleVoicemailAudio)
	mux.HandleFunc("DELETE /v1/voicemail/{user}/{id}", sw.handleVoicemailDelete)
}

func (sw *Switch) handleGetForwarding(w http.ResponseWriter, r *http.Request) {
	u := sw.directory().user(r.PathValue("id"))
	if u == nil {
		writeJSONError(w, http.StatusNotFound, fmt.Errorf("no user %q", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, sw.forwardingOf(u))
}

// handlePutForwarding replaces a user's forwarding rules; an empty object
// clears them.
func (sw *Switch) handlePutForwarding(w http.ResponseWriter, r *http.Request) {
	u := sw.directory().user(r.PathValue("id"))
	if u == nil {
		writeJSONError(w, http.StatusNotFound, fmt.Errorf("no user %q", r.PathValue("id")))
		return
	}
	var f config.Forwarding
	if err := jsonbody.Read(w, r, &f); err != nil {
		writeJSONError(w, http.StatusBadRequest, fmt.Errorf("forwarding: %w", err))
		return
	}
	if !sw.checkForwardingRequest(w, f, []*user{u}) {
		return
	}
	if sw.fwdStore != nil {
		if err := sw.fwdStore.SaveForwarding(u.Extension, f); err != nil {
			writeJSONError(w, http.StatusInternalServerError, fmt.Errorf("save forwarding: %w", err))
			return
		}
	}
	sw.fwdMu.Lock()
	sw.fwdOverrides[u.Extension] = f
	sw.fwdMu.Unlock()
	sw.log.Info("forwarding updated", "user", u.Extension, "rules", f)
	writeJSON(w, http.StatusOK, f)
}

// checkForwardingRequest validates forwarding rules an API request sets
// for owners: a bad target is a 400, a target the owners may not call (as
// if they dialed it) a 422 naming the rule; it reports whether f passed.
func (sw *Switch) checkForwardingRequest(w http.ResponseWriter, f config.Forwarding, owners []*user) bool {
	dir := sw.directory()
	users, groups := map[string]bool{}, map[string]bool{}
	for name := range dir.users {
		users[name] = true
	}
	for name := range dir.groups {
		groups[name] = true
	}
	if problems := config.CheckForwarding(f, users, groups); len(problems) > 0 {
		writeJSONError(w, http.StatusBadRequest, fmt.Errorf("forwarding.%s: %s", problems[0].Field, problems[0].Problem))
		return false
	}
	ownNumber := func(e164 string) bool { return dir.numbers[e164] != nil }
	if refused := config.CheckForwardingPermissions(f, callersOf(owners), ownNumber); len(refused) > 0 {
		r := refused[0]
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{
			"error":  "forwarding." + r.Field + ": " + r.Message(),
			"field":  "forwarding." + r.Field,
			"target": r.Target,
			"rule":   r.Rule,
		})
		return false
	}
	return true
}

// handleRegistrations lists live contacts per user.
func (sw *Switch) handleRegistrations(w http.ResponseWriter, r *http.Request) {
	type contact struct {
		User      string `json:"user"`
		Contact   string `json:"contact"`
		Source    string `json:"source"`
		Transport string `json:"transport"`
		Expires   string `json:"expires"`
		Instance  string `json:"instance,omitempty"`
		UserAgent string `json:"user_agent,omitempty"`
	}
	out := []contact{}
	for _, ext := range sw.reg.users() {
		for _, b := range sw.reg.lookup(ext) {
			out = append(out, contact{User: ext, Contact: b.Contact.String(), Source: b.Source, Transport: b.Transport,
				Expires: b.Expires.UTC().Format("2006-01-02T15:04:05Z"), Instance: b.Instance, UserAgent: b.UserAgent})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].User < out[j].User })
	writeJSON(w, http.StatusOK, out)
}

var writeJSON = jsonbody.Write

func writeJSONError(w http.ResponseWriter, code int, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		code = http.StatusRequestEntityTooLarge
	}
	jsonbody.Error(w, code, err.Error())
}

// handleRecordCall starts recording an answered call on demand: POST
// /v1/calls/{call_id}/recording. The WAV covers the call from now on,
// starting with the recording announcement when one is configured.
func (sw *Switch) handleRecordCall(w http.ResponseWriter, r *http.Request) {
	v, ok := sw.callsByID.Load(r.PathValue("call_id"))
	if !ok {
		writeJSONError(w, http.StatusNotFound, fmt.Errorf("no call %q in progress", r.PathValue("call_id")))
		return
	}
	c := v.(*call)
	result := make(chan string, 1)
	c.do(func() {
		path := ""
		if c.record(nil) {
			path = c.recordPath
		}
		result <- path
	})
	select {
	case path := <-result:
		if path == "" {
			writeJSONError(w, http.StatusConflict, fmt.Errorf("call %s has no anchored media to record", c.id))
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"call_id": c.id, "recording": path})
	case <-time.After(3 * time.Second):
		writeJSONError(w, http.StatusConflict, fmt.Errorf("call %s ended or is busy", c.id))
	case <-r.Context().Done():
	}
}

// handleListCalls serves GET /v1/calls: the answered calls in progress.
func (sw *Switch) handleListCalls(w http.ResponseWriter, r *http.Request) {
	type active struct {
		CallID string `json:"call_id"`
		From   string `json:"from"`
		To     string `json:"to"`
	}
	out := []active{}
	sw.callsByID.Range(func(k, v any) bool {
		c := v.(*call)
		// Only what never changes after the INVITE: legs move in transfers.
		out = append(out, active{CallID: c.id, From: c.req.From().Address.User, To: dialedUser(c.req)})
		return true
	})
	writeJSON(w, http.StatusOK, out)
}
