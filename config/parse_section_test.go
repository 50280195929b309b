package config

import (
	"strings"
	"testing"
)

// parseSection parses lines under section, followed by the rest of a
// config that loads (so the lines an error names are the section's), as
// v.yaml. With wantErr it fails the test unless the error holds wantErr,
// and returns nil; without, it fails on any error and returns the config.
func parseSection(t *testing.T, section, lines, wantErr string) *Config {
	t.Helper()
	cfg, err := Parse([]byte(section+":\n"+lines+minimalConfig), "v.yaml")
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("error %v, want %q", err, wantErr)
		}
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
