package config

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/dialtone/dialtone/money"
	"github.com/dialtone/dialtone/phone"
	"github.com/shopspring/decimal"
	"go.yaml.in/yaml/v3"
)

// FieldError is one problem in a config file, located by line and field.
type FieldError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e FieldError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Msg)
}

// Errors is every problem found in one config file.
type Errors []FieldError

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Load reads, parses and validates the config file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return Parse(data, path)
}

// Parse parses and validates config data; name is used in error messages
// and to resolve relative paths.
func Parse(data []byte, name string) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(name, nil, err)
	}
	cfg := &Config{}
	if len(bytes.TrimSpace(data)) > 0 {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(cfg); err != nil {
			return nil, yamlError(name, &root, err)
		}
	}
	cfg.Path = name
	cfg.applyDefaults()
	v := validator{file: name, root: &root}
	v.validate(cfg)
	if len(v.errs) > 0 {
		return nil, v.errs
	}
	cfg.Warnings = v.warnings
	return cfg, nil
}

// Defaults for a config that leaves them out.
const (
	DefaultRingTimeout   = 30 * time.Second
	DefaultMaxCall       = 4 * time.Hour
	DefaultNonceTTL      = 5 * time.Minute
	DefaultMaxExpires    = time.Hour
	DefaultAuthFailLimit = 10
	DefaultAuthBlock     = 5 * time.Minute
	DefaultMaxCalls      = 4
	DefaultMaxContacts   = 10
	DefaultMaxForks      = 10
	DefaultRentalGrace   = 30 * 24 * time.Hour
	// MinPasswordLength is the shortest SIP password accepted without
	// weak_password: shorter ones fall to a guessing script within the
	// auth_fail_limit of a few addresses.
	MinPasswordLength = 8

	DefaultReservationSlice = 5 * time.Minute

	DefaultVoicemailMaxLength = 2 * time.Minute
	DefaultVoicemailSilence   = 5 * time.Second

	DefaultTCPReadTimeout  = 10 * time.Second
	DefaultTCPIdleTimeout  = 3 * time.Minute
	DefaultTCPMaxPerSource = 64
	DefaultTCPMaxConns     = 4096
	DefaultT1              = 500 * time.Millisecond
	DefaultMaxSetupCalls   = 50
)

// Bounds of sip.t1: RFC 3261 lets T1 be smaller on a fast network (the
// tests use it to wait 64×T1 for a missing ACK in seconds) or larger.
const (
	MinT1 = 50 * time.Millisecond
	MaxT1 = 5 * time.Second
)

// DefaultMaxTopUp is billing.max_topup when the file leaves it out.
var DefaultMaxTopUp = decimal.NewFromInt(10000)

// Bounds of the voicemail limits. Under a second, a message is cut before
// the caller has said a word (and the switch drops messages under half a
// second); beyond an hour of message, or minutes of silence, it is a line
// left open rather than a message, holding the caller's credit and a
// media port meanwhile.
const (
	MinVoicemailMaxLength = time.Second
	MaxVoicemailMaxLength = time.Hour
	MinVoicemailSilence   = time.Second
	MaxVoicemailSilence   = 5 * time.Minute

	// Bounds of the TCP timeouts: they keep a slip of the unit from
	// cutting every connection (1ms) or from switching the limit off.
	MinTCPTimeout = 100 * time.Millisecond
	MaxTCPTimeout = 24 * time.Hour
)

// Bounds of billing.reservation_slice: under a second a call renews all
// the time; beyond an hour one call locks credit the others could use.
const (
	MinReservationSlice = time.Second
	MaxReservationSlice = time.Hour
)

// MaxContactsLimit bounds sip.max_contacts and sip.max_forks: beyond it
// one INVITE fans out into hundreds of datagrams again, what the limits
// are there to stop.
const MaxContactsLimit = 100

