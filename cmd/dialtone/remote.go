package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/dialtone/dialtone/config"
)

// remoteSwitch is a running switch's HTTP API. While the switch holds the
// database's lock, the commands that read or change the ledger (balance,
// topup, ledger verify, cdr list, rentals list) ask it instead, so an admin
// need not stop the switch to look at the books.
type remoteSwitch struct {
	base   string // http://host:port
	token  string
	client *http.Client
}

// newRemoteSwitch finds the API of the switch that runs cfg: its
// http.listen address (a wildcard host means this machine) and the first
// organization token.
func newRemoteSwitch(cfg *config.Config) (*remoteSwitch, error) {
	if cfg.HTTP.Listen == "" {
		return nil, fmt.Errorf("%w, and its API is off (http.listen is empty): stop the switch first", errDBInUse)
	}
	if len(cfg.HTTP.Tokens) == 0 {
		return nil, fmt.Errorf("%w, and the config has no http.tokens to ask its API with: stop the switch first", errDBInUse)
	}
	host, port, err := net.SplitHostPort(cfg.HTTP.Listen)
	if err != nil {
		return nil, fmt.Errorf("http.listen %q: %w", cfg.HTTP.Listen, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return &remoteSwitch{
		base:   "http://" + net.JoinHostPort(host, port),
		token:  cfg.HTTP.Tokens[0],
		client: &http.Client{Timeout: 30 * time.Second},
	}, nil
}

// call sends a request and returns the response body of a 2xx answer; any
// other answer is an error carrying the API's own message.
func (r *remoteSwitch) call(method, path string, body any, header map[string]string) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, r.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the switch holds the database but its API does not answer: %w", err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(io.LimitReader(res.Body, 1<<30))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if res.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(out, &e) == nil && e.Error != "" {
			return nil, fmt.Errorf("%s %s: %s: %s", method, path, res.Status, e.Error)
		}
		return nil, fmt.Errorf("%s %s: %s: %s", method, path, res.Status, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// printIndented writes a JSON answer the way the offline commands print
// theirs.
func printIndented(w io.Writer, raw []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(raw), "", "  "); err != nil {
		return fmt.Errorf("the API answered something that is not JSON: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}
