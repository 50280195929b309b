package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDemoConfigIsValid(t *testing.T) {
	cfg, err := Demo()
	if err != nil {
		t.Fatalf("demo config: %v", err)
	}
	if len(cfg.Users) != 2 || cfg.Numbers[0].Country != "US" || cfg.Numbers[0].Type != TypeLocal {
		t.Fatalf("unexpected demo config: %+v", cfg)
	}
}

// essentials is what every config needs besides what a test is about;
// appended after it, so the lines a test names do not move.
const essentials = `
organization:
  id: acme
roles:
  - name: agent
    permissions: [calls.outbound]
users:
  - extension: "1001"
    password: alice-secret
    role: agent
trunks:
  - name: carrier
    address: 127.0.0.1:5080
`

const base = `
roles:
  - name: agent
    permissions: [calls.outbound]
users:
  - extension: "1001"
    password: x
    role: agent
`

func TestConfigErrorsNameFileLineAndField(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"an unknown top-level field is refused", "bogus: 1\n", "t.yaml:1: bogus: unknown field"},
		{"an unknown user field is refused", base + "    shoe_size: 9\n", "t.yaml:9: users[0].shoe_size: unknown field (in User)"},
		{"a duplicate extension is refused", base + "  - extension: \"1001\"\n    password: y\n    role: agent\n", "t.yaml:9: users[1].extension: duplicate extension 1001"},
		{"an unknown role is refused", base + "  - extension: \"1002\"\n    password: y\n    role: boss\n", "t.yaml:11: users[1].role: unknown role \"boss\""},
		{"a number that is not E.164 is refused", base + "numbers:\n  - number: \"4155550100\"\n    user: \"1001\"\n", "t.yaml:10: numbers[0].number: \"4155550100\" is not E.164"},
		{"a duplicate number is refused", base + "numbers:\n  - number: \"+14155550100\"\n    user: \"1001\"\n  - number: \"+1 415 555 0100\"\n    user: \"1001\"\n", "t.yaml:12: numbers[1].number: duplicate number +14155550100"},
		{"an unknown owner is refused", base + "numbers:\n  - number: \"+14155550100\"\n    user: \"1009\"\n", "t.yaml:11: numbers[0].user: unknown user \"1009\""},
		{"an unknown permission is refused", "roles:\n  - name: r\n    permissions: [calls.everything]\n", "t.yaml:3: roles[0].permissions[0]: unknown permission"},
		{"a wrongly typed field is refused", "sip:\n  ring_timeout: forever\n", "t.yaml:2: sip.ring_timeout: \"forever\" is not a duration"},
		{"a bad trunk source is refused", "trunks:\n  - name: c\n    address: 127.0.0.1:5080\n    allowed_sources: [nowhere]\n", "t.yaml:4: trunks[0].allowed_sources[0]: \"nowhere\" is not an address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "t.yaml")
			if err == nil {
				t.Fatal("want an error, got none")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(demoYAML)
	f.Add([]byte(base))
	f.Add([]byte("users: [{extension: 12}]\nnumbers: [{number: '+1'}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "f.yaml")
		if err == nil && cfg == nil {
			t.Fatal("no config and no error")
		}
		if err != nil && cfg != nil {
			t.Fatal("a config with an error: a bad config must never start half-configured")
		}
	})
}

func TestForwardingTargetsAreChecked(t *testing.T) {
	yaml := base + "    forwarding:\n      busy: \"1009\"\n      no_answer: \"+1555\"\n      always: voicemail\n"
	_, err := Parse([]byte(yaml), "f.yaml")
	if err == nil {
		t.Fatal("bad forwarding targets accepted")
	}
	for _, want := range []string{`f.yaml:10: users[0].forwarding.busy: unknown forwarding target "1009"`, "users[0].forwarding.no_answer:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q not in %q", want, err)
		}
	}
	if strings.Contains(err.Error(), "forwarding.always") {
		t.Errorf("voicemail is a valid target: %v", err)
	}
}

