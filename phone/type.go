package phone

import "github.com/nyaruka/phonenumbers"

// Type is what kind of line a number reaches.
type Type string

// Types; Unknown is a number libphonenumber cannot place in a range.
const (
	Unknown    Type = ""
	Local      Type = "local" // fixed line, fixed line or mobile, VoIP
	Mobile     Type = "mobile"
	TollFree   Type = "toll-free"
	Premium    Type = "premium"
	SharedCost Type = "shared-cost"
	Other      Type = "other" // pager, UAN, personal number, voicemail access
)

// typeOf maps libphonenumber's number types onto Type.
func typeOf(t phonenumbers.PhoneNumberType) Type {
	switch t {
	case phonenumbers.FIXED_LINE, phonenumbers.FIXED_LINE_OR_MOBILE, phonenumbers.VOIP:
		return Local
	case phonenumbers.MOBILE:
		return Mobile
	case phonenumbers.TOLL_FREE:
		return TollFree
	case phonenumbers.PREMIUM_RATE:
		return Premium
	case phonenumbers.SHARED_COST:
		return SharedCost
	case phonenumbers.UNKNOWN:
		return Unknown
	default:
		return Other
	}
}

// Plan is the type numbers are configured and rented as: mobile,
// toll-free, or local for everything else.
func (t Type) Plan() Type {
	switch t {
	case Mobile, TollFree:
		return t
	default:
		return Local
	}
}

// IsPremium reports whether the type costs the caller extra (premium
// rate or shared cost).
func (t Type) IsPremium() bool { return t == Premium || t == SharedCost }
