package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// apiError is an answer of the API other than 2xx: the page shows its
// message with its status (403 is "your role does not permit this").
type apiError struct {
	Status  int
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d: %s", e.Status, e.Message) }

// apiRequest builds the in-process request to the /v1 chain that carries
// the session's credential.
func apiRequest(ctx context.Context, s *session, method, path string, body io.Reader) (*http.Request, error) {
	if s.user != "" {
		ctx = context.WithValue(ctx, sessionUserKey{}, s.user)
	}
	req, err := http.NewRequestWithContext(ctx, method, path, body)
	if err != nil {
		return nil, fmt.Errorf("api request %s %s: %w", method, path, err)
	}
	req.RemoteAddr = "console"
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// recorder is the ResponseWriter the API answers the console into.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}

// call runs one API request in-process and returns its status and body.
func (c *Console) call(ctx context.Context, s *session, method, path string, body any, hdr map[string]string) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, fmt.Errorf("encode %s body: %w", path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := apiRequest(ctx, s, method, path, rd)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := &recorder{header: http.Header{}}
	c.opts.API.ServeHTTP(rec, req)
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	return rec.code, rec.body.Bytes(), nil
}

// getJSON GETs path from the API and decodes its JSON into out.
func (c *Console) getJSON(ctx context.Context, s *session, path string, out any) error {
	return c.doJSON(ctx, s, http.MethodGet, path, nil, nil, out)
}

// doJSON runs a request and decodes a 2xx answer into out (when not nil);
// any other answer is an *apiError.
func (c *Console) doJSON(ctx context.Context, s *session, method, path string, body any, hdr map[string]string, out any) error {
	code, b, err := c.call(ctx, s, method, path, body, hdr)
	if err != nil {
		return err
	}
	if code < 200 || code > 299 {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(b))
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return &apiError{Status: code, Message: msg}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode %s %s: %w", method, path, err)
	}
	return nil
}

// answers says whether the API serves path to the session (a feature
// that may not be built yet, like texts, answers 404).
func (c *Console) answers(ctx context.Context, s *session, path string) bool {
	code, _, err := c.call(ctx, s, http.MethodGet, path, nil, nil)
	return err == nil && code == http.StatusOK
}
