package sip

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/media"
)

// writeWAV writes samples of silence as a WAV of rate and channels.
func writeWAV(t *testing.T, path string, rate, channels, samples int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := media.NewWAVWriter(f, rate, channels)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(make([]int16, samples*channels)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// The switch plays the prompts a config names, so it decodes them: one
// that does not decode is a config error at its field (check-config and
// a reload refuse it); a voicemail greeting, which has a generated
// fallback, a warning.
func TestPromptsThatDoNotDecodeAreConfigErrors(t *testing.T) {
	dir := t.TempDir()
	writeWAV(t, filepath.Join(dir, "notice.wav"), 8000, 1, 8000)
	writeWAV(t, filepath.Join(dir, "wide.wav"), 16000, 1, 8000)
	writeWAV(t, filepath.Join(dir, "empty.wav"), 8000, 1, 0)
	cfgPath := filepath.Join(dir, "dialtone.yaml")
	tests := []struct {
		name, yaml, err, warning string
		samples                  int
	}{
		{name: "a WAV relative to the config file is loaded", yaml: "media:\n  recording_announcement: notice.wav\n", samples: 8000},
		{name: "a 16 kHz WAV is refused", yaml: "media:\n  recording_announcement: wide.wav\n",
			err: "dialtone.yaml:2: media.recording_announcement: " + filepath.Join(dir, "wide.wav") + ": load prompt: media: unsupported WAV format: 16000 Hz"},
		{name: "a WAV without audio is refused", yaml: "media:\n  recording_announcement: empty.wav\n",
			err: "dialtone.yaml:2: media.recording_announcement: " + filepath.Join(dir, "empty.wav") + " has no audio"},
		{name: "a voicemail greeting that does not decode is a warning", yaml: strings.Replace(minimalConfig, "    role: agent\n", "    role: agent\n    voicemail_greeting: wide.wav\n", 1),
			warning: "users[0].voicemail_greeting: " + filepath.Join(dir, "wide.wav") + ": load prompt: media: unsupported WAV format: 16000 Hz, 1 channels (want 8000 Hz mono): callers will hear the generated prompt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := tt.yaml
			if !strings.Contains(yaml, "organization:") {
				yaml += minimalConfig
			}
			if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			err = CheckPrompts(cfg)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.warning != "" && !strings.Contains(strings.Join(cfg.Warnings, "\n"), tt.warning) {
				t.Fatalf("warnings %q, want %q", cfg.Warnings, tt.warning)
			}
			if tt.samples > 0 {
				s, err := loadPrompt(cfg.Prompts[0].Path)
				if err != nil || len(s) != tt.samples {
					t.Fatalf("%d samples, %v; want %d", len(s), err, tt.samples)
				}
			}
		})
	}
}
