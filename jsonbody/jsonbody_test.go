package jsonbody

import (
	"strings"
	"testing"
)

type topUp struct {
	Amount string `json:"amount"`
	Note   string `json:"note"`
	Meta   struct {
		Source string `json:"source"`
	} `json:"meta"`
	Tags []struct {
		Name string `json:"name"`
	} `json:"tags"`
}

func TestDecodeIsStrict(t *testing.T) {
	tests := []struct {
		name, body, err string
	}{
		{"a plain object", `{"amount":"10.00","note":"card"}`, ""},
		{"nested objects and arrays", `{"meta":{"source":"x"},"tags":[{"name":"a"},{"name":"b"}]}`, ""},
		{"a duplicate key", `{"amount":"1.00","amount":"1000.00"}`, `duplicate key "amount"`},
		{"a duplicate key in another case", `{"amount":"1.00","AMOUNT":"1000.00"}`, `duplicate key "AMOUNT"`},
		{"a duplicate nested key", `{"meta":{"source":"a","source":"b"}}`, `duplicate key "meta.source"`},
		{"a duplicate key in an array's object", `{"tags":[{"name":"a"},{"name":"b","name":"c"}]}`, `duplicate key "tags[1].name"`},
		{"the same key in two objects is fine", `{"tags":[{"name":"a"},{"name":"b"}]}`, ""},
		{"an unknown field", `{"amount":"1.00","amonut":"2"}`, `unknown field "amonut"`},
		{"trailing data", `{"amount":"1.00"} {"amount":"2.00"}`, "unexpected data after the JSON object"},
		{"an empty body", ``, "the body is empty: want a JSON object"},
		{"a syntax error", `{"amount":}`, "invalid character '}' looking for beginning of value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v topUp
			err := Decode(strings.NewReader(tt.body), &v)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.err != "" && (err == nil || err.Error() != tt.err):
				t.Fatalf("error %v, want %q", err, tt.err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(`{"amount":"1","amount":"2"}`)
	f.Add(`{"tags":[{"name":"a"}],"meta":{"source":"b"}}`)
	f.Fuzz(func(t *testing.T, body string) {
		var v map[string]any
		_ = Decode(strings.NewReader(body), &v) // must not panic
	})
}
