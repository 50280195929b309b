package dialer

import "fmt"

// Buckets of the dialer's records in the switch's store, each prefixed to
// stay clear of the switch's own buckets in the same file.
const (
	bucketCampaigns = "dialer_campaigns" // id -> Campaign
	bucketLeads     = "dialer_leads"     // campaign/seq -> Lead
	bucketAttempts  = "dialer_attempts"  // campaign/seq -> Attempt
	bucketSessions  = "dialer_sessions"  // campaign/seq -> AgentSession
	bucketDNC       = "dialer_dnc"       // e164 -> DNCEntry
)

// seqKey keeps the keys of one campaign in insertion order.
func seqKey(campaignID string, seq uint64) string {
	return fmt.Sprintf("%s/%012d", campaignID, seq)
}
