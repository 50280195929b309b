package config

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shopspring/decimal"
)

// Config is the whole admin configuration of one organization's switch.
type Config struct {
	Organization Organization `yaml:"organization"`
	SIP          SIP          `yaml:"sip"`
	HTTP         HTTP         `yaml:"http"`
	DataDir      string       `yaml:"data_dir"`
	Roles        []Role       `yaml:"roles"`
	Users        []User       `yaml:"users"`
	Groups       []Group      `yaml:"groups"`
	Numbers      []Number     `yaml:"numbers"`
	Trunks       []Trunk      `yaml:"trunks"`
	Billing      Billing      `yaml:"billing"`
	Media        Media        `yaml:"media"`
	Webhooks     Webhooks     `yaml:"webhooks"`
	Twilio       Twilio       `yaml:"twilio"`
	// AllowReleasingAllNumbers lets a SIGHUP apply a file without numbers
	// where the running config has some. Without it such a reload is
	// refused: a truncated file would otherwise stop renewing (release)
	// every number the organization rents.
	AllowReleasingAllNumbers bool `yaml:"allow_releasing_all_numbers"`
	// MemoryLimit is the soft limit on the process's memory (default 75%
	// of the machine's; GOMEMLIMIT in the environment replaces the
	// default, not a limit the file sets). Follows SIGHUP.
	MemoryLimit MemoryLimit `yaml:"memory_limit"`

	// Warnings are problems that do not stop the switch (weak passwords
	// allowed with weak_password), as FILE:LINE: field: problem; serve
	// logs them, check-config prints them.
	Warnings []string `yaml:"-"`

	// Path is the file the config was loaded from; relative paths inside it
	// (rate deck, data dir) resolve against its directory.
	Path string `yaml:"-"`
	// Prompts are the WAV files the config names for the switch to play.
	// The config checks they are files; whoever plays them decodes them
	// (media), and refuses the config when one does not decode.
	Prompts []Prompt `yaml:"-"`
}

// Organization is the account whose prepaid balance pays for usage.
type Organization struct {
	ID              string          `yaml:"id"`
	Name            string          `yaml:"name"`
	Currency        string          `yaml:"currency"`
	StartingBalance decimal.Decimal `yaml:"starting_balance"`
	LowBalance      decimal.Decimal `yaml:"low_balance"`
}

// SIP configures the listeners and call handling.
type SIP struct {
	Domain      string   `yaml:"domain"`
	UDP         string   `yaml:"udp"`
	TCP         string   `yaml:"tcp"`
	RingTimeout Duration `yaml:"ring_timeout"`
	// MaxCallDuration caps any call even when credit would pay for more.
	MaxCallDuration Duration `yaml:"max_call_duration"`
	NonceTTL        Duration `yaml:"nonce_ttl"`
	// RegisterMaxExpires bounds the Expires a phone may ask for.
	RegisterMaxExpires Duration `yaml:"register_max_expires"`
	// MaxContacts is how many contacts one user may have registered at
	// once (default 10); a REGISTER beyond it replaces the contact whose
	// last REGISTER is the oldest.
	MaxContacts int `yaml:"max_contacts"`
	// MaxForks is how many contacts one call rings at most (default 10),
	// whether it calls a user or a group: one INVITE must not fan out
	// into thousands of datagrams.
	MaxForks int `yaml:"max_forks"`
	// AuthFailLimit failures from one source address within AuthBlock
	// block that address for AuthBlock (brute-force protection).
	AuthFailLimit int      `yaml:"auth_fail_limit"`
	AuthBlock     Duration `yaml:"auth_block"`
	UserAgent     string   `yaml:"user_agent"`
	// ForwardCallerID is what a call forwarded to an outside number
	// presents (and is rated from): "called-number" (the organization
	// number that was called, the default) or "original-caller".
	ForwardCallerID string `yaml:"forward_caller_id"`
	// TransferRecall rings the transferor again when a blind transfer's
	// target does not answer (default true).
	TransferRecall *bool `yaml:"transfer_recall"`
	// VoicemailDefault sends calls a user does not take (no answer, busy,
	// not registered) to voicemail when no forwarding rule says otherwise
	// (default true).
	VoicemailDefault *bool `yaml:"voicemail_default"`
	// VoicemailExtension is what a user dials to hear their messages
	// (default *97).
	VoicemailExtension string `yaml:"voicemail_extension"`
	// VoicemailMaxLength cuts a voicemail message that runs this long: the
	// message is kept and the switch hangs up (default 2m).
	VoicemailMaxLength Duration `yaml:"voicemail_max_length"`
	// VoicemailSilence ends a voicemail message when the caller has said
	// nothing for this long (default 5s).
	VoicemailSilence Duration `yaml:"voicemail_silence"`
	// TCPReadTimeout closes an inbound TCP connection whose message has
	// begun but not ended this long after its first byte (default 10s): a
	// half-sent message must not hold a file descriptor forever.
	TCPReadTimeout Duration `yaml:"tcp_read_timeout"`
	// TCPIdleTimeout closes an inbound TCP connection that has carried
	// nothing for this long and has no registration or dialog on it
	// (default 3m).
	TCPIdleTimeout Duration `yaml:"tcp_idle_timeout"`
	// TCPMaxPerSource caps the inbound TCP connections open from one IP
	// address (default 64); TCPMaxConns caps them all (default 4096,
	// kept below the process's open-files limit).
	TCPMaxPerSource int `yaml:"tcp_max_per_source"`
	TCPMaxConns     int `yaml:"tcp_max_conns"`
	// T1 is RFC 3261's round-trip estimate (default 500ms): the
	// retransmission timers follow it, and a 2xx the caller does not
	// acknowledge within 64×T1 ends the call (restart to change).
	T1 Duration `yaml:"t1"`
	// MaxSetupCalls bounds the INVITEs being set up at once (routing,
	// authentication, credit, ringing); more are refused at once with 503
	// and Retry-After so the calls admitted complete (default 50;
	// restart to change).
	MaxSetupCalls int `yaml:"max_setup_calls"`
}

