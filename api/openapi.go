package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/dialer"
	"github.com/dialtone/dialtone/messaging"
)

// apiRoute is one route of the /v1 API as the OpenAPI document shows it.
// Every route registered anywhere must be here (TestOpenAPIListsEveryRoute).
type apiRoute struct {
	pattern string // "METHOD /v1/path/{param}", as registered
	summary string
	tag     string
	body    any  // a value of the request body's type; nil: no body
	csv     bool // the body may also be CSV
	resp    any  // a value of the response's type; nil: a JSON object
	status  int  // success status (default 200)
}

var apiRoutes = []apiRoute{
	{pattern: "GET /v1/openapi.json", summary: "This document", tag: "meta"},
	{pattern: "GET /v1/cdrs", summary: "Call detail records (?since=&format=json|csv)", tag: "billing"},
	{pattern: "GET /v1/call-log", summary: "A page of calls with their legs, newest first (?cursor=&limit=&number=&user=&from=&to=&disposition=)", tag: "billing", resp: billing.CallLogPage{}},
	{pattern: "GET /v1/recordings/{leg_id}", summary: "A call's recording (WAV); a user token needs recording.listen", tag: "calls"},
	{pattern: "GET /v1/balance", summary: "The prepaid balance", tag: "billing"},
	{pattern: "POST /v1/topups", summary: "Credit the balance (Idempotency-Key header)", tag: "billing", body: map[string]string{}},
	{pattern: "GET /v1/usage", summary: "Usage by kind over a period", tag: "billing"},
	{pattern: "GET /v1/usage/calls", summary: "Minutes and charges of the billed legs (?from=&to=&user=&group_by=day|kind|user)", tag: "billing"},
	{pattern: "GET /v1/postings", summary: "Ledger postings", tag: "billing"},
	{pattern: "GET /v1/rentals", summary: "Number rentals", tag: "billing"},
	{pattern: "GET /v1/ledger/verify", summary: "Every balance recomputed from its postings", tag: "billing"},
	{pattern: "GET /v1/users/{id}/forwarding", summary: "A user's forwarding rules", tag: "users", resp: config.Forwarding{}},
	{pattern: "PUT /v1/users/{id}/forwarding", summary: "Set a user's forwarding rules", tag: "users", body: config.Forwarding{}, resp: config.Forwarding{}},
	{pattern: "GET /v1/registrations", summary: "Registered phones", tag: "users"},
	{pattern: "GET /v1/calls", summary: "Calls in progress", tag: "calls"},
	{pattern: "POST /v1/calls/{call_id}/recording", summary: "Start recording a call in progress", tag: "calls"},
	{pattern: "GET /v1/numbers", summary: "The organization's numbers", tag: "numbers"},
	{pattern: "POST /v1/numbers", summary: "Rent a number", tag: "numbers", body: config.Number{}, resp: config.Number{}, status: 201},
	{pattern: "DELETE /v1/numbers/{number}", summary: "Release a number", tag: "numbers", status: 204},
	{pattern: "GET /v1/voicemail", summary: "Voicemail messages (?user=)", tag: "voicemail"},
	{pattern: "GET /v1/voicemail/{user}/{id}", summary: "A voicemail message (WAV)", tag: "voicemail"},
	{pattern: "DELETE /v1/voicemail/{user}/{id}", summary: "Delete a voicemail message", tag: "voicemail", status: 204},

	{pattern: "POST /v1/messages", summary: "Send a text (Idempotency-Key header; a user token sends as that user, needs sms, mms for media_urls)", tag: "texts",
		body: messaging.SendBody{}, resp: messaging.Message{}, status: 201},
	{pattern: "GET /v1/messages", summary: "Texts in both directions, as conversations (?user=&number=&peer=&since=)", tag: "texts"},
	{pattern: "GET /v1/messages/{id}", summary: "One text with its state", tag: "texts", resp: messaging.Message{}},

	{pattern: "POST /v1/campaigns", summary: "Create a campaign (draft)", tag: "dialer", body: dialer.CampaignRequest{}, resp: dialer.Campaign{}, status: 201},
	{pattern: "GET /v1/campaigns", summary: "List campaigns", tag: "dialer", resp: struct {
		Campaigns []dialer.Campaign `json:"campaigns"`
	}{}},
	{pattern: "GET /v1/campaigns/{id}", summary: "A campaign with its live stats", tag: "dialer", resp: dialer.Stats{}},
	{pattern: "DELETE /v1/campaigns/{id}", summary: "Delete a stopped campaign", tag: "dialer", status: 204},
	{pattern: "POST /v1/campaigns/{id}/start", summary: "Run a draft or paused campaign", tag: "dialer", resp: dialer.Campaign{}},
	{pattern: "POST /v1/campaigns/{id}/pause", summary: "Pause: leads ringing are canceled", tag: "dialer", resp: dialer.Campaign{}},
	{pattern: "POST /v1/campaigns/{id}/stop", summary: "Stop for good", tag: "dialer", resp: dialer.Campaign{}},
	{pattern: "POST /v1/campaigns/{id}/leads", summary: "Add leads: a JSON array or CSV (phone,name,crm_id,timezone,...)", tag: "dialer",
		body: []map[string]string{}, csv: true, resp: dialer.ImportResult{}},
	{pattern: "GET /v1/campaigns/{id}/leads", summary: "A campaign's leads in list order (?state=pending|dialing|done|blocked)", tag: "dialer", resp: struct {
		Leads []dialer.Lead `json:"leads"`
	}{}},
	{pattern: "GET /v1/campaigns/{id}/attempts", summary: "A campaign's attempts", tag: "dialer", resp: struct {
		Attempts []dialer.Attempt `json:"attempts"`
	}{}},
	{pattern: "POST /v1/campaigns/{id}/agents/{user}", summary: "Ring an agent's phone to join the campaign", tag: "dialer", resp: dialer.AgentSession{}, status: 202},
	{pattern: "DELETE /v1/campaigns/{id}/agents/{user}", summary: "End an agent's session", tag: "dialer", status: 204},
	{pattern: "POST /v1/campaigns/{id}/agents/{user}/ready", summary: "End an agent's wrap-up or pause", tag: "dialer", resp: dialer.AgentSession{}},
	{pattern: "POST /v1/campaigns/{id}/agents/{user}/pause", summary: "Pause an agent (from ready or wrap-up)", tag: "dialer", resp: dialer.AgentSession{}},
	{pattern: "POST /v1/dnc", summary: "Add numbers to the do-not-call list (JSON array or CSV; ?country= for national numbers)", tag: "dialer",
		body: []string{}, csv: true},
	{pattern: "GET /v1/dnc", summary: "The do-not-call list", tag: "dialer", resp: struct {
		Numbers []dialer.DNCEntry `json:"numbers"`
	}{}},
	{pattern: "DELETE /v1/dnc/{number}", summary: "Take a number off the do-not-call list", tag: "dialer", status: 204},
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// openAPIDocument is the API as an OpenAPI 3 document.
func openAPIDocument() map[string]any {
	paths := map[string]map[string]any{}
	for _, r := range apiRoutes {
		method, path, _ := strings.Cut(r.pattern, " ")
		op := map[string]any{"summary": r.summary, "tags": []string{r.tag}, "operationId": operationID(method, path)}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if r.body != nil {
			content := map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(r.body))}}
			if r.csv {
				content["text/csv"] = map[string]any{"schema": map[string]any{"type": "string"}}
			}
			op["requestBody"] = map[string]any{"required": true, "content": content}
		}
		status := r.status
		if status == 0 {
			status = http.StatusOK
		}
		ok := map[string]any{"description": http.StatusText(status)}
		if status != http.StatusNoContent {
			schema := map[string]any{"type": "object"}
			if r.resp != nil {
				schema = schemaOf(reflect.TypeOf(r.resp))
			}
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": schema}}
		}
		op["responses"] = map[string]any{
			itoa(status): ok,
			"default":    map[string]any{"description": "An error", "content": map[string]any{"application/json": map[string]any{"schema": errorSchema}}},
		}
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "dialtone", "version": "1",
			"description": "The switch's HTTP API. Bearer tokens: an organization token may do everything; a user's api_token what the user's role permits (dialer routes: the dialer permission)."},
		"components": map[string]any{"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}}},
		"security":   []any{map[string]any{"bearer": []string{}}},
		"paths":      paths,
	}
}

var errorSchema = map[string]any{"type": "object", "properties": map[string]any{"error": map[string]any{"type": "string"}}}

func operationID(method, path string) string {
	id := strings.ToLower(method)
	for _, part := range strings.Split(strings.TrimPrefix(path, "/v1/"), "/") {
		part = strings.Trim(part, "{}")
		part = strings.NewReplacer(".", "_", "-", "_").Replace(part)
		id += "_" + part
	}
	return id
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	decimalType  = reflect.TypeFor[decimal.Decimal]()
	durationType = reflect.TypeFor[config.Duration]()
)

// schemaOf derives a JSON schema from a Go type's JSON encoding, so the
// document cannot drift from what the handlers send.
func schemaOf(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case decimalType:
		return map[string]any{"type": "string", "format": "decimal"}
	case durationType:
		return map[string]any{"type": "string", "example": "25s"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.Struct:
		props := map[string]any{}
		addFields(t, props)
		return map[string]any{"type": "object", "properties": props}
	}
	return map[string]any{}
}

func addFields(t reflect.Type, props map[string]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addFields(ft, props)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type)
	}
}

// handleOpenAPI serves the document.
func handleOpenAPI(doc []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}
}
