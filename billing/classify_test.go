package billing

import "testing"

func TestClassifyFollowsTheLegsFacts(t *testing.T) {
	tests := []struct {
		name string
		f    LegFacts
		want Class
	}{
		{"the carrier's leg into an org number", LegFacts{Inbound, EndpointTrunk, EndpointPhone}, ClassPSTNInbound},
		{"the carrier's leg into voicemail", LegFacts{Inbound, EndpointTrunk, ""}, ClassPSTNInbound},
		{"a leg out to the public network", LegFacts{Outbound, EndpointTrunk, EndpointPhone}, ClassPSTNOutbound},
		{"a forward out of a call from the trunk", LegFacts{Outbound, EndpointTrunk, EndpointTrunk}, ClassPSTNOutbound},
		{"a phone dialing out", LegFacts{Inbound, EndpointPhone, EndpointTrunk}, ClassAccess},
		{"the owner's phone ringing for a call from the trunk", LegFacts{Outbound, EndpointPhone, EndpointTrunk}, ClassAccess},
		{"a phone calling a phone", LegFacts{Inbound, EndpointPhone, EndpointPhone}, ClassClient},
		{"the callee's phone", LegFacts{Outbound, EndpointPhone, EndpointPhone}, ClassClient},
		{"a phone calling its mailbox", LegFacts{Inbound, EndpointPhone, ""}, ClassClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.f); got != tt.want {
				t.Fatalf("Classify(%+v) = %s, want %s", tt.f, got, tt.want)
			}
		})
	}
}
