package config

import (
	"strings"
	"testing"
)

// twilioSection follows goodFile's last line (24): twilio: is line 25.
const twilioSection = `twilio:
  account_sid: AC0123456789abcdef
  auth_token: abcdef0123456789
  webhook_base_url: https://switch.example.com
  rate_per_number: 1
`

func TestTwilioSection(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     string // "" when valid
	}{
		{name: "a complete section"},
		{name: "a fake's API URL", old: "  rate_per_number: 1\n", new: "  rate_per_number: 1\n  api_base_url: http://127.0.0.1:8089\n"},
		{name: "not an account SID", old: "AC0123456789abcdef", new: "XY0123456789",
			want: `t.yaml:26: twilio.account_sid: "XY0123456789" is not a Twilio account SID (AC...)`},
		{name: "no auth token", old: "  auth_token: abcdef0123456789\n", new: "",
			want: `t.yaml:25: twilio.auth_token: missing: webhooks cannot be verified without it`},
		{name: "an auth token with punctuation", old: "abcdef0123456789", new: "abc-def!",
			want: `t.yaml:27: twilio.auth_token: has characters other than letters and digits: not a Twilio auth token`},
		{name: "no webhook URL", old: "  webhook_base_url: https://switch.example.com\n", new: "",
			want: `t.yaml:25: twilio.webhook_base_url: missing: the public URL Twilio calls the switch at`},
		{name: "a webhook URL without a scheme", old: "https://switch.example.com", new: "switch.example.com",
			want: `t.yaml:28: twilio.webhook_base_url: "switch.example.com" is not an http(s) URL`},
		{name: "a bad API URL", old: "  rate_per_number: 1\n", new: "  rate_per_number: 1\n  api_base_url: ftp://x\n",
			want: `t.yaml:30: twilio.api_base_url: "ftp://x" is not an http(s) URL`},
		{name: "a negative rate", old: "rate_per_number: 1", new: "rate_per_number: -2",
			want: `t.yaml:29: twilio.rate_per_number: -2 texts per second: want more than 0 and at most 100`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := goodFile + twilioSection
			if tt.old != "" {
				if !strings.Contains(file, tt.old) {
					t.Fatalf("%q is not in the file", tt.old)
				}
				file = strings.Replace(file, tt.old, tt.new, 1)
			}
			cfg, err := Parse([]byte(file), "t.yaml")
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.Twilio.RatePerNumber != 1 || !cfg.Twilio.Enabled() {
					t.Errorf("twilio %+v", cfg.Twilio)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error\n%v\nwant\n%s", err, tt.want)
			}
		})
	}
}

func TestTwilioDefaultsAndSMSNumbers(t *testing.T) {
	cfg, err := Parse([]byte(goodFile+"numbers:\n  - number: \"+14155550100\"\n    user: \"1001\"\n    sms: true\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Twilio.RatePerNumber != DefaultTwilioRate || cfg.Twilio.Enabled() || !cfg.Numbers[0].SMS {
		t.Errorf("twilio %+v, number %+v", cfg.Twilio, cfg.Numbers[0])
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "numbers[0].sms: sms: true but no twilio account") {
		t.Errorf("warnings %q", cfg.Warnings)
	}
}
