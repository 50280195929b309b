package config

import (
	"strings"
	"testing"
)

// goodFile is a valid config; each case below breaks one line of it.
const goodFile = `organization:
  id: acme
  currency: USD
sip:
  domain: pbx.example.com
  udp: 127.0.0.1:5060
http:
  listen: 127.0.0.1:8080
  tokens: [org-token-1]
roles:
  - name: agent
    permissions: [calls.outbound]
users:
  - extension: "1001"
    password: alice-secret
    role: agent
  - extension: "1002"
    password: bob-secret-2
    role: agent
trunks:
  - name: carrier
    address: 127.0.0.1:5080
billing:
  max_topup: "500"
`

func TestGoodFileIsValid(t *testing.T) {
	cfg, err := Parse([]byte(goodFile), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Billing.MaxTopUp.String() != "500" || len(cfg.Warnings) != 0 {
		t.Fatalf("max_topup %s, warnings %q", cfg.Billing.MaxTopUp, cfg.Warnings)
	}
}

func TestEachBadFileGetsItsExactError(t *testing.T) {
	const (
		noID     = `t.yaml:1: organization.id: missing: the ledger, the CDRs and the metrics are kept under it (configs that left it out ran as "default"; write that to keep their data)`
		noUsers  = "t.yaml:1: users: at least one user is needed: without users no phone can register or call (is the file empty or cut short?)"
		noTrunks = "t.yaml:1: trunks: at least one trunk is needed: without one no call reaches or leaves the public network (is the file empty or cut short?)"
	)
	tests := []struct {
		name     string
		old, new string // replace old by new in goodFile
		file     string // or the whole file
		want     string
	}{
		{name: "an empty file", file: " ", want: noID + "\n" + noUsers + "\n" + noTrunks},
		{name: "a file cut short after the roles", file: goodFile[:strings.Index(goodFile, "users:")], want: noUsers + "\n" + noTrunks},
		{name: "no organization id", old: "  id: acme\n", new: "", want: noID},
		{name: "a trunk port with a letter O", old: "127.0.0.1:5080", new: "127.0.0.1:5O80",
			want: `t.yaml:22: trunks[0].address: "127.0.0.1:5O80": port "5O80" is not a number from 1 to 65535`},
		{name: "a trunk port out of range", old: "127.0.0.1:5080", new: "127.0.0.1:65536",
			want: `t.yaml:22: trunks[0].address: "127.0.0.1:65536": port "65536" is not a number from 1 to 65535`},
		{name: "a trunk port 0", old: "127.0.0.1:5080", new: "carrier.example.net:0",
			want: `t.yaml:22: trunks[0].address: "carrier.example.net:0": port "0" is not a number from 1 to 65535`},
		{name: "a trunk without a host", old: "127.0.0.1:5080", new: `":5080"`,
			want: `t.yaml:22: trunks[0].address: ":5080": the host is missing`},
		{name: "a trunk IP out of range", old: "127.0.0.1:5080", new: "127.0.0.300:5080",
			want: `t.yaml:22: trunks[0].address: "127.0.0.300:5080": "127.0.0.300" is not an IP address`},
		{name: "a trunk host name with an underscore", old: "127.0.0.1:5080", new: "sip_carrier.net:5080",
			want: `t.yaml:22: trunks[0].address: "sip_carrier.net:5080": "sip_carrier.net" is neither an IP address nor a host name`},
		{name: "a trunk without a port", old: "127.0.0.1:5080", new: "carrier.example.net",
			want: `t.yaml:22: trunks[0].address: "carrier.example.net" is not host:port`},
		{name: "an unknown transport", old: "127.0.0.1:5080\n", new: "127.0.0.1:5080\n    transport: tls\n",
			want: `t.yaml:23: trunks[0].transport: unknown transport "tls" (udp or tcp)`},
		{name: "a trunk user without a password", old: "127.0.0.1:5080\n", new: "127.0.0.1:5080\n    username: acct\n",
			want: `t.yaml:21: trunks[0].password: username and password go together: the carrier's challenge needs both`},
		{name: "a SIP listen port out of range", old: "udp: 127.0.0.1:5060", new: "udp: 127.0.0.1:99999",
			want: `t.yaml:6: sip.udp: "127.0.0.1:99999": port "99999" is not a number from 0 to 65535`},
		{name: "an HTTP listen address without a port", old: "listen: 127.0.0.1:8080", new: "listen: localhost",
			want: `t.yaml:8: http.listen: "localhost" is not host:port`},
		{name: "metrics on the API's address", old: "  tokens:", new: "  metrics_listen: 127.0.0.1:8080\n  tokens:",
			want: `t.yaml:9: http.metrics_listen: is http.listen: leave it out to serve /metrics there, behind the bearer token`},
		{name: "a bad metrics address", old: "  tokens:", new: "  metrics_listen: 127.0.0.1:90x\n  tokens:",
			want: `t.yaml:9: http.metrics_listen: "127.0.0.1:90x": port "90x" is not a number from 0 to 65535`},
		{name: "a domain with a space", old: "pbx.example.com", new: "pbx example.com",
			want: `t.yaml:5: sip.domain: "pbx example.com" is neither an IP address nor a host name`},
		{name: "a media IP that is not one", old: "billing:", new: "media:\n  ip: 10.0.0\nbilling:",
			want: `t.yaml:24: media.ip: "10.0.0" is not an IP address`},
		{name: "a one-character SIP password", old: "alice-secret", new: "x",
			want: `t.yaml:15: users[0].password: shorter than 8 characters (set weak_password: true on this user to accept it anyway)`},
		{name: "a typo in a user's field", old: "    role: agent\n  - extension: \"1002\"", new: "    rol: agent\n  - extension: \"1002\"",
			want: `t.yaml:16: users[0].rol: unknown field (in User): did you mean "role"?`},
		{name: "a typo in the second user", old: "bob-secret-2\n    role: agent", new: "bob-secret-2\n    rol: agent",
			want: `t.yaml:19: users[1].rol: unknown field (in User): did you mean "role"?`},
		{name: "a typo in a section", old: "  tokens:", new: "  tokns:",
			want: `t.yaml:9: http.tokns: unknown field (in HTTP): did you mean "tokens"?`},
		{name: "an unknown field nothing is close to", old: "billing:", new: "frobnicate: 1\nbilling:",
			want: `t.yaml:23: frobnicate: unknown field (in Config)`},
		{name: "a currency that is not ISO 4217", old: "currency: USD", new: "currency: DOLLARS",
			want: `t.yaml:3: organization.currency: "DOLLARS" is not an ISO 4217 currency code`},
		{name: "a starting balance in tenths of a cent", old: "currency: USD", new: "currency: USD\n  starting_balance: \"1.005\"",
			want: `t.yaml:4: organization.starting_balance: 1.005 has 3 decimals; USD has 2`},
		{name: "a max top-up in tenths of a cent", old: `max_topup: "500"`, new: `max_topup: "0.001"`,
			want: `t.yaml:24: billing.max_topup: amount 0.001 has 3 decimals; USD has 2`},
		{name: "a negative max top-up", old: `max_topup: "500"`, new: `max_topup: "-1"`,
			want: `t.yaml:24: billing.max_topup: amount -1 is not positive`},
		{name: "a voicemail extension that cannot be dialled", old: "  udp: 127.0.0.1:5060\n", new: "  udp: 127.0.0.1:5060\n  voicemail_extension: vm\n",
			want: `t.yaml:7: sip.voicemail_extension: "vm" is not dialable (1 to 8 of 0-9, * and #)`},
		{name: "a voicemail extension that is a user's", old: "  udp: 127.0.0.1:5060\n", new: "  udp: 127.0.0.1:5060\n  voicemail_extension: \"1002\"\n",
			want: `t.yaml:7: sip.voicemail_extension: "1002" is a user's extension`},
		{name: "a rate in an unknown currency", old: `max_topup: "500"`, new: "rates:\n    - {kind: client, price: \"0.01\", currency: XXY}",
			want: `t.yaml:25: billing.rates[0].currency: "XXY" is not an ISO 4217 currency code`},
		{name: "a webhook URL that is not one", old: "billing:", new: "webhooks:\n  url: crm.example.com/hook\n  secret: 0123456789abcdef\nbilling:",
			want: `t.yaml:24: webhooks.url: "crm.example.com/hook" is not an http(s) URL`},
		{name: "a short webhook secret", old: "billing:", new: "webhooks:\n  url: https://crm.example.com/hook\n  secret: abc\nbilling:",
			want: `t.yaml:25: webhooks.secret: missing or shorter than 16 characters: the CRM checks each event's signature with it`},
		{name: "a webhook secret without a URL", old: "billing:", new: "webhooks:\n  secret: 0123456789abcdef\nbilling:",
			want: `t.yaml:24: webhooks.secret: set without url: where should events go?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file
			if file == "" {
				if !strings.Contains(goodFile, tt.old) {
					t.Fatalf("%q is not in the good file", tt.old)
				}
				file = strings.Replace(goodFile, tt.old, tt.new, 1)
			}
			cfg, err := Parse([]byte(file), "t.yaml")
			if err == nil {
				t.Fatalf("accepted:\n%s", file)
			}
			if cfg != nil {
				t.Fatal("a config with an error")
			}
			if err.Error() != tt.want {
				t.Fatalf("error\n%s\nwant\n%s", err, tt.want)
			}
		})
	}
}

func TestWarningsDoNotStopTheSwitch(t *testing.T) {
	tests := []struct{ name, old, new, want string }{
		{"a weak password allowed by weak_password", "alice-secret", "1234\n    weak_password: true",
			"t.yaml:15: users[0].password: shorter than 8 characters, accepted because of weak_password: true"},
		{"a voicemail greeting that does not load", "alice-secret", "alice-secret\n    voicemail_greeting: nowhere.wav",
			"t.yaml:16: users[0].voicemail_greeting: stat nowhere.wav: no such file or directory: callers will hear the generated prompt"},
		{"a webhook over plain http", "billing:", "webhooks:\n  url: http://crm.example.com/hook\n  secret: 0123456789abcdef\nbilling:",
			"t.yaml:24: webhooks.url: http: events travel unencrypted (the signature only proves who sent them); use https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(strings.Replace(goodFile, tt.old, tt.new, 1)), "t.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Warnings) != 1 || cfg.Warnings[0] != tt.want {
				t.Fatalf("warnings %q, want %q", cfg.Warnings, tt.want)
			}
		})
	}
}

func TestMaxTopUpDefaultsTo10000(t *testing.T) {
	cfg, err := Parse([]byte(strings.Replace(goodFile, "billing:\n  max_topup: \"500\"\n", "", 1)), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Billing.MaxTopUp.String() != "10000" {
		t.Fatalf("max_topup %s", cfg.Billing.MaxTopUp)
	}
}

func TestReloadThatReleasesEveryNumberIsRefused(t *testing.T) {
	withNumber := strings.Replace(goodFile, "trunks:", "numbers:\n  - number: \"+14155550100\"\n    user: \"1001\"\ntrunks:", 1)
	parse := func(s string) *Config {
		t.Helper()
		cfg, err := Parse([]byte(s), "t.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	running := parse(withNumber)
	tests := []struct {
		name string
		next string
		want string
	}{
		{"the same numbers", withNumber, ""},
		{"numbers gone", goodFile, "t.yaml: numbers: the file has no numbers; reloading it would release all 1 the organization rents (set allow_releasing_all_numbers: true to mean it)"},
		{"numbers gone on purpose", goodFile + "allow_releasing_all_numbers: true\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckReload(running, parse(tt.next))
			if got := errString(err); got != tt.want {
				t.Fatalf("error %q, want %q", got, tt.want)
			}
		})
	}
	if err := CheckReload(parse(goodFile), parse(goodFile)); err != nil {
		t.Errorf("no numbers before or after: %v", err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestNearestField(t *testing.T) {
	tests := []struct{ typ, name, want string }{
		{"User", "rol", "role"},
		{"User", "pasword", "password"},
		{"User", "extention", "extension"},
		{"Trunk", "adress", "address"},
		{"Config", "user", "users"},
		{"User", "shoe_size", ""},
		{"Nope", "x", ""},
	}
	for _, tt := range tests {
		if got := nearestField(tt.typ, tt.name); got != tt.want {
			t.Errorf("nearestField(%s, %s) = %q, want %q", tt.typ, tt.name, got, tt.want)
		}
	}
}
