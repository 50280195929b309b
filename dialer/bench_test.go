package dialer

import (
	"fmt"
	"strings"
	"testing"
)

func leadsCSV(n int) []byte {
	var b strings.Builder
	b.WriteString("phone,name,crm_id,plan\n")
	for i := range n {
		fmt.Fprintf(&b, "+1212555%04d,lead %d,crm-%d,gold\n", i%10000, i, i)
	}
	return []byte(b.String())
}

func BenchmarkParseLeads10k(b *testing.B) {
	body := leadsCSV(10_000)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, _, err := parseLeads(body, true, "US"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDispatchPast10kLeads: an agent's next lead when the first
// 10,000 of the list were called within retry_after.
func BenchmarkDispatchPast10kLeads(b *testing.B) {
	h := newHarness(b)
	c := h.campaign(nil)
	if _, err := h.d.AddLeads(c.ID, leadsCSV(10_000), true); err != nil {
		b.Fatal(err)
	}
	r := h.d.campaigns[c.ID]
	for _, l := range r.leads {
		l.LastDialed, l.Attempts = h.clock.Now(), 1
	}
	s := &session{AgentSession: AgentSession{User: "1001"}}
	for b.Loop() {
		h.d.mu.Lock()
		if l := h.d.nextLeadLocked(r, s, h.clock.Now()); l != nil {
			b.Fatal("a lead within retry_after")
		}
		h.d.mu.Unlock()
	}
}
