package calls

import "time"

// Settings are the config's sip: settings a call follows. A call copies
// them when it starts, so a reload while it is up does not change them
// and one call never mixes two configs (its time limit and its cut-off
// disposition agree).
type Settings struct {
	RingTimeout        time.Duration // how long a hop rings unless its rules say
	MaxCallDuration    time.Duration // the cap of an answered call
	TransferRecall     bool          // ring the transferor again when a blind transfer's target does not answer
	VoicemailDefault   bool          // a call a user does not take goes to voicemail unless a forwarding rule says otherwise
	VoicemailMaxLength time.Duration
	VoicemailSilence   time.Duration
	ForwardCallerID    string // what a call forwarded outside presents (config.Forward*)
	MaxForks           int    // the most contacts one hop rings (sip.max_forks)
}