func (c *Config) applyDefaults() {
	if c.Organization.Currency == "" {
		c.Organization.Currency = "USD"
	}
	if c.SIP.Domain == "" {
		c.SIP.Domain = "dialtone.local"
	}
	if c.SIP.UDP == "" && c.SIP.TCP == "" {
		c.SIP.UDP = "127.0.0.1:5060"
	}
	setDur(&c.SIP.RingTimeout, DefaultRingTimeout)
	setDur(&c.SIP.MaxCallDuration, DefaultMaxCall)
	setDur(&c.SIP.NonceTTL, DefaultNonceTTL)
	setDur(&c.SIP.RegisterMaxExpires, DefaultMaxExpires)
	setDur(&c.SIP.AuthBlock, DefaultAuthBlock)
	setDur(&c.Billing.RentalGrace, DefaultRentalGrace)
	if c.Billing.MaxTopUp.IsZero() {
		c.Billing.MaxTopUp = DefaultMaxTopUp
	}
	setDur(&c.Billing.ReservationSlice, DefaultReservationSlice)
	setDur(&c.SIP.VoicemailMaxLength, DefaultVoicemailMaxLength)
	setDur(&c.SIP.VoicemailSilence, DefaultVoicemailSilence)
	setDur(&c.SIP.TCPReadTimeout, DefaultTCPReadTimeout)
	setDur(&c.SIP.TCPIdleTimeout, DefaultTCPIdleTimeout)
	if c.SIP.TCPMaxPerSource == 0 {
		c.SIP.TCPMaxPerSource = DefaultTCPMaxPerSource
	}
	if c.SIP.TCPMaxConns == 0 {
		c.SIP.TCPMaxConns = DefaultTCPMaxConns
	}
	setDur(&c.SIP.T1, DefaultT1)
	if c.SIP.MaxSetupCalls == 0 {
		c.SIP.MaxSetupCalls = DefaultMaxSetupCalls
	}
	if c.SIP.AuthFailLimit == 0 {
		c.SIP.AuthFailLimit = DefaultAuthFailLimit
	}
	if c.SIP.MaxContacts == 0 {
		c.SIP.MaxContacts = DefaultMaxContacts
	}
	if c.SIP.MaxForks == 0 {
		c.SIP.MaxForks = DefaultMaxForks
	}
	if c.SIP.UserAgent == "" {
		c.SIP.UserAgent = "dialtone"
	}
	if c.SIP.ForwardCallerID == "" {
		c.SIP.ForwardCallerID = ForwardCalledNumber
	}
	if c.SIP.VoicemailExtension == "" {
		c.SIP.VoicemailExtension = "*97"
	}
	if c.SIP.VoicemailDefault == nil {
		vm := true
		c.SIP.VoicemailDefault = &vm
	}
	if c.SIP.TransferRecall == nil {
		recall := true
		c.SIP.TransferRecall = &recall
	}
	if c.Media.Anchor == nil {
		anchor := true
		c.Media.Anchor = &anchor
	}
	if c.Media.PortMin == 0 && c.Media.PortMax == 0 {
		c.Media.PortMin, c.Media.PortMax = 20000, 29999
	}
	setDur(&c.Media.Timeout, 60*time.Second)
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	if !c.MemoryLimit.Set() {
		c.MemoryLimit = DefaultMemoryLimit
	}
	for i := range c.Users {
		if c.Users[i].MaxCalls == 0 {
			c.Users[i].MaxCalls = DefaultMaxCalls
		}
	}
	for i := range c.Trunks {
		if c.Trunks[i].Transport == "" {
			c.Trunks[i].Transport = "udp"
		}
	}
}

func setDur(d *Duration, def time.Duration) {
	if d.Duration == 0 {
		d.Duration = def
	}
}

// ResolvePath resolves p relative to the config file's directory.
func (c *Config) ResolvePath(p string) string {
	if p == "" || filepath.IsAbs(p) || c.Path == "" || strings.HasPrefix(c.Path, "<") {
		return p
	}
	return filepath.Join(filepath.Dir(c.Path), p)
}

// Caller IDs a forwarded call can present.
const (
	ForwardCalledNumber   = "called-number"
	ForwardOriginalCaller = "original-caller"
)

