package jsonbody

import (
	"encoding/json"
	"net/http"
)

// Write answers with v as JSON and status code.
func Write(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// Error answers with the API's one error format, {"error": msg}, and
// status code. Responses that say more (a 422 naming the rule a
// forwarding target breaks) add fields to the same object with Write.
func Error(w http.ResponseWriter, code int, msg string) {
	Write(w, code, map[string]string{"error": msg})
}
