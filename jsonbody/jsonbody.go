package jsonbody

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// MaxBytes is the largest body Read accepts.
const MaxBytes = 64 << 10

// Read decodes r's body into v (see Decode), reading at most MaxBytes.
func Read(w http.ResponseWriter, r *http.Request, v any) error {
	return Decode(http.MaxBytesReader(w, r.Body, MaxBytes), v)
}

// Decode reads one JSON value from r into v. It refuses duplicate keys
// (compared as encoding/json matches struct fields: ignoring case), unknown
// fields and trailing data, with an error that names the key.
func Decode(r io.Reader, v any) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if err := checkDuplicateKeys(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("the body is empty: want a JSON object")
		}
		return errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}

// checkDuplicateKeys walks data's tokens and refuses an object that has a
// key twice, naming it by its path (forwarding.busy). A syntax error is
// left to json.Decode, which says where it is.
func checkDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := walk(dec, "")
	var dup duplicateKeyError
	if errors.As(err, &dup) {
		return dup
	}
	return nil
}

type duplicateKeyError struct{ key string }

func (e duplicateKeyError) Error() string { return fmt.Sprintf("duplicate key %q", e.key) }

// walk reads one value at path.
func walk(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := t.(string)
			name := key
			if path != "" {
				name = path + "." + key
			}
			folded := strings.ToLower(key)
			if seen[folded] {
				return duplicateKeyError{name}
			}
			seen[folded] = true
			if err := walk(dec, name); err != nil {
				return err
			}
		}
		_, err = dec.Token() // }
		return err
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := walk(dec, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ]
		return err
	}
	return nil
}
