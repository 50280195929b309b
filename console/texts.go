package console

import (
	"encoding/json"
	"fmt"
	"sort"
)

// text is one message, read loosely: the texts API is young, so the
// console takes the fields it knows and ignores the rest.
type text struct {
	ID        string
	From      string
	To        string
	Body      string
	Direction string
	Status    string
	Time      string
}

// conversation is the texts between the organization's number and one
// other party.
type conversation struct {
	Party string
	Texts []text
}

func str(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
	}
	return ""
}

// conversations groups the texts of a /v1/messages answer (a list, or an
// object with a list under "messages") by the other party.
func conversations(body []byte) []conversation {
	var list []map[string]any
	if json.Unmarshal(body, &list) != nil {
		var wrapped struct {
			Messages []map[string]any `json:"messages"`
		}
		_ = json.Unmarshal(body, &wrapped)
		list = wrapped.Messages
	}
	byParty := map[string]*conversation{}
	var order []string
	for _, m := range list {
		t := text{ID: str(m, "id"), From: str(m, "from"), To: str(m, "to"), Body: str(m, "body", "text"),
			Direction: str(m, "direction"), Status: str(m, "status"), Time: str(m, "created_at", "time", "sent_at")}
		party := t.To
		if t.Direction == "inbound" {
			party = t.From
		}
		cv := byParty[party]
		if cv == nil {
			cv = &conversation{Party: party}
			byParty[party] = cv
			order = append(order, party)
		}
		cv.Texts = append(cv.Texts, t)
	}
	out := make([]conversation, 0, len(order))
	for _, p := range order {
		cv := byParty[p]
		sort.SliceStable(cv.Texts, func(i, j int) bool { return cv.Texts[i].Time > cv.Texts[j].Time })
		out = append(out, *cv)
	}
	return out
}
