package messaging

import (
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// Direction says which way a text went.
type Direction string

const (
	Outbound Direction = "outbound" // to the public network
	Inbound  Direction = "inbound"  // from the public network
	Internal Direction = "internal" // between users of the switch
)

// State is where a text is in its life. Outbound: queued → sending →
// sent → delivered | undelivered | failed (Twilio's words). Inbound and
// internal: received, then delivered once a phone took it.
type State string

const (
	StateQueued      State = "queued"
	StateSending     State = "sending"
	StateSent        State = "sent"
	StateDelivered   State = "delivered"
	StateUndelivered State = "undelivered"
	StateFailed      State = "failed"
	StateReceived    State = "received"
)

// rank orders outbound states so a late or replayed status callback never
// moves a text backwards.
func (s State) rank() int {
	switch s {
	case StateQueued:
		return 0
	case StateSending:
		return 1
	case StateSent:
		return 2
	case StateDelivered, StateUndelivered, StateFailed:
		return 3
	}
	return -1
}

// Final says whether nothing more will happen to an outbound text.
func (s State) Final() bool { return s.rank() == 3 }

// Message is one text, in either direction.
type Message struct {
	ID        string    `json:"id"`
	Direction Direction `json:"direction"`
	Kind      string    `json:"kind,omitempty"` // sms-out, sms-in, mms-out, mms-in; empty between users
	From      string    `json:"from"`
	To        string    `json:"to"`
	// Number is the organization's number the text went through; Peer is
	// the other party (an outside number, or a user between users).
	Number string   `json:"number,omitempty"`
	Peer   string   `json:"peer"`
	User   string   `json:"user,omitempty"`  // the sender (outbound) or recipient (inbound) extension
	Users  []string `json:"users,omitempty"` // recipients of an inbound text to a group number
	// Waiting are the recipients none of whose phones has taken the text
	// yet: it goes to them when a phone registers.
	Waiting   []string `json:"waiting,omitempty"`
	Body      string   `json:"body"`
	MediaURLs []string `json:"media_urls,omitempty"`
	State     State    `json:"state"`
	// ErrorCode is the carrier's error code (e.g. 21610) or 0.
	ErrorCode    int    `json:"error_code,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
	SID          string `json:"sid,omitempty"` // the carrier's message id
	Segments     int    `json:"segments,omitempty"`
	Encoding     string `json:"encoding,omitempty"`
	// Charge is what the text cost, once posted; Charged says it was.
	Charge   *decimal.Decimal `json:"charge,omitempty"`
	Charged  bool             `json:"charged"`
	Source   string           `json:"source"` // phone, api or carrier
	Key      string           `json:"-"`      // idempotency: api:KEY or phone:CALLID/CSEQ
	Created  time.Time        `json:"created_at"`
	Updated  time.Time        `json:"updated_at"`
	Attempts int              `json:"attempts,omitempty"`
}

// Sources.
const (
	SourcePhone   = "phone"
	SourceAPI     = "api"
	SourceCarrier = "carrier"
)

func (m *Message) clone() *Message {
	c := *m
	c.MediaURLs = slices.Clone(m.MediaURLs)
	c.Users = slices.Clone(m.Users)
	c.Waiting = slices.Clone(m.Waiting)
	return &c
}

// involves says whether user sent or received m.
func (m *Message) involves(user string) bool {
	return m.User == user || slices.Contains(m.Users, user) || (m.Direction == Internal && m.Peer == user)
}
