package billing

// LegFacts are what the switch knows about a leg; the billing class, and
// so its price, follows from them (Classify), so a new kind of leg is
// charged right without the switch knowing prices.
type LegFacts struct {
	Direction Direction // whether the switch received or placed the leg
	Endpoint  Endpoint  // where the leg goes: a phone or the trunk
	// Peer is where the call's other side goes: the trunk when the call
	// enters or leaves the public network through it, a phone between
	// users, "" when the switch itself answers (voicemail).
	Peer Endpoint
}

// Classify is a leg's billing class: a trunk leg is a call on the public
// network (into an org number or out to one); a phone's leg of a call
// with the public network is its free access side; a phone's leg of a
// call between users is a client leg.
func Classify(f LegFacts) Class {
	switch {
	case f.Endpoint == EndpointTrunk && f.Direction == Inbound:
		return ClassPSTNInbound
	case f.Endpoint == EndpointTrunk:
		return ClassPSTNOutbound
	case f.Peer == EndpointTrunk:
		return ClassAccess
	default:
		return ClassClient
	}
}
