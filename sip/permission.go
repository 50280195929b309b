package sip

// warnRefusedForwarding logs the forwarding rules set through the API
// that the permissions now refuse (a reload took one away). They are kept,
// since a later reload may grant it back, and refused each time they
// would forward a call.
func (sw *Switch) warnRefusedForwarding() {
	dir := sw.directory()
	sw.fwdMu.RLock()
	defer sw.fwdMu.RUnlock()
	for ext, f := range sw.fwdOverrides {
		u := dir.User(ext)
		if u == nil {
			continue
		}
		for _, r := range dir.RefusedForwarding(f, []*user{u}) {
			sw.log.Warn("forwarding set through the API is no longer permitted; calls will not be forwarded there",
				"user", ext, "rule", r.Field, "target", r.Target, "reason", r.Reason, "permission", r.Rule)
		}
	}
}
