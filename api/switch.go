package api

import (
	"net/http"

	"github.com/dialtone/dialtone/jsonbody"
	"github.com/dialtone/dialtone/sip"
)

// switchRoutes serves the switch's phones and calls.
func switchRoutes(mux *http.ServeMux, sw *sip.Switch) {
	mux.HandleFunc("GET /v1/registrations", func(w http.ResponseWriter, r *http.Request) {
		jsonbody.Write(w, http.StatusOK, sw.Registrations())
	})
	mux.HandleFunc("GET /v1/calls", func(w http.ResponseWriter, r *http.Request) {
		jsonbody.Write(w, http.StatusOK, sw.Calls())
	})
	mux.HandleFunc("POST /v1/calls/{call_id}/recording", func(w http.ResponseWriter, r *http.Request) {
		path, err := sw.RecordCall(r.Context(), r.PathValue("call_id"))
		if err != nil {
			switchError(w, err)
			return
		}
		jsonbody.Write(w, http.StatusOK, map[string]string{"call_id": r.PathValue("call_id"), "recording": path})
	})
}