// The config checks the announcement is a file; the switch decodes it
// (sip.CheckPrompts, TestPromptsThatDoNotDecodeAreConfigErrors).
func TestRecordingAnnouncement(t *testing.T) {
	dir := t.TempDir()
	good := "notice.wav"
	if err := os.WriteFile(filepath.Join(dir, good), []byte("RIFF"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "dialtone.yaml")
	tests := []struct {
		name    string
		yaml    string
		enabled bool
		prompt  string
		err     string
	}{
		{name: "off by default", yaml: "media:\n  record_all: true\n"},
		{name: "false is off", yaml: "media:\n  recording_announcement: false\n"},
		{name: "true plays the built-in prompt", yaml: "media:\n  recording_announcement: true\n", enabled: true},
		{name: "a WAV relative to the config file is named for the switch", yaml: "media:\n  recording_announcement: " + good + "\n", enabled: true, prompt: filepath.Join(dir, good)},
		{name: "a missing file is refused", yaml: "media:\n  recording_announcement: nowhere.wav\n", err: "dialtone.yaml:2: media.recording_announcement: stat " + filepath.Join(dir, "nowhere.wav") + ": no such file"},
		{name: "a directory is refused", yaml: "media:\n  recording_announcement: .\n", err: "is not a regular file"},
		{name: "a mapping is refused", yaml: "media:\n  recording_announcement: {file: x.wav}\n", err: "dialtone.yaml:2: media.recording_announcement: want true, false or the path of a WAV file"},
		{name: "a number is refused", yaml: "media:\n  recording_announcement: 3\n", err: "dialtone.yaml:2: media.recording_announcement: want true, false or the path of a WAV file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(cfgPath, []byte(tt.yaml+essentials), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(cfgPath)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var prompts []string
			for _, p := range cfg.Prompts {
				prompts = append(prompts, p.Path)
			}
			if a := cfg.Media.RecordingAnnouncement; a.Enabled != tt.enabled || strings.Join(prompts, ",") != tt.prompt {
				t.Errorf("enabled %v with prompts %v, want %v with %q", a.Enabled, prompts, tt.enabled, tt.prompt)
			}
		})
	}
}

func TestVoicemailLimits(t *testing.T) {
	tests := []struct {
		name               string
		sip                string // lines under sip:
		maxLength, silence time.Duration
		err                string
	}{
		{name: "the defaults are 2 minutes and 5 seconds", maxLength: 2 * time.Minute, silence: 5 * time.Second},
		{name: "both can be set", sip: "  voicemail_max_length: 3s\n  voicemail_silence: 2500ms\n", maxLength: 3 * time.Second, silence: 2500 * time.Millisecond},
		{name: "the bounds themselves are allowed", sip: "  voicemail_max_length: 1h\n  voicemail_silence: 1s\n", maxLength: time.Hour, silence: time.Second},
		{name: "one left out keeps its default", sip: "  voicemail_silence: 10s\n", maxLength: 2 * time.Minute, silence: 10 * time.Second},
		{name: "a zero maximum length is refused", sip: "  voicemail_max_length: 0s\n", err: "v.yaml:2: sip.voicemail_max_length: must be positive (1s to 1h)"},
		{name: "a zero silence is refused", sip: "  domain: x\n  voicemail_silence: 0\n", err: "v.yaml:3: sip.voicemail_silence: must be positive (1s to 5m)"},
		{name: "a maximum length under a second is refused", sip: "  voicemail_max_length: 500ms\n", err: "v.yaml:2: sip.voicemail_max_length: 500ms is out of range (1s to 1h)"},
		{name: "a maximum length over an hour is refused", sip: "  voicemail_max_length: 90m\n", err: "v.yaml:2: sip.voicemail_max_length: 1h30m is out of range (1s to 1h)"},
		{name: "a silence over 5 minutes is refused", sip: "  voicemail_silence: 10m\n", err: "v.yaml:2: sip.voicemail_silence: 10m is out of range (1s to 5m)"},
		{name: "a negative duration is refused", sip: "  voicemail_silence: -5s\n", err: "v.yaml:2: sip.voicemail_silence: \"-5s\" is not a duration"},
		{name: "a number without a unit is refused", sip: "  voicemail_max_length: 120\n", err: "v.yaml:2: sip.voicemail_max_length: \"120\" is not a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parseSection(t, "sip", tt.sip, tt.err)
			if cfg == nil {
				return
			}
			if got := cfg.SIP.VoicemailMaxLength.Duration; got != tt.maxLength {
				t.Errorf("voicemail_max_length %s, want %s", got, tt.maxLength)
			}
			if got := cfg.SIP.VoicemailSilence.Duration; got != tt.silence {
				t.Errorf("voicemail_silence %s, want %s", got, tt.silence)
			}
		})
	}
}