// Forwarding target kinds.
const (
	TargetVoicemail   = "voicemail"
	TargetGroupPrefix = "group:"
)

// Permissions a role can grant.
const (
	PermCallsInbound       = "calls.inbound"
	PermCallsOutbound      = "calls.outbound"
	PermCallsInternational = "calls.international"
	PermCallsPremium       = "calls.premium"
	PermSMS                = "sms"
	PermMMS                = "mms"
	PermRecordingListen    = "recording.listen"
	PermDialer             = "dialer"
)

var knownPermissions = map[string]bool{
	PermCallsInbound: true, PermCallsOutbound: true, PermCallsInternational: true,
	PermCallsPremium: true, PermSMS: true, PermMMS: true, PermRecordingListen: true, PermDialer: true,
}

// Number types, as numbers are configured and rented (phone.Type.Plan).
const (
	TypeLocal    = string(phone.Local)
	TypeMobile   = string(phone.Mobile)
	TypeTollFree = string(phone.TollFree)
)

type validator struct {
	file     string
	root     *yaml.Node
	errs     Errors
	warnings []string
}

// fail records a problem at the YAML node that path names (keys and indexes).
func (v *validator) fail(msg string, path ...any) {
	v.errs = append(v.errs, FieldError{File: v.file, Line: lineOf(v.root, path...), Field: fieldPath(path), Msg: msg})
}

// warn records a problem that does not stop the switch.
func (v *validator) warn(msg string, path ...any) {
	v.warnings = append(v.warnings, FieldError{File: v.file, Line: lineOf(v.root, path...), Field: fieldPath(path), Msg: msg}.Error())
}

// fieldPath writes keys and indexes as users[1].password.
func fieldPath(path []any) string {
	field := ""
	for _, p := range path {
		switch p := p.(type) {
		case string:
			if field != "" {
				field += "."
			}
			field += p
		case int:
			field += fmt.Sprintf("[%d]", p)
		}
	}
	return field
}

// lineOf finds the line of the deepest node along path that exists.
func lineOf(root *yaml.Node, path ...any) int {
	n := root
	if n == nil {
		return 1
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch p := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == p {
						next = n.Content[i+1]
						line = n.Content[i].Line
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && p < len(n.Content) {
				next = n.Content[p]
				line = next.Line
			}
		}
		if next == nil {
			break
		}
		n = next
		if n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode {
			line = n.Line
		}
	}
	if line == 0 {
		line = 1
	}
	return line
}

var extensionRE = regexp.MustCompile(`^[0-9]{2,8}$`)
var dialStringRE = regexp.MustCompile(`^[0-9*#]{1,8}$`)

