package sip

import (
	"strings"
	"time"
)

// tcpInUse tells whether the inbound TCP connection from remote (host:port)
// carries something the switch must keep reaching the peer through: a
// live registration, a call leg, or a message-waiting subscription. It
// runs once per idle timeout of a quiet connection, so a scan is cheap
// enough.
func (sw *Switch) tcpInUse(remote string) bool {
	return sw.reg.hasSource("tcp", remote) || sw.legOver(remote) || sw.mwi.hasSource("TCP", remote)
}

// legOver reports a call leg whose INVITE came from, or went to, remote
// over TCP.
func (sw *Switch) legOver(remote string) bool {
	found := false
	sw.uas.Range(func(_, v any) bool {
		if in := inboundOf(v); in != nil {
			req := in.server.InviteRequest
			found = strings.EqualFold(req.Transport(), "tcp") && req.Source() == remote
		}
		return !found
	})
	if found {
		return true
	}
	sw.uac.Range(func(_, v any) bool {
		if out := outboundOf(v); out != nil {
			req := out.InviteRequest
			found = strings.EqualFold(req.Transport(), "tcp") && req.Destination() == remote
		}
		return !found
	})
	return found
}

// hasSource reports a live binding registered from source over transport.
func (r *registrar) hasSource(transport, source string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	now := r.now()
	for _, bs := range r.bindings {
		for _, b := range bs {
			if b.Source == source && b.Transport == transport && b.Expires.After(now) {
				return true
			}
		}
	}
	return false
}

// hasSource reports a live subscription made from source over transport.
func (m *mwiSubs) hasSource(transport, source string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	for _, s := range m.subs {
		if s.source == source && s.transport == transport && s.expires.After(now) {
			return true
		}
	}
	return false
}
