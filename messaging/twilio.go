package messaging

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	twclient "github.com/twilio/twilio-go/client"
	twapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// twilioAPI is where twilio-go sends Messages API requests.
const twilioAPI = "https://api.twilio.com"

// Twilio sends texts through Twilio's Messages API (twilio-go).
type Twilio struct {
	api        *twapi.ApiService
	accountSID string
}

// NewTwilio builds the carrier. baseURL, when set, replaces
// https://api.twilio.com (a fake in tests, a regional endpoint):
// twilio-go fixes the host it asks for, so the HTTP client's transport
// rewrites it.
func NewTwilio(accountSID, authToken, baseURL string) (*Twilio, error) {
	transport := http.DefaultTransport
	if baseURL != "" && baseURL != twilioAPI {
		u, err := url.Parse(baseURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("twilio api base url %q: not a URL", baseURL)
		}
		transport = rebase{to: u, next: http.DefaultTransport}
	}
	c := &twclient.Client{
		Credentials: twclient.NewCredentials(accountSID, authToken),
		HTTPClient:  &http.Client{Transport: transport, Timeout: 30 * time.Second},
	}
	c.SetAccountSid(accountSID)
	h := twclient.NewRequestHandler(c)
	// An edge or region from the environment would rename the host.
	h.Edge, h.Region = "", ""
	return &Twilio{api: twapi.NewApiService(h), accountSID: accountSID}, nil
}

// rebase sends requests for api.twilio.com to another base URL.
type rebase struct {
	to   *url.URL
	next http.RoundTripper
}

func (r rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = r.to.Scheme, r.to.Host
	req.URL.Path = r.to.Path + req.URL.Path
	req.Host = r.to.Host
	return r.next.RoundTrip(req)
}

// Send creates a Message resource.
func (t *Twilio) Send(ctx context.Context, text CarrierText) (*Accepted, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := &twapi.CreateMessageParams{}
	p.SetPathAccountSid(t.accountSID)
	p.SetFrom(text.From).SetTo(text.To)
	if text.Body != "" {
		p.SetBody(text.Body)
	}
	if len(text.MediaURLs) > 0 {
		p.SetMediaUrl(text.MediaURLs)
	}
	if text.StatusCallback != "" {
		p.SetStatusCallback(text.StatusCallback)
	}
	m, err := t.api.CreateMessage(p)
	if err != nil {
		var re *twclient.TwilioRestError
		if errors.As(err, &re) {
			return nil, &CarrierError{Code: re.Code, Status: re.Status, Message: re.Message}
		}
		return nil, fmt.Errorf("twilio: %w", err)
	}
	a := &Accepted{Status: StateQueued}
	if m.Sid != nil {
		a.SID = *m.Sid
	}
	if a.SID == "" {
		return nil, errors.New("twilio: accepted without a message sid")
	}
	if m.Status != nil {
		if s := twilioState(*m.Status); s != "" {
			a.Status = s
		}
	}
	if m.NumSegments != nil {
		a.Segments, _ = strconv.Atoi(*m.NumSegments)
	}
	return a, nil
}

// twilioState maps Twilio's message statuses to ours ("" for statuses we
// do not track, e.g. accepted or scheduled, which are before queued).
func twilioState(s string) State {
	switch s {
	case "queued", "accepted", "scheduled":
		return StateQueued
	case "sending":
		return StateSending
	case "sent":
		return StateSent
	case "delivered", "read":
		return StateDelivered
	case "undelivered":
		return StateUndelivered
	case "failed", "canceled":
		return StateFailed
	case "received", "receiving":
		return StateReceived
	}
	return ""
}
