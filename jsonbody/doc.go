// Package jsonbody decodes the JSON bodies the HTTP API reads, strictly:
// a key given twice ({"amount":"1","amount":"1000"}) is refused rather
// than letting the later one win unseen, and so is a field the endpoint
// does not know or anything after the object. Every handler that reads a
// body goes through Decode, so none can be laxer than the others.
//
// It also writes the API's responses: Write for a JSON value, Error for
// the one error shape, {"error": "..."}. It does not route, authenticate
// or check what the fields mean: that is the handler's.
//
// # Where it sits
//
// A leaf on the standard library. The handlers of package api, and the
// HTTP parts of packages dialer and messaging (which serve their own
// /v1 routes under api's middleware), read and answer through it.
//
// # Concepts
//
//   - Read: Decode of a request body capped at MaxBytes (64 KiB), so a
//     client cannot make the switch buffer an unbounded body.
//   - Decode: one JSON value into v. Duplicate keys are found by a first
//     pass over the tokens, compared ignoring case because that is how
//     encoding/json matches struct fields ("Amount" and "amount" would
//     fill the same field); the error names the key by its path
//     (forwarding.busy). Unknown fields and trailing data are refused
//     too. A syntax error is left to encoding/json, which says where it
//     is.
//   - Write and Error: one place sets the content type and the error
//     format, where each package used to serve its own copy. A response
//     that says more than a message (a 422 naming the rule a forwarding
//     target breaks) adds fields to the same object with Write.
//
// # Use
//
//	var req struct{ Amount decimal.Decimal `json:"amount"` }
//	if err := jsonbody.Read(w, r, &req); err != nil {
//		jsonbody.Error(w, http.StatusBadRequest, err.Error())
//		return
//	}
//	jsonbody.Write(w, http.StatusOK, result)
package jsonbody
