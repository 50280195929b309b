package sip

import (
	"hash/maphash"
	"time"
)

// recentInvites remembers the INVITEs the UDP listener handed to sipgo
// lately, so that a retransmission of one is never refused statelessly:
// a caller retransmits an INVITE the switch has not answered within T1,
// which is exactly when the switch is behind, and a 503 to the copy would
// end at the caller a call the switch goes on setting up (it would answer
// it, retransmit the 200 for 32 s and bill a call nobody is on). sipgo's
// transaction absorbs the copy instead. Only sipgo's read loop uses it.
type recentInvites struct {
	seed      maphash.Seed
	span      time.Duration
	since     time.Time
	cur, prev map[uint64]struct{}
}

// inviteMemory is how long an INVITE is remembered at least (twice at
// most): its retransmissions come T1, 2×T1, 4×T1… after it; one still
// unanswered 8 s after (16×T1 at the default T1) is past saving anyway.
const inviteMemory = 8 * time.Second

func newRecentInvites() *recentInvites {
	return &recentInvites{seed: maphash.MakeSeed(), span: inviteMemory,
		cur: map[uint64]struct{}{}, prev: map[uint64]struct{}{}}
}

// key identifies an INVITE transaction: its top Via (the branch), Call-ID
// and CSeq, which a retransmission repeats byte for byte. A hash, not the
// text: two INVITEs per call are remembered at a few bytes each, and a
// collision only lets one new INVITE through to sipgo.
func (r *recentInvites) key(inv *inviteHead) uint64 {
	var h maphash.Hash
	h.SetSeed(r.seed)
	h.Write(inv.vias[0])
	h.WriteByte(0)
	h.Write(inv.callID)
	h.WriteByte(0)
	h.Write(inv.cseq)
	return h.Sum64()
}

func (r *recentInvites) rotate(now time.Time) {
	if now.Sub(r.since) < r.span {
		return
	}
	r.prev, r.cur = r.cur, make(map[uint64]struct{}, len(r.cur))
	r.since = now
}

// maxRecentInvites bounds each generation: a flood of distinct INVITEs
// must not grow the map without limit. Past it a retransmission may be
// refused like a new INVITE, which is what overload does to it anyway.
const maxRecentInvites = 1 << 18

func (r *recentInvites) add(key uint64, now time.Time) {
	r.rotate(now)
	if len(r.cur) >= maxRecentInvites {
		return
	}
	r.cur[key] = struct{}{}
}

func (r *recentInvites) has(key uint64, now time.Time) bool {
	r.rotate(now)
	_, inCur := r.cur[key]
	_, inPrev := r.prev[key]
	return inCur || inPrev
}
