package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/dialer"
)

func TestDirAudioStaysInTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	load := dialer.DirAudio(dir)
	for _, ref := range []string{"/etc/passwd", "../secret.wav", "a/../../b.wav"} {
		if _, err := load(ref); err == nil {
			t.Errorf("%q loaded", ref)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "dialer"), 0o750); err != nil {
		t.Fatal(err)
	}
	if _, err := load("missing"); err == nil || !strings.Contains(err.Error(), "missing.wav") {
		t.Errorf("missing message: %v", err)
	}
}