// Media configures RTP anchoring: the switch relays every call's audio
// through its own ports, so it can record, cut off and play prompts, and
// phones behind NAT hear each other.
type Media struct {
	// Anchor turns anchoring on (default true); off, RTP flows directly
	// between the endpoints.
	Anchor *bool `yaml:"anchor"`
	// IP is the address put in SDP and bound for RTP (default: the SIP
	// listen address).
	IP      string   `yaml:"ip"`
	PortMin int      `yaml:"port_min"`
	PortMax int      `yaml:"port_max"`
	Timeout Duration `yaml:"timeout"` // no RTP for this long hangs up (default 60s)
	// RecordAll records every answered call of the organization.
	RecordAll bool `yaml:"record_all"`
	// RecordingAnnouncement is played to both parties when a call starts
	// being recorded (off by default).
	RecordingAnnouncement Announcement `yaml:"recording_announcement"`
}

// Announcement is media.recording_announcement: false (the default: no
// announcement), true (the built-in prompt) or the path of an 8 kHz mono
// 16-bit WAV, relative to the config file. One scalar rather than a
// mapping, like billing.rate_deck: "sample" or a file.
type Announcement struct {
	Enabled bool
	File    string // empty: the built-in prompt
}

// UnmarshalYAML takes true, false or a path.
func (a *Announcement) UnmarshalYAML(n *yaml.Node) error {
	bad := fmt.Errorf("line %d: want true, false or the path of a WAV file", n.Line)
	if n.Kind != yaml.ScalarNode {
		return bad
	}
	switch n.ShortTag() {
	case "!!null":
		*a = Announcement{}
	case "!!bool":
		var on bool
		if err := n.Decode(&on); err != nil {
			return bad
		}
		*a = Announcement{Enabled: on}
	case "!!str":
		if n.Value == "" {
			return bad
		}
		*a = Announcement{Enabled: true, File: n.Value}
	default:
		return bad
	}
	return nil
}

// HTTP configures the REST API, metrics and health endpoints.
type HTTP struct {
	Listen string   `yaml:"listen"`
	Tokens []string `yaml:"tokens"`
	// MetricsListen serves /metrics without a token on an address of its
	// own (for a Prometheus on a private network); empty, /metrics is on
	// Listen and needs a bearer token like the API.
	MetricsListen string `yaml:"metrics_listen"`
}

// Role grants a set of permissions to the users that hold it.
type Role struct {
	Name        string   `yaml:"name"`
	Permissions []string `yaml:"permissions"`
}

// User is a person with a SIP extension.
type User struct {
	Extension   string `yaml:"extension"`
	Name        string `yaml:"name"`
	DisplayName string `yaml:"display_name"`
	Password    string `yaml:"password"`
	// WeakPassword accepts a password shorter than MinPasswordLength (a
	// desk phone that cannot hold a longer one); the switch logs a warning.
	WeakPassword bool   `yaml:"weak_password"`
	Role         string `yaml:"role"`
	// CallerIDs are the E.164 numbers this user may present; the first is
	// the default.
	CallerIDs []string `yaml:"caller_ids"`
	// MaxCalls limits this user's concurrent calls (0: the default of 4).
	MaxCalls int `yaml:"max_calls"`
	// Record records every call of this user.
	Record bool `yaml:"record"`
	// APIToken lets this user call the HTTP API with the user's own
	// permissions (organization tokens in http.tokens may do everything).
	APIToken string `yaml:"api_token"`
	// VoicemailGreeting is an 8 kHz mono WAV played to callers (default:
	// a generated prompt).
	VoicemailGreeting string     `yaml:"voicemail_greeting"`
	Forwarding        Forwarding `yaml:"forwarding"`
}

