package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/jsonbody"
	"github.com/dialtone/dialtone/sip"
)

// switchRoutes serves the switch's users, phones, calls and numbers.
func switchRoutes(mux *http.ServeMux, sw *sip.Switch) {
	mux.HandleFunc("GET /v1/users/{id}/forwarding", func(w http.ResponseWriter, r *http.Request) {
		f, err := sw.Forwarding(r.PathValue("id"))
		if err != nil {
			switchError(w, err)
			return
		}
		jsonbody.Write(w, http.StatusOK, f)
	})
	mux.HandleFunc("PUT /v1/users/{id}/forwarding", func(w http.ResponseWriter, r *http.Request) {
		if _, err := sw.Forwarding(r.PathValue("id")); err != nil {
			switchError(w, err) // an unknown user is 404 before a bad body is 400
			return
		}
		var f config.Forwarding
		if err := jsonbody.Read(w, r, &f); err != nil {
			bodyError(w, fmt.Errorf("forwarding: %w", err))
			return
		}
		if err := sw.SetForwarding(r.PathValue("id"), f); err != nil {
			switchError(w, err)
			return
		}
		jsonbody.Write(w, http.StatusOK, f)
	})
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
	mux.HandleFunc("GET /v1/numbers", func(w http.ResponseWriter, r *http.Request) {
		jsonbody.Write(w, http.StatusOK, sw.Numbers())
	})
	mux.HandleFunc("POST /v1/numbers", func(w http.ResponseWriter, r *http.Request) {
		var n config.Number
		if err := jsonbody.Read(w, r, &n); err != nil {
			bodyError(w, fmt.Errorf("number: %w", err))
			return
		}
		n, err := sw.AddNumber(r.Context(), n)
		if err != nil {
			switchError(w, err)
			return
		}
		jsonbody.Write(w, http.StatusCreated, n)
	})
	mux.HandleFunc("DELETE /v1/numbers/{number}", func(w http.ResponseWriter, r *http.Request) {
		if err := sw.RemoveNumber(r.Context(), r.PathValue("number")); err != nil {
			switchError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// bodyError answers a request body that does not decode: 400, or 413 when
// it is over jsonbody.MaxBytes.
func bodyError(w http.ResponseWriter, err error) {
	code := http.StatusBadRequest
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		code = http.StatusRequestEntityTooLarge
	}
	jsonbody.Error(w, code, err.Error())
}

// switchError answers an error of the switch's methods: a forwarding
// target the owners may not call is a 422 that names the field, the
// target and the rule; the error kinds are 400, 404 and 409; anything
// else is the switch's failure, 500.
func switchError(w http.ResponseWriter, err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return // the client went away
	}
	var refused *sip.ForwardingRefusedError
	if errors.As(err, &refused) {
		jsonbody.Write(w, http.StatusUnprocessableEntity, map[string]string{
			"error": refused.Error(), "field": refused.Field, "target": refused.Target, "rule": refused.Rule,
		})
		return
	}
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, sip.ErrInvalid):
		code = http.StatusBadRequest
	case errors.Is(err, sip.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, sip.ErrConflict):
		code = http.StatusConflict
	}
	jsonbody.Error(w, code, err.Error())
}
