package sip

// warnRefusedForwarding logs the forwarding rules set through the API
// that the permissions now refuse (a reload took one away). They are kept,
// since a later reload may grant it back, and refused each time they
// would forward a call.
func (sw *Switch) warnRefusedForwarding() {
	for _, r := range sw.fwd.Refused(sw.directory().org()) {
		sw.log.Warn("forwarding set through the API is no longer permitted; calls will not be forwarded there",
			"user", r.User, "rule", r.Field, "target", r.Target, "reason", r.Reason, "permission", r.Rule)
	}
}
