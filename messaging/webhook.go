package messaging

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	twclient "github.com/twilio/twilio-go/client"
)

// Twilio's webhook paths: mounted outside the bearer-token API, each
// request checked by its X-Twilio-Signature instead.
const (
	InboundPath = "/v1/twilio/messages"
	StatusPath  = "/v1/twilio/status"
)

// emptyTwiML answers an inbound text: no reply; delivery is ours.
const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// maxWebhookBody bounds a webhook's form (Twilio's are a few KB).
const maxWebhookBody = 64 << 10

// WebhookRoutes mounts Twilio's webhooks on mux (not behind the token).
func (s *Service) WebhookRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+InboundPath, s.signed(s.handleInbound))
	mux.HandleFunc("POST "+StatusPath, s.signed(s.handleStatus))
}

// signed checks X-Twilio-Signature over the public URL Twilio called
// (twilio.webhook_base_url + the path) and the form, with twilio-go's
// validator; a bad or missing signature is 403 and nothing is stored.
func (s *Service) signed(next func(w http.ResponseWriter, r *http.Request, form url.Values)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tw := s.o.Config().Twilio
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		sig := r.Header.Get("X-Twilio-Signature")
		publicURL := trimSlash(tw.WebhookBaseURL) + r.URL.RequestURI()
		v := twclient.NewRequestValidator(tw.AuthToken)
		if tw.AuthToken == "" || sig == "" || !v.ValidateBody(publicURL, body, sig) {
			s.log.Warn("twilio webhook: bad or missing signature", "path", r.URL.Path, "source", r.RemoteAddr)
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		next(w, r, form)
	}
}

func (s *Service) handleInbound(w http.ResponseWriter, r *http.Request, f url.Values) {
	in := CarrierInbound{
		SID: f.Get("MessageSid"), From: f.Get("From"), To: f.Get("To"), Body: f.Get("Body"),
		Segments: parseInt(f.Get("NumSegments")),
	}
	if in.SID == "" {
		in.SID = f.Get("SmsSid")
	}
	for i := range parseInt(f.Get("NumMedia")) {
		if u := f.Get(fmt.Sprintf("MediaUrl%d", i)); u != "" {
			in.MediaURLs = append(in.MediaURLs, u)
		}
	}
	if _, err := s.Receive(r.Context(), in); err != nil {
		s.log.Error("twilio inbound text", "sid", in.SID, "error", err)
		// Twilio retries a failed webhook: the SID keeps it from landing twice.
		http.Error(w, "not stored", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = io.WriteString(w, emptyTwiML)
}

func (s *Service) handleStatus(w http.ResponseWriter, r *http.Request, f url.Values) {
	u := StatusUpdate{
		SID: f.Get("MessageSid"), Status: strings.ToLower(f.Get("MessageStatus")),
		ErrorCode: parseInt(f.Get("ErrorCode")), ErrorMessage: f.Get("ErrorMessage"),
	}
	if u.SID == "" {
		u.SID = f.Get("SmsSid")
	}
	if u.Status == "" {
		u.Status = strings.ToLower(f.Get("SmsStatus"))
	}
	if _, err := s.UpdateStatus(r.Context(), u); err != nil {
		s.log.Info("twilio status for an unknown text", "sid", u.SID, "error", err)
	}
	w.WriteHeader(http.StatusNoContent)
}