func (v *validator) validate(c *Config) {
	v.validateRequired(c)
	if err := checkHost(c.SIP.Domain); err != nil {
		v.fail(err.Error(), "sip", "domain")
	}
	for _, a := range []struct{ addr, section, field string }{
		{c.SIP.UDP, "sip", "udp"}, {c.SIP.TCP, "sip", "tcp"},
		{c.HTTP.Listen, "http", "listen"}, {c.HTTP.MetricsListen, "http", "metrics_listen"},
	} {
		if a.addr == "" {
			continue
		}
		if err := checkListen(a.addr); err != nil {
			v.fail(err.Error(), a.section, a.field)
		}
	}
	if c.HTTP.MetricsListen != "" && c.HTTP.MetricsListen == c.HTTP.Listen {
		v.fail("is http.listen: leave it out to serve /metrics there, behind the bearer token", "http", "metrics_listen")
	}
	if c.Media.IP != "" {
		if _, err := netip.ParseAddr(c.Media.IP); err != nil {
			v.fail(fmt.Sprintf("%q is not an IP address", c.Media.IP), "media", "ip")
		}
	}
	if c.Media.PortMin < 1024 || c.Media.PortMax > 65535 || c.Media.PortMax-c.Media.PortMin < 1 {
		v.fail(fmt.Sprintf("port range %d-%d: want 1024 <= port_min < port_max <= 65535", c.Media.PortMin, c.Media.PortMax), "media", "port_min")
	}
	if a := c.Media.RecordingAnnouncement; a.File != "" {
		v.prompt(c, a.File, false, "media", "recording_announcement")
	}
	for i, t := range c.HTTP.Tokens {
		if len(t) < 8 {
			v.fail("token shorter than 8 characters", "http", "tokens", i)
		}
	}
	v.validateMoney(c)
	v.validateWebhooks(c.Webhooks)
	v.validateTwilio(c)

	roles := map[string]bool{}
	for i, r := range c.Roles {
		if r.Name == "" {
			v.fail("missing", "roles", i, "name")
		} else if roles[r.Name] {
			v.fail(fmt.Sprintf("duplicate role %q", r.Name), "roles", i, "name")
		}
		roles[r.Name] = true
		for j, p := range r.Permissions {
			if !knownPermissions[p] {
				v.fail(fmt.Sprintf("unknown permission %q", p), "roles", i, "permissions", j)
			}
		}
	}

	numbers := map[string]bool{}
	for i, n := range c.Numbers {
		e164, err := phone.Normalize(n.Number, "")
		if err != nil {
			v.fail(err.Error(), "numbers", i, "number")
			continue
		}
		if numbers[e164] {
			v.fail(fmt.Sprintf("duplicate number %s", e164), "numbers", i, "number")
		}
		numbers[e164] = true
		c.Numbers[i].Number = e164
		info := phone.Lookup(e164)
		country, typ := info.Country, string(info.Type.Plan())
		if n.Country == "" {
			c.Numbers[i].Country = country
		} else if !strings.EqualFold(n.Country, country) {
			v.fail(fmt.Sprintf("%s is a %s number, not %s", e164, country, n.Country), "numbers", i, "country")
		} else {
			c.Numbers[i].Country = strings.ToUpper(n.Country)
		}
		switch n.Type {
		case "":
			c.Numbers[i].Type = typ
		case TypeLocal, TypeMobile, TypeTollFree:
		default:
			v.fail(fmt.Sprintf("unknown type %q (local, mobile or toll-free)", n.Type), "numbers", i, "type")
		}
		if n.Rented != "" {
			if _, err := time.Parse(time.DateOnly, n.Rented); err != nil {
				v.fail(fmt.Sprintf("%q is not YYYY-MM-DD", n.Rented), "numbers", i, "rented")
			}
		}
	}

	exts := map[string]bool{}
	tokens := map[string]bool{}
	for _, t := range c.HTTP.Tokens {
		tokens[t] = true
	}
	for i, u := range c.Users {
		switch {
		case u.Extension == "":
			v.fail("missing", "users", i, "extension")
		case !extensionRE.MatchString(u.Extension):
			v.fail(fmt.Sprintf("%q is not 2 to 8 digits", u.Extension), "users", i, "extension")
		case exts[u.Extension]:
			v.fail(fmt.Sprintf("duplicate extension %s", u.Extension), "users", i, "extension")
		}
		exts[u.Extension] = true
		if u.Name != "" && u.Name != u.Extension {
			if exts[u.Name] {
				v.fail(fmt.Sprintf("duplicate user name %s", u.Name), "users", i, "name")
			}
			exts[u.Name] = true
		}
		v.checkPassword(u, i)
		if u.Role == "" {
			v.fail("missing", "users", i, "role")
		} else if !roles[u.Role] {
			v.fail(fmt.Sprintf("unknown role %q", u.Role), "users", i, "role")
		}
		for j, id := range u.CallerIDs {
			e164, err := phone.Normalize(id, "")
			if err != nil {
				v.fail(err.Error(), "users", i, "caller_ids", j)
				continue
			}
			c.Users[i].CallerIDs[j] = e164
		}
		if u.APIToken != "" {
			if len(u.APIToken) < 8 {
				v.fail("token shorter than 8 characters", "users", i, "api_token")
			}
			if tokens[u.APIToken] {
				v.fail("token used twice", "users", i, "api_token")
			}
			tokens[u.APIToken] = true
		}
		if u.MaxCalls < 0 {
			v.fail("must not be negative", "users", i, "max_calls")
		}
	}
	groups := map[string]bool{}
	for i, g := range c.Groups {
		if g.Name == "" {
			v.fail("missing", "groups", i, "name")
		} else if groups[g.Name] {
			v.fail(fmt.Sprintf("duplicate group %q", g.Name), "groups", i, "name")
		}
		groups[g.Name] = true
		for j, m := range g.Members {
			if !exts[m] {
				v.fail(fmt.Sprintf("unknown user %q", m), "groups", i, "members", j)
			}
		}
	}
	for _, l := range []struct {
		section, field string
		d              time.Duration
		min, max       time.Duration
	}{
		{"sip", "voicemail_max_length", c.SIP.VoicemailMaxLength.Duration, MinVoicemailMaxLength, MaxVoicemailMaxLength},
		{"sip", "voicemail_silence", c.SIP.VoicemailSilence.Duration, MinVoicemailSilence, MaxVoicemailSilence},
		{"billing", "reservation_slice", c.Billing.ReservationSlice.Duration, MinReservationSlice, MaxReservationSlice},
		{"sip", "tcp_read_timeout", c.SIP.TCPReadTimeout.Duration, MinTCPTimeout, MaxTCPTimeout},
		{"sip", "tcp_idle_timeout", c.SIP.TCPIdleTimeout.Duration, MinTCPTimeout, MaxTCPTimeout},
		{"sip", "t1", c.SIP.T1.Duration, MinT1, MaxT1},
	} {
		// A zero was replaced by the default, but whoever wrote it may have
		// meant "no limit", which the switch does not offer: say so rather
		// than apply a limit they did not expect.
		if v.zeroDuration(l.section, l.field) {
			v.fail(fmt.Sprintf("must be positive (%s to %s)", shortDuration(l.min), shortDuration(l.max)), l.section, l.field)
		} else if l.d < l.min || l.d > l.max {
			v.fail(fmt.Sprintf("%s is out of range (%s to %s)", shortDuration(l.d), shortDuration(l.min), shortDuration(l.max)), l.section, l.field)
		}
	}
	if !dialStringRE.MatchString(c.SIP.VoicemailExtension) {
		v.fail(fmt.Sprintf("%q is not dialable (1 to 8 of 0-9, * and #)", c.SIP.VoicemailExtension), "sip", "voicemail_extension")
	} else if exts[c.SIP.VoicemailExtension] {
		v.fail(fmt.Sprintf("%q is a user's extension", c.SIP.VoicemailExtension), "sip", "voicemail_extension")
	}
	for i, u := range c.Users {
		// Read when a message begins, and replaced by the generated
		// prompt when it does not load: a warning, since the file may be
		// put in place after the config.
		if u.VoicemailGreeting != "" {
			v.prompt(c, u.VoicemailGreeting, true, "users", i, "voicemail_greeting")
		}
	}
	if c.SIP.TCPMaxConns < 0 {
		v.fail(fmt.Sprintf("%d must be positive", c.SIP.TCPMaxConns), "sip", "tcp_max_conns")
	}
	if c.SIP.TCPMaxPerSource < 0 || c.SIP.TCPMaxPerSource > max(c.SIP.TCPMaxConns, 0) {
		v.fail(fmt.Sprintf("%d: want 1 to tcp_max_conns (%d)", c.SIP.TCPMaxPerSource, c.SIP.TCPMaxConns), "sip", "tcp_max_per_source")
	}
	for _, l := range []struct {
		field string
		n     int
	}{{"max_contacts", c.SIP.MaxContacts}, {"max_forks", c.SIP.MaxForks}} {
		if l.n < 1 || l.n > MaxContactsLimit {
			v.fail(fmt.Sprintf("%d is out of range (1 to %d)", l.n, MaxContactsLimit), "sip", l.field)
		}
	}
	if c.SIP.MaxSetupCalls < 0 {
		v.fail("must be positive", "sip", "max_setup_calls")
	}
	if p := c.MemoryLimit.problem(); p != "" {
		v.fail(p, "memory_limit")
	}
	switch c.SIP.ForwardCallerID {
	case ForwardCalledNumber, ForwardOriginalCaller:
	default:
		v.fail(fmt.Sprintf("%q is not called-number or original-caller", c.SIP.ForwardCallerID), "sip", "forward_caller_id")
	}
	for i, u := range c.Users {
		for _, p := range CheckForwarding(u.Forwarding, exts, groups) {
			v.fail(p.Problem, "users", i, "forwarding", p.Field)
		}
	}
	v.checkForwardingPermissions(c, numbers)
	for i, n := range c.Numbers {
		for _, p := range CheckForwarding(n.Forwarding, exts, groups) {
			v.fail(p.Problem, "numbers", i, "forwarding", p.Field)
		}
		switch {
		case n.User != "" && n.Group != "":
			v.fail("a number has one owner: user or group, not both", "numbers", i, "group")
		case n.User == "" && n.Group == "":
			v.fail("missing owner (user or group)", "numbers", i, "user")
		case n.User != "" && !exts[n.User]:
			v.fail(fmt.Sprintf("unknown user %q", n.User), "numbers", i, "user")
		case n.Group != "" && !groups[n.Group]:
			v.fail(fmt.Sprintf("unknown group %q", n.Group), "numbers", i, "group")
		}
	}
	trunks := map[string]bool{}
	for i, t := range c.Trunks {
		if t.Name == "" {
			v.fail("missing", "trunks", i, "name")
		} else if trunks[t.Name] {
			v.fail(fmt.Sprintf("duplicate trunk %q", t.Name), "trunks", i, "name")
		}
		trunks[t.Name] = true
		if err := checkDial(t.Address); err != nil {
			v.fail(err.Error(), "trunks", i, "address")
		}
		if (t.Username == "") != (t.Password == "") {
			v.fail("username and password go together: the carrier's challenge needs both", "trunks", i, "password")
		}
		if t.Transport != "udp" && t.Transport != "tcp" {
			v.fail(fmt.Sprintf("unknown transport %q (udp or tcp)", t.Transport), "trunks", i, "transport")
		}
		for j, s := range t.AllowedSources {
			if _, err := ParseSource(s); err != nil {
				v.fail(err.Error(), "trunks", i, "allowed_sources", j)
			}
		}
	}
	for i, r := range c.Billing.Rates {
		if r.Kind == "" {
			v.fail("missing", "billing", "rates", i, "kind")
		}
		if r.Price.IsNegative() {
			v.fail("must not be negative", "billing", "rates", i, "price")
		}
		if _, ok := money.Decimals(r.Currency); r.Currency != "" && !ok {
			v.fail(fmt.Sprintf("%q is not an ISO 4217 currency code", r.Currency), "billing", "rates", i, "currency")
		}
	}
}

