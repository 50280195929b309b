package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/jsonbody"
)

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

// switchError answers an error of the switch's or the organization's
// methods: a forwarding target the owners may not call is a 422 that
// names the field, the target and the rule; the error kinds (package
// directory's) are 400, 404 and 409; anything else is a failure, 500.
func switchError(w http.ResponseWriter, err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return // the client went away
	}
	var refused *directory.ForwardingRefusedError
	if errors.As(err, &refused) {
		jsonbody.Write(w, http.StatusUnprocessableEntity, map[string]string{
			"error": refused.Error(), "field": refused.Field, "target": refused.Target, "rule": refused.Rule,
		})
		return
	}
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, directory.ErrInvalid):
		code = http.StatusBadRequest
	case errors.Is(err, directory.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, directory.ErrConflict):
		code = http.StatusConflict
	}
	jsonbody.Error(w, code, err.Error())
}
