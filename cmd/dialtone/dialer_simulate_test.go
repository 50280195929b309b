package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// The issue fixes the JSON's fields; scripts read them.
func TestDialerSimulatePrintsTheIssuesJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"dialer", "simulate", "--agents", "3", "--answer-rate", "0.3", "--answer-rate-end", "0.2",
		"--talk-mean", "100s", "--talk-sd", "60s", "--wrap", "15s", "--hours", "0.5", "--seeds", "4,5",
		"--mode", "predictive", "--target", "0.02", "--format", "json"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	keys := func(m map[string]json.RawMessage) []string {
		var k []string
		for name := range m {
			k = append(k, name)
		}
		slices.Sort(k)
		return k
	}
	want := []string{"abandon_rate", "abandon_rate_max_seed", "agents", "connects_per_agent_hour", "mode", "seeds", "utilisation"}
	if got := keys(out); !slices.Equal(got, want) {
		t.Fatalf("keys %v, want %v", got, want)
	}
	var seeds []map[string]json.RawMessage
	if err := json.Unmarshal(out["seeds"], &seeds); err != nil || len(seeds) != 2 {
		t.Fatalf("seeds %s: %v", out["seeds"], err)
	}
	wantSeed := []string{"abandon_rate", "connects_per_agent_hour", "dials_per_agent_hour", "seed", "utilisation", "worst_15min_abandon_rate"}
	if got := keys(seeds[0]); !slices.Equal(got, wantSeed) {
		t.Fatalf("seed keys %v, want %v", got, wantSeed)
	}
	if string(seeds[1]["seed"]) != "5" || string(out["mode"]) != `"predictive"` || string(out["agents"]) != "3" {
		t.Fatalf("output %s", stdout.String())
	}
}

func TestDialerSimulateTableAndErrors(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"dialer", "simulate", "--agents", "2", "--answer-rate", "0.3", "--hours", "0.2", "--mode", "power",
		"--seeds", "1", "--format", "table"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "power, 2 agents") {
		t.Fatalf("table: exit %d, %q %q", code, stdout.String(), stderr.String())
	}
	for _, args := range [][]string{
		{"dialer"},
		{"dialer", "dial"},
		{"dialer", "simulate", "--answer-rate", "0.3"},
		{"dialer", "simulate", "--agents", "3", "--answer-rate", "0.3", "--mode", "preview"},
		{"dialer", "simulate", "--agents", "3", "--answer-rate", "0.3", "--seeds", "1,x"},
		{"dialer", "simulate", "--agents", "3", "--answer-rate", "0.3", "--format", "csv"},
	} {
		stdout.Reset()
		stderr.Reset()
		if code := run(args, &stdout, &stderr); code != 2 || stderr.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a message", args, code, stderr.String())
		}
	}
}
