package billing

import (
	"errors"
	"time"

	"github.com/shopspring/decimal"
)

// Direction says who sent a leg's INVITE.
type Direction string

// Directions of a leg, seen from the switch.
const (
	Inbound  Direction = "inbound"  // the switch received this leg's INVITE
	Outbound Direction = "outbound" // the switch sent it
)

// Endpoint is what is at the far end of a leg.
type Endpoint string

// Endpoints.
const (
	EndpointPhone Endpoint = "phone"
	EndpointTrunk Endpoint = "trunk"
)

// Class is the billing class the switch gives a leg; the meter rates by it.
type Class string

// Billing classes.
const (
	ClassPSTNInbound  Class = "pstn-inbound"  // a trunk leg into an org number
	ClassPSTNOutbound Class = "pstn-outbound" // a trunk leg to the public network
	ClassClient       Class = "client"        // a leg of a call between users
	ClassAccess       Class = "access"        // a user's own side of a trunk call: free
)

// Reason says why the switch created a leg.
type Reason string

// Leg reasons.
const (
	ReasonDirect    Reason = "direct"
	ReasonForward   Reason = "forward"
	ReasonTransfer  Reason = "transfer"
	ReasonDialer    Reason = "dialer"
	ReasonVoicemail Reason = "voicemail"
)

// Disposition is how a leg ended.
type Disposition string

// Dispositions.
const (
	Answered        Disposition = "answered"
	Busy            Disposition = "busy"
	NoAnswer        Disposition = "no-answer"
	Canceled        Disposition = "canceled"
	Failed          Disposition = "failed"
	Refused         Disposition = "refused"
	Interrupted     Disposition = "interrupted"
	CreditExhausted Disposition = "credit-exhausted"
	MediaTimeout    Disposition = "media-timeout"
)

// CDR is the record of one call leg, written once when the leg ends.
type CDR struct {
	LegID        string      `json:"leg_id"`
	CallID       string      `json:"call_id"`
	ParentLegID  string      `json:"parent_leg_id,omitempty"`
	Direction    Direction   `json:"direction"`
	Endpoint     Endpoint    `json:"endpoint"`
	BillingClass Class       `json:"billing_class"`
	Reason       Reason      `json:"reason"`
	From         string      `json:"from"`
	To           string      `json:"to"`
	CallerID     string      `json:"caller_id,omitempty"`
	User         string      `json:"user,omitempty"`
	PhoneNumber  string      `json:"phone_number,omitempty"`
	Trunk        string      `json:"trunk,omitempty"`
	CreatedAt    time.Time   `json:"created_at"`
	AnsweredAt   *time.Time  `json:"answered_at,omitempty"`
	EndedAt      time.Time   `json:"ended_at"`
	BillableSecs int64       `json:"billable_seconds"`
	Disposition  Disposition `json:"disposition"`
	SIPCode      int         `json:"sip_code"`
	RefuseReason string      `json:"refuse_reason,omitempty"`
	Charge       *Charge     `json:"charge,omitempty"`
	Media        *MediaStats `json:"media,omitempty"`
	Recording    *Recording  `json:"recording,omitempty"`
	// The dialer's legs (reason dialer) name their campaign, and a lead's
	// leg its lead and attempt (the engine copies the Origination's tags).
	CampaignID string `json:"campaign_id,omitempty"`
	LeadID     string `json:"lead_id,omitempty"`
	AttemptID  string `json:"attempt_id,omitempty"`
}

// MediaStats are a leg's RTP counters when the switch anchored its media:
// in is what the leg's party sent the switch, out what the switch sent it.
type MediaStats struct {
	PacketsIn  uint64 `json:"packets_in"`
	BytesIn    uint64 `json:"bytes_in"`
	PacketsOut uint64 `json:"packets_out"`
	BytesOut   uint64 `json:"bytes_out"`
	Dropped    uint64 `json:"dropped"`
	// RefusedPackets (part of Dropped) came from a source that may not
	// latch the leg: not the party's SDP or signalling host, or a stranger
	// trying to take the latch from the party.
	RefusedPackets uint64 `json:"refused_packets"`
}

// Recording is the stereo WAV of a call (caller left, callee right).
type Recording struct {
	Path    string  `json:"path"` // relative to the data directory
	Seconds float64 `json:"seconds"`
}

// Charge is what the meter charged for a leg or message.
type Charge struct {
	Amount        decimal.Decimal `json:"amount"`
	Currency      string          `json:"currency"`
	Units         int64           `json:"units"` // billed minutes (or increments), or text segments
	Rate          decimal.Decimal `json:"rate"`
	MatchedPrefix string          `json:"matched_prefix,omitempty"`
	OriginCountry string          `json:"origin_country,omitempty"`
	NumberType    string          `json:"number_type,omitempty"`
}

// Millis truncates t to millisecond precision in UTC, as CDR times are kept.
func Millis(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// BillableSeconds is the answered duration of a leg rounded up to whole
// seconds; an answered leg under one second counts as one.
func BillableSeconds(answered *time.Time, ended time.Time) int64 {
	if answered == nil {
		return 0
	}
	d := ended.Sub(*answered)
	if d <= 0 {
		return 1
	}
	s := int64((d + time.Second - 1) / time.Second)
	return s
}

// ErrInsufficientCredit is returned (wrapped) when the balance cannot pay
// for what was asked: the switch answers 402.
var ErrInsufficientCredit = errors.New("insufficient usage credit")
