package api

import (
	"fmt"
	"net/http"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/jsonbody"
)

// organizationRoutes serves the users' forwarding and the organization's
// numbers, which the API changes.
func organizationRoutes(mux *http.ServeMux, org *directory.Organization) {
	mux.HandleFunc("GET /v1/users/{id}/forwarding", func(w http.ResponseWriter, r *http.Request) {
		f, err := org.Forwarding(r.PathValue("id"))
		if err != nil {
			switchError(w, err)
			return
		}
		jsonbody.Write(w, http.StatusOK, f)
	})
	mux.HandleFunc("PUT /v1/users/{id}/forwarding", func(w http.ResponseWriter, r *http.Request) {
		if _, err := org.Forwarding(r.PathValue("id")); err != nil {
			switchError(w, err) // an unknown user is 404 before a bad body is 400
			return
		}
		var f config.Forwarding
		if err := jsonbody.Read(w, r, &f); err != nil {
			bodyError(w, fmt.Errorf("forwarding: %w", err))
			return
		}
		if err := org.SetForwarding(r.PathValue("id"), f); err != nil {
			switchError(w, err)
			return
		}
		jsonbody.Write(w, http.StatusOK, f)
	})
	mux.HandleFunc("GET /v1/numbers", func(w http.ResponseWriter, r *http.Request) {
		jsonbody.Write(w, http.StatusOK, org.Numbers())
	})
	mux.HandleFunc("POST /v1/numbers", func(w http.ResponseWriter, r *http.Request) {
		var n config.Number
		if err := jsonbody.Read(w, r, &n); err != nil {
			bodyError(w, fmt.Errorf("number: %w", err))
			return
		}
		n, err := org.AddNumber(r.Context(), n)
		if err != nil {
			switchError(w, err)
			return
		}
		jsonbody.Write(w, http.StatusCreated, n)
	})
	mux.HandleFunc("DELETE /v1/numbers/{number}", func(w http.ResponseWriter, r *http.Request) {
		if err := org.RemoveNumber(r.Context(), r.PathValue("number")); err != nil {
			switchError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
