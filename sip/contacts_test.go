package sip

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// registerStep is one REGISTER in a test: contacts by port, at a time.
type registerStep struct {
	at       int // seconds after the start
	callID   string
	cseq     uint32
	ports    []int
	instance string // +sip.instance of every contact, "" none
	expires0 bool   // un-register the contacts
}

func (s registerStep) change(start time.Time) registerChange {
	ch := registerChange{callID: s.callID, cseq: s.cseq}
	at := start.Add(time.Duration(s.at) * time.Second)
	for _, p := range s.ports {
		b := binding{Contact: sip.Uri{Scheme: "sip", User: "1001", Host: "192.0.2.1", Port: p}, Source: fmt.Sprintf("192.0.2.1:%d", p),
			Expires: at.Add(time.Hour), Registered: at, Instance: s.instance}
		if s.expires0 {
			ch.remove = append(ch.remove, b)
		} else {
			ch.add = append(ch.add, b)
		}
	}
	return ch
}

// phones registers n phones, one REGISTER each, a second apart: ports
// 1..n, Call-IDs p1..pn.
func phones(n int) []registerStep {
	var steps []registerStep
	for i := 1; i <= n; i++ {
		steps = append(steps, registerStep{at: i, callID: fmt.Sprintf("p%d", i), cseq: 1, ports: []int{i}})
	}
	return steps
}

func ports(bs []binding) []int {
	out := []int{}
	for _, b := range bs {
		out = append(out, b.Contact.Port)
	}
	return out
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestContactsPerUserAreCapped(t *testing.T) {
	tests := []struct {
		name        string
		max         int
		steps       []registerStep
		wantPorts   []int // the user's contacts after the last step
		wantEvicted []int // what the last step pushed out
	}{
		{name: "under the limit every contact stays", max: 10, steps: phones(3), wantPorts: seq(1, 3), wantEvicted: []int{}},
		{name: "at the limit every contact stays", max: 10, steps: phones(10), wantPorts: seq(1, 10), wantEvicted: []int{}},
		{name: "the 11th contact replaces the one registered longest ago", max: 10, steps: phones(11), wantPorts: seq(2, 11), wantEvicted: []int{1}},
		{name: "1,000 contacts leave the newest 10", max: 10, steps: phones(1000), wantPorts: seq(991, 1000), wantEvicted: []int{990}},
		{name: "a phone that refreshed its registration is not the stalest", max: 3,
			steps:     append(phones(3), registerStep{at: 10, callID: "p1", cseq: 2, ports: []int{1}}, registerStep{at: 11, callID: "p4", cseq: 1, ports: []int{4}}),
			wantPorts: []int{3, 1, 4}, wantEvicted: []int{2}},
		{name: "one REGISTER with 12 contacts keeps its last 10", max: 10,
			steps:     []registerStep{{at: 1, callID: "bulk", cseq: 1, ports: seq(1, 12)}},
			wantPorts: seq(3, 12), wantEvicted: []int{1, 2}},
		{name: "a device that moves keeps one binding (RFC 5626 instance)", max: 3,
			steps: []registerStep{
				{at: 1, callID: "a", cseq: 1, ports: []int{1}, instance: "<urn:uuid:a>"},
				{at: 2, callID: "b", cseq: 1, ports: []int{2}},
				{at: 3, callID: "c", cseq: 1, ports: []int{3}},
				{at: 4, callID: "a2", cseq: 1, ports: []int{9}, instance: "<urn:uuid:a>"}, // new address, after a reboot
			},
			wantPorts: []int{2, 3, 9}, wantEvicted: []int{}},
		{name: "a REGISTER overtaken by a newer one of the same Call-ID changes nothing", max: 10,
			steps: []registerStep{
				{at: 1, callID: "a", cseq: 5, ports: []int{1}},
				{at: 2, callID: "a", cseq: 4, ports: []int{1}, expires0: true},
			},
			wantPorts: []int{1}, wantEvicted: []int{}},
		{name: "an un-REGISTER frees a place", max: 2,
			steps: []registerStep{
				{at: 1, callID: "a", cseq: 1, ports: []int{1}},
				{at: 2, callID: "b", cseq: 1, ports: []int{2}},
				{at: 3, callID: "a", cseq: 2, ports: []int{1}, expires0: true},
				{at: 4, callID: "c", cseq: 1, ports: []int{3}},
			},
			wantPorts: []int{2, 3}, wantEvicted: []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
			r := newRegistrar()
			var current, evicted []binding
			for _, s := range tt.steps {
				r.now = func() time.Time { return start.Add(time.Duration(s.at) * time.Second) }
				current, evicted = r.update("1001", s.change(start), tt.max)
			}
			if got := ports(current); !reflect.DeepEqual(got, tt.wantPorts) {
				t.Errorf("contacts: %v, want %v", got, tt.wantPorts)
			}
			if got := ports(r.lookup("1001")); !reflect.DeepEqual(got, tt.wantPorts) {
				t.Errorf("contacts a call finds: %v, want %v", got, tt.wantPorts)
			}
			if got := ports(evicted); !reflect.DeepEqual(got, tt.wantEvicted) {
				t.Errorf("pushed out: %v, want %v", got, tt.wantEvicted)
			}
		})
	}
}

func TestForksAreCappedNewestFirst(t *testing.T) {
	start := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	// contacts makes a user's contacts, newest first, registered at the
	// given seconds; each contact's port is its registration second.
	contacts := func(at ...int) []binding {
		var out []binding
		for _, s := range at {
			out = append(out, binding{Contact: sip.Uri{Host: "192.0.2.1", Port: s}, Registered: start.Add(time.Duration(s) * time.Second)})
		}
		return out
	}
	many := func(n int) [][]binding { // n users, one phone each, user i registered at second i
		var out [][]binding
		for i := 1; i <= n; i++ {
			out = append(out, contacts(i))
		}
		return out
	}
	tests := []struct {
		name    string
		perUser [][]binding
		max     int
		want    []int
	}{
		{"a user with few contacts rings them all, newest first", [][]binding{contacts(3, 2, 1)}, 10, []int{3, 2, 1}},
		{"a user with 1,000 contacts rings the newest 10", [][]binding{contacts(seqDown(1000, 1)...)}, 10, seqDown(1000, 991)},
		{"a group rings every member's newest phone before anyone's second",
			[][]binding{contacts(50, 40, 30, 20, 10), contacts(5), contacts(45, 1)}, 4, []int{50, 45, 5, 40}},
		{"a group of 20 one-phone users rings the 10 registered last", many(20), 10, seqDown(20, 11)},
		{"nobody registered rings nothing", [][]binding{nil, nil}, 10, []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ports(interleaveNewestFirst(tt.perUser, tt.max)); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("rung: %v, want %v", got, tt.want)
			}
		})
	}
}

func seqDown(from, to int) []int {
	var out []int
	for i := from; i >= to; i-- {
		out = append(out, i)
	}
	return out
}