// Forwarding says where calls to a user or number go instead. A target is
// a user (extension or name), "group:NAME", "voicemail", or an E.164 number
// outside the organization.
type Forwarding struct {
	Always        string   `yaml:"always" json:"always,omitempty"`
	Busy          string   `yaml:"busy" json:"busy,omitempty"`
	NoAnswer      string   `yaml:"no_answer" json:"no_answer,omitempty"`
	NoAnswerAfter Duration `yaml:"no_answer_after" json:"no_answer_after,omitempty"`
	Unregistered  string   `yaml:"unregistered" json:"unregistered,omitempty"`
}

// IsZero reports whether no rule is set.
func (f Forwarding) IsZero() bool {
	return f.Always == "" && f.Busy == "" && f.NoAnswer == "" && f.Unregistered == ""
}

// Group rings several users at once.
type Group struct {
	Name    string   `yaml:"name"`
	Members []string `yaml:"members"`
}

// Number is a phone number (DID) the organization rents.
type Number struct {
	Number  string `yaml:"number" json:"number"`
	Country string `yaml:"country" json:"country"`
	Type    string `yaml:"type" json:"type"`
	User    string `yaml:"user" json:"user,omitempty"`
	Group   string `yaml:"group" json:"group,omitempty"`
	// Rented is the rental day (YYYY-MM-DD); empty means the day the switch
	// first saw the number.
	Rented     string     `yaml:"rented" json:"rented,omitempty"`
	Record     bool       `yaml:"record" json:"record,omitempty"` // record every call to or from this number
	Forwarding Forwarding `yaml:"forwarding" json:"forwarding,omitzero"`
	// SMS marks a number the carrier can send and receive texts on.
	SMS bool `yaml:"sms" json:"sms,omitempty"`
}

// Trunk is a carrier SIP trunk to and from the public network.
type Trunk struct {
	Name      string `yaml:"name"`
	Address   string `yaml:"address"`
	Transport string `yaml:"transport"`
	Username  string `yaml:"username"`
	Password  string `yaml:"password"`
	// AllowedSources are the IP addresses (or CIDR prefixes) inbound calls
	// from this trunk may come from.
	AllowedSources []string `yaml:"allowed_sources"`
}

// Billing configures the meter: the rate deck and rental rules.
type Billing struct {
	// RateDeck is a CSV file (relative to the config file) or "sample" for
	// the embedded sample deck.
	RateDeck string `yaml:"rate_deck"`
	// Rates are inline deck rows, added after (and overriding) the file's.
	Rates []Rate `yaml:"rates"`
	// RentalGrace is how long a removed number can be restored.
	RentalGrace Duration `yaml:"rental_grace"`
	// MaxTopUp is the largest top-up the API and the CLI accept (default
	// 10000): a typo of a few zeros is refused rather than credited.
	MaxTopUp decimal.Decimal `yaml:"max_topup"`
	// ReservationSlice is how much call time the meter reserves at once
	// (rounded up to the rate's increments) and adds while a call goes
	// on, so concurrent calls share the balance by what they spend.
	ReservationSlice Duration `yaml:"reservation_slice"`
}

// Rate is one row of a rate deck.
type Rate struct {
	Kind       string          `yaml:"kind"`
	Origin     string          `yaml:"origin"`
	Prefix     string          `yaml:"prefix"`
	NumberType string          `yaml:"number_type"`
	Price      decimal.Decimal `yaml:"price"`
	Currency   string          `yaml:"currency"`
	ConnectFee decimal.Decimal `yaml:"connect_fee"`
	Initial    int             `yaml:"initial"`
	Increment  int             `yaml:"increment"`
	Decimals   *int            `yaml:"decimals"`
}

// Duration is a time.Duration written as "30s", "5m" in YAML.
type Duration struct{ time.Duration }

// UnmarshalYAML parses a Go duration string; the error carries the line so
// the loader can point at it.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration (like 30s or 5m)", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as Go formats it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// UnmarshalText parses a Go duration string (JSON and flags).
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a duration (like 30s or 5m)", b)
	}
	d.Duration = v
	return nil
}