// checkForwardingPermissions refuses forwarding to outside numbers the
// rule's owner may not call, as if they dialed it: a user's rules are the
// user's; a number's rules are its owner's, or every member's for a
// group's number. The switch checks again when it forwards (a reload may
// have taken a permission away from rules set through the API).
func (v *validator) checkForwardingPermissions(c *Config, numbers map[string]bool) {
	perms := c.RolePermissions()
	users := map[string]Caller{}
	for _, u := range c.Users {
		caller := Caller{Name: u.Extension, Perms: perms[u.Role], CallerID: DefaultCallerID(u.CallerIDs)}
		users[u.Extension] = caller
		if u.Name != "" {
			users[u.Name] = caller
		}
	}
	ownNumber := func(e164 string) bool { return numbers[e164] }
	for i, u := range c.Users {
		for _, r := range CheckForwardingPermissions(u.Forwarding, []Caller{users[u.Extension]}, ownNumber) {
			v.fail(r.Message(), "users", i, "forwarding", r.Field)
		}
	}
	members := map[string][]string{}
	for _, g := range c.Groups {
		members[g.Name] = g.Members
	}
	for i, n := range c.Numbers {
		if n.Forwarding.IsZero() {
			continue
		}
		owners, known := []string{n.User}, false
		if n.User == "" {
			owners, known = members[n.Group]
		} else {
			_, known = users[n.User]
		}
		if !known {
			continue // the unknown owner is reported already
		}
		var callers []Caller
		for _, o := range owners {
			if caller, ok := users[o]; ok {
				callers = append(callers, caller)
			}
		}
		for _, r := range CheckForwardingPermissions(n.Forwarding, callers, ownNumber) {
			v.fail(r.Message(), "numbers", i, "forwarding", r.Field)
		}
	}
}

