package pacing

import "time"

// DefaultAbandonLockout is abandon_lockout's default.
const DefaultAbandonLockout = 72 * time.Hour

// MayRedial reports whether a lead whose last call was abandoned at
// abandonedAt (zero: never) may be dialled at now: not within the lockout,
// unless an agent is guaranteed for the call (the pacer is progressive, see
// ModeReporter), since then it cannot be abandoned again.
func MayRedial(abandonedAt, now time.Time, lockout time.Duration, agentGuaranteed bool) bool {
	if abandonedAt.IsZero() || agentGuaranteed {
		return true
	}
	return !now.Before(abandonedAt.Add(lockout))
}
