package dialer

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/dialtone/dialtone/jsonbody"
	"github.com/dialtone/dialtone/phone"
)

// Routes registers the dialer's API. The caller wraps them in its
// authentication: an organization token, or a user's with the dialer
// permission.
func (d *Dialer) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/campaigns", d.handleCreateCampaign)
	mux.HandleFunc("GET /v1/campaigns", d.handleListCampaigns)
	mux.HandleFunc("GET /v1/campaigns/{id}", d.handleGetCampaign)
	mux.HandleFunc("DELETE /v1/campaigns/{id}", d.handleDeleteCampaign)
	mux.HandleFunc("POST /v1/campaigns/{id}/start", d.stateHandler(d.StartCampaign))
	mux.HandleFunc("POST /v1/campaigns/{id}/pause", d.stateHandler(d.PauseCampaign))
	mux.HandleFunc("POST /v1/campaigns/{id}/stop", d.stateHandler(d.StopCampaign))
	mux.HandleFunc("POST /v1/campaigns/{id}/leads", d.handleAddLeads)
	mux.HandleFunc("GET /v1/campaigns/{id}/leads", d.handleListLeads)
	mux.HandleFunc("GET /v1/campaigns/{id}/attempts", d.handleListAttempts)
	mux.HandleFunc("POST /v1/campaigns/{id}/agents/{user}", d.handleJoinAgent)
	mux.HandleFunc("DELETE /v1/campaigns/{id}/agents/{user}", d.handleLeaveAgent)
	mux.HandleFunc("POST /v1/campaigns/{id}/agents/{user}/ready", d.agentHandler(d.AgentReadyAgain))
	mux.HandleFunc("POST /v1/campaigns/{id}/agents/{user}/pause", d.agentHandler(d.PauseAgent))
	mux.HandleFunc("POST /v1/dnc", d.handleAddDNC)
	mux.HandleFunc("GET /v1/dnc", d.handleListDNC)
	mux.HandleFunc("DELETE /v1/dnc/{number}", d.handleRemoveDNC)
}

var writeJSON = jsonbody.Write

// writeError answers with the status the error's kind calls for.
func writeError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrInvalid):
		code = http.StatusBadRequest
	case errors.Is(err, ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, ErrConflict):
		code = http.StatusConflict
	case errors.Is(err, ErrForbidden):
		code = http.StatusForbidden
	case errors.Is(err, ErrNoEngine):
		code = http.StatusServiceUnavailable
	case errors.Is(err, ErrOverloaded):
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
	case errors.Is(err, ErrNoCredit):
		code = http.StatusPaymentRequired
	case errors.Is(err, ErrRefused):
		code = http.StatusForbidden
	}
	jsonbody.Error(w, code, err.Error())
}

func (d *Dialer) handleCreateCampaign(w http.ResponseWriter, r *http.Request) {
	var req CampaignRequest
	if err := jsonbody.Read(w, r, &req); err != nil {
		writeError(w, fmt.Errorf("%w: %v", ErrInvalid, err))
		return
	}
	c, err := d.CreateCampaign(req)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (d *Dialer) handleListCampaigns(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"campaigns": d.Campaigns()})
}

func (d *Dialer) handleGetCampaign(w http.ResponseWriter, r *http.Request) {
	st, err := d.Stats(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (d *Dialer) handleDeleteCampaign(w http.ResponseWriter, r *http.Request) {
	if err := d.DeleteCampaign(r.PathValue("id")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (d *Dialer) stateHandler(change func(id string) (Campaign, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := change(r.PathValue("id"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, c)
	}
}

// readUpload reads a leads or DNC upload (JSON or CSV).
func readUpload(w http.ResponseWriter, r *http.Request) ([]byte, bool, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxImportBytes))
	if err != nil {
		return nil, false, fmt.Errorf("%w: read body (at most %d MB): %v", ErrInvalid, MaxImportBytes>>20, err)
	}
	return body, isCSVUpload(r.Header.Get("Content-Type"), body), nil
}

func (d *Dialer) handleAddLeads(w http.ResponseWriter, r *http.Request) {
	body, isCSV, err := readUpload(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	res, err := d.AddLeads(r.PathValue("id"), body, isCSV)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

var leadStates = map[string]bool{LeadPending: true, LeadDialing: true, LeadDone: true, LeadBlocked: true}

func (d *Dialer) handleListLeads(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	if state != "" && !leadStates[state] {
		writeError(w, fmt.Errorf("%w: state %q: want pending, dialing, done or blocked", ErrInvalid, state))
		return
	}
	ls, err := d.Leads(r.PathValue("id"), state)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"leads": ls})
}

func (d *Dialer) handleListAttempts(w http.ResponseWriter, r *http.Request) {
	as, err := d.Attempts(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"attempts": as})
}

func (d *Dialer) handleJoinAgent(w http.ResponseWriter, r *http.Request) {
	s, err := d.JoinAgent(r.PathValue("id"), r.PathValue("user"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, s)
}

func (d *Dialer) handleLeaveAgent(w http.ResponseWriter, r *http.Request) {
	if err := d.LeaveAgent(r.PathValue("id"), r.PathValue("user")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (d *Dialer) agentHandler(change func(id, user string) (AgentSession, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := change(r.PathValue("id"), r.PathValue("user"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, s)
	}
}

func (d *Dialer) handleAddDNC(w http.ResponseWriter, r *http.Request) {
	body, isCSV, err := readUpload(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	country := strings.ToUpper(r.URL.Query().Get("country"))
	if country == "" {
		country = d.defaultCountry()
	}
	added, rowErrs, err := d.AddDNC(body, isCSV, country)
	if err != nil {
		writeError(w, err)
		return
	}
	if added == nil {
		added = []string{}
	}
	if rowErrs == nil {
		rowErrs = []RowError{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"added": added, "errors": rowErrs})
}

// defaultCountry is the country national numbers in a DNC upload are
// read in: the organization's first number's.
func (d *Dialer) defaultCountry() string {
	for _, n := range d.opts.Directory.CallerIDs() {
		if c := phone.Country(n); c != "" {
			return c
		}
	}
	return ""
}

func (d *Dialer) handleListDNC(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"numbers": d.DNC()})
}

func (d *Dialer) handleRemoveDNC(w http.ResponseWriter, r *http.Request) {
	if err := d.RemoveDNC(r.PathValue("number")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