// zeroDuration reports whether the mapping keys of path lead to a zero
// duration written in the file (applyDefaults has replaced it by then).
func (v *validator) zeroDuration(path ...string) bool {
	n := v.root
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, key := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return false
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	if n == nil || n.Kind != yaml.ScalarNode {
		return false
	}
	d, err := time.ParseDuration(n.Value)
	return err == nil && d == 0
}

// shortDuration writes d as a person would: 2m rather than 2m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Prompt is a WAV file the config names for the switch to play.
type Prompt struct {
	Path string // resolved against the config file
	// Optional prompts (voicemail greetings) have a generated fallback:
	// a file that does not load is a warning, not an error.
	Optional bool
	// At is where the config names it, for a problem with its content:
	// At.Problem(msg) is the error (or warning) to report.
	At FieldError
}

// Problem is a problem with the prompt's content, located at its field.
func (p Prompt) Problem(msg string) FieldError {
	e := p.At
	e.Msg = msg
	return e
}

// OptionalPromptWarning is the warning for an optional prompt (a
// voicemail greeting) that does not load.
func OptionalPromptWarning(err error) string {
	return fmt.Sprintf("%v: callers will hear the generated prompt", err)
}

// prompt records a prompt file the config names, after checking it is a
// regular file (a device or FIFO would hang whoever reads it).
func (v *validator) prompt(c *Config, file string, optional bool, path ...any) {
	p := Prompt{Path: c.ResolvePath(file), Optional: optional,
		At: FieldError{File: v.file, Line: lineOf(v.root, path...), Field: fieldPath(path)}}
	if err := checkRegularFile(p.Path); err != nil {
		if optional {
			v.warn(OptionalPromptWarning(err), path...)
		} else {
			v.fail(err.Error(), path...)
		}
		return
	}
	c.Prompts = append(c.Prompts, p)
}

func checkRegularFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	return nil
}

// FieldProblem names a field and what is wrong with it.
type FieldProblem struct{ Field, Problem string }

// CheckForwarding returns a problem per rule field whose target is not a
// known user, "group:NAME" of a known group, "voicemail" or a valid E.164
// number; users and groups are the known names.
func CheckForwarding(f Forwarding, users, groups map[string]bool) []FieldProblem {
	var problems []FieldProblem
	for _, r := range f.rules() {
		field, target := r.field, r.target
		fail := func(msg string) { problems = append(problems, FieldProblem{field, msg}) }
		switch {
		case target == TargetVoicemail:
		case strings.HasPrefix(target, TargetGroupPrefix):
			if !groups[strings.TrimPrefix(target, TargetGroupPrefix)] {
				fail(fmt.Sprintf("unknown group %q", strings.TrimPrefix(target, TargetGroupPrefix)))
			}
		case strings.HasPrefix(target, "+"):
			if _, err := phone.Normalize(target, ""); err != nil {
				fail(err.Error())
			}
		case !users[target]:
			fail(fmt.Sprintf("unknown forwarding target %q (a user, group:NAME, voicemail or an E.164 number)", target))
		}
	}
	return problems
}

// ParseSource parses an allowed source: an IP address or a CIDR prefix.
func ParseSource(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an address or prefix", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or prefix", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