func TestTCPLimits(t *testing.T) {
	tests := []struct {
		name                string
		sip                 string // lines under sip:
		read, idle          time.Duration
		perSource, maxConns int
		err                 string
	}{
		{name: "the defaults", read: 10 * time.Second, idle: 3 * time.Minute, perSource: 64, maxConns: 4096},
		{name: "all can be set", sip: "  tcp_read_timeout: 1s\n  tcp_idle_timeout: 30s\n  tcp_max_per_source: 5\n  tcp_max_conns: 100\n",
			read: time.Second, idle: 30 * time.Second, perSource: 5, maxConns: 100},
		{name: "a zero read timeout is refused", sip: "  tcp_read_timeout: 0s\n", err: "v.yaml:2: sip.tcp_read_timeout: must be positive (100ms to 24h)"},
		{name: "an idle timeout of a millisecond is refused", sip: "  tcp_idle_timeout: 1ms\n", err: "v.yaml:2: sip.tcp_idle_timeout: 1ms is out of range (100ms to 24h)"},
		{name: "a negative cap is refused", sip: "  tcp_max_conns: -1\n", err: "v.yaml:2: sip.tcp_max_conns: -1 must be positive"},
		{name: "a per-source cap above the total is refused", sip: "  tcp_max_per_source: 10\n  tcp_max_conns: 5\n", err: "v.yaml:2: sip.tcp_max_per_source: 10: want 1 to tcp_max_conns (5)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parseSection(t, "sip", tt.sip, tt.err)
			if cfg == nil {
				return
			}
			s := cfg.SIP
			if s.TCPReadTimeout.Duration != tt.read || s.TCPIdleTimeout.Duration != tt.idle || s.TCPMaxPerSource != tt.perSource || s.TCPMaxConns != tt.maxConns {
				t.Errorf("got read %s idle %s per source %d total %d, want %s %s %d %d", s.TCPReadTimeout, s.TCPIdleTimeout, s.TCPMaxPerSource, s.TCPMaxConns,
					tt.read, tt.idle, tt.perSource, tt.maxConns)
			}
		})
	}
}

func TestContactAndForkLimits(t *testing.T) {
	tests := []struct {
		name              string
		sip               string // lines under sip:
		maxContacts, fork int
		err               string
	}{
		{name: "the defaults are 10 and 10", maxContacts: 10, fork: 10},
		{name: "both can be set", sip: "  max_contacts: 3\n  max_forks: 5\n", maxContacts: 3, fork: 5},
		{name: "a zero means the default", sip: "  max_contacts: 0\n", maxContacts: 10, fork: 10},
		{name: "the bounds themselves are allowed", sip: "  max_contacts: 1\n  max_forks: 100\n", maxContacts: 1, fork: 100},
		{name: "a negative limit is refused", sip: "  max_contacts: -1\n", err: "v.yaml:2: sip.max_contacts: -1 is out of range (1 to 100)"},
		{name: "a limit over 100 is refused", sip: "  max_forks: 1000\n", err: "v.yaml:2: sip.max_forks: 1000 is out of range (1 to 100)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parseSection(t, "sip", tt.sip, tt.err)
			if cfg == nil {
				return
			}
			if cfg.SIP.MaxContacts != tt.maxContacts || cfg.SIP.MaxForks != tt.fork {
				t.Errorf("max_contacts %d, max_forks %d; want %d, %d", cfg.SIP.MaxContacts, cfg.SIP.MaxForks, tt.maxContacts, tt.fork)
			}
		})
	}
}

func TestT1AndMaxSetupCalls(t *testing.T) {
	tests := []struct {
		name     string
		sip      string // lines under sip:
		t1       time.Duration
		maxSetup int
		err      string
	}{
		{name: "the defaults", t1: 500 * time.Millisecond, maxSetup: DefaultMaxSetupCalls},
		{name: "both can be set", sip: "  t1: 100ms\n  max_setup_calls: 300\n", t1: 100 * time.Millisecond, maxSetup: 300},
		{name: "a T1 under 50ms is refused", sip: "  t1: 10ms\n", err: "v.yaml:2: sip.t1: 10ms is out of range (50ms to 5s)"},
		{name: "a zero T1 is refused", sip: "  t1: 0s\n", err: "v.yaml:2: sip.t1: must be positive"},
		{name: "a negative max_setup_calls is refused", sip: "  max_setup_calls: -1\n", err: "sip.max_setup_calls: must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parseSection(t, "sip", tt.sip, tt.err)
			if cfg == nil {
				return
			}
			if cfg.SIP.T1.Duration != tt.t1 || cfg.SIP.MaxSetupCalls != tt.maxSetup {
				t.Errorf("t1 %s, max_setup_calls %d; want %s, %d", cfg.SIP.T1.Duration, cfg.SIP.MaxSetupCalls, tt.t1, tt.maxSetup)
			}
		})
	}
}
