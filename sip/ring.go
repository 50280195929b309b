package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dialtone/dialtone/calls"
	orgdir "github.com/dialtone/dialtone/directory"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

var (
	errAnsweredLate   = errors.New("answered after another contact or after ringing ended")
	errRingingStopped = errors.New("ringing stopped")
)

// fork is one INVITE of the outgoing leg: to one contact, or the trunk.
type fork struct {
	session  *sipgo.DialogClientSession
	party    string // the extension whose contact this fork rings; empty for the trunk
	cancel   context.CancelFunc
	answered atomic.Bool // WaitAnswer returned: nothing left to stop
	res      *sip.Response
	err      error
}

// stop ends a pending fork. sipgo sends the CANCEL as soon as the contact
// has sent a provisional response (RFC 3261 §9.1 allows no earlier), or
// gives up with the transaction (timer B) if it never answers at all: a
// phone whose 180 is still on its way when another contact answers
// stops ringing too. Nobody waits for that: the fork's goroutine carries
// on alone.
func (f *fork) stop() {
	if f.cancel != nil && !f.answered.Load() {
		f.cancel()
	}
}

// ringOutcome is decided once: by the first fork that answers, or by
// ringing giving up. A fork that answers after that is hung up.
type ringOutcome struct {
	mu      sync.Mutex
	decided bool
}

func (o *ringOutcome) decide() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.decided {
		return false
	}
	o.decided = true
	return true
}

// sipNetwork rings hops with INVITEs: one per contact, or one to the
// trunk.
type sipNetwork struct{ sw *Switch }

func (n sipNetwork) RingHop(r calls.RingRequest, h *orgdir.Hop, relay func(calls.RingProgress)) (winner calls.Dialog, party string, res *calls.FinalResponse, err error) {
	w, party, best, err := n.forkInvites(r, h, relay)
	if w != nil {
		return newOutboundLeg(w), party, nil, nil
	}
	if best != nil {
		res = &calls.FinalResponse{StatusCode: best.StatusCode, Reason: best.Reason}
	}
	return nil, "", res, err
}

// forkInvites is RingHop in SIP terms: it returns the session that
// answered, or the most telling final response.
func (n sipNetwork) forkInvites(r calls.RingRequest, h *orgdir.Hop, relay func(calls.RingProgress)) (winner *sipgo.DialogClientSession, party string, res *sip.Response, err error) {
	sw := n.sw
	onResponse := func(r *sip.Response) error {
		p := calls.RingProgress{Code: r.StatusCode, Reason: r.Reason, SDP: r.Body()}
		if len(p.SDP) > 0 {
			p.Source = r.Source()
		}
		relay(p)
		return nil
	}
	reqs, parties, err := n.outgoingInvites(r, h)
	if err != nil {
		return nil, "", nil, err
	}
	ringCtx, stopRinging := context.WithTimeout(sw.ctx, r.Timeout)
	defer stopRinging()
	// The caller's CANCEL ends the caller's dialog: stop ringing then.
	// (The channel alone is captured: the request would go to the heap.)
	hangUp := r.HangUp
	go func() {
		select {
		case <-hangUp:
			stopRinging()
		case <-ringCtx.Done():
		}
	}()

	forks := make([]*fork, len(reqs))
	results := make(chan int, len(reqs)) // buffered: forks never wait for ring
	var outcome ringOutcome
	for i, req := range reqs {
		f := &fork{party: parties[i]}
		forks[i] = f
		ctx, cancel := context.WithCancel(context.Background())
		f.cancel = cancel
		ua := sw.dialogUA["udp"]
		if req.Transport() == "TCP" && sw.dialogUA["tcp"] != nil {
			ua = sw.dialogUA["tcp"]
		}
		session, err := ua.WriteInvite(ctx, req)
		if err != nil {
			f.err = fmt.Errorf("send invite to %s: %w", req.Recipient.String(), err)
			results <- i
			continue
		}
		f.session = session
		opts := sipgo.AnswerOptions{OnResponse: onResponse}
		if t := h.Trunk; t != nil && t.Password != "" {
			opts.Username, opts.Password = t.Username, t.Password
		}
		go func(i int) {
			err := session.WaitAnswer(ctx, opts)
			if err == nil && !outcome.decide() {
				// Another contact answered first, or ringing is over:
				// this one answered too late and is hung up.
				_ = session.Ack(context.Background())
				_ = session.Bye(context.Background())
				err = errAnsweredLate
			}
			f.err, f.res = err, session.InviteResponse
			f.answered.Store(err == nil)
			if err != nil {
				cancel() // the winner's context stays: its dialog goes on
			}
			results <- i
		}(i)
	}
	stopAll := func(except *fork) {
		for _, f := range forks {
			if f != except {
				f.stop()
			}
		}
	}

	var best *sip.Response
	var lastErr error
	for pending := len(reqs); pending > 0; {
		select {
		case i := <-results:
			pending--
			f := forks[i]
			if f.err == nil { // the one fork that decided the outcome
				stopAll(f)
				return f.session, f.party, f.res, nil
			}
			lastErr = f.err
			var de *sipgo.ErrDialogResponse
			if errors.As(f.err, &de) && de.Res != nil {
				if best == nil || calls.Rank(de.Res.StatusCode) > calls.Rank(best.StatusCode) {
					best = de.Res
				}
			}
		case <-ringCtx.Done():
			if !outcome.decide() {
				// A fork answered just now and decided first: take it.
				for {
					f := forks[<-results]
					if f.err == nil {
						stopAll(f)
						return f.session, f.party, f.res, nil
					}
				}
			}
			stopAll(nil)
			if sw.shuttingDown() {
				return nil, "", nil, calls.ErrShuttingDown
			}
			if errors.Is(ringCtx.Err(), context.DeadlineExceeded) && r.HangUp != nil && !r.HungUp() {
				return nil, "", best, calls.ErrNoAnswer
			}
			if lastErr == nil {
				lastErr = errRingingStopped
			}
			return nil, "", best, lastErr
		}
	}
	outcome.decide() // every fork failed: none is left to answer
	if best != nil {
		return nil, "", best, fmt.Errorf("callee answered %d %s", best.StatusCode, best.Reason)
	}
	if lastErr == nil {
		lastErr = errors.New("no fork")
	}
	return nil, "", nil, lastErr
}

// outgoingInvites builds the INVITEs of the outgoing leg, and for each
// the extension of the user whose contact it rings.
func (n sipNetwork) outgoingInvites(r calls.RingRequest, h *orgdir.Hop) (reqs []*sip.Request, parties []string, err error) {
	if t := h.Trunk; t != nil {
		host, portStr, _ := net.SplitHostPort(t.Address)
		port, _ := strconv.Atoi(portStr)
		uri := sip.Uri{Scheme: "sip", User: h.E164, Host: host, Port: port}
		req := n.newInvite(r, uri, h.CallerID, "")
		req.AppendHeader(sip.NewHeader("P-Asserted-Identity", fmt.Sprintf("<sip:%s@%s>", h.CallerID, n.sw.cfg.SIP.Domain)))
		req.SetTransport(strings.ToUpper(t.Transport))
		req.SetDestination(t.Address)
		return []*sip.Request{req}, []string{""}, nil
	}
	for _, b := range n.forkTargets(h, r.MaxForks) {
		uri := *b.Contact.Clone()
		req := n.newInvite(r, uri, r.FromUser(), r.FromDisplay())
		req.SetTransport(strings.ToUpper(b.Transport))
		req.SetDestination(b.destination())
		reqs = append(reqs, req)
		parties = append(parties, b.user)
	}
	if len(reqs) == 0 {
		return nil, nil, calls.ErrNotRegistered
	}
	return reqs, parties, nil
}

// forkTargets are the contacts a call to a hop's users rings: at most
// max_forks of them, so one INVITE never fans out into thousands of
// datagrams. Each user's most recently registered contact comes before
// anyone's second, so a group call rings every member's newest phone
// before it rings a second phone of anyone.
func (n sipNetwork) forkTargets(h *orgdir.Hop, maxForks int) []binding {
	perUser := make([][]binding, 0, len(h.Users))
	seen := map[string]bool{}
	for _, u := range h.Users {
		if seen[u.Extension] {
			continue
		}
		seen[u.Extension] = true
		bs := n.sw.reg.lookup(u.Extension)
		for i := range bs {
			bs[i].user = u.Extension // the party a REFER on the dialog acts for
		}
		sort.SliceStable(bs, func(i, j int) bool { return bs[i].Registered.After(bs[j].Registered) })
		perUser = append(perUser, bs)
	}
	return interleaveNewestFirst(perUser, maxForks)
}

// interleaveNewestFirst takes round by round each user's next contact
// (each list is newest first), a round's contacts newest first, up to
// max in all.
func interleaveNewestFirst(perUser [][]binding, max int) []binding {
	var out []binding
	for round := 0; len(out) < max; round++ {
		var this []binding
		for _, bs := range perUser {
			if round < len(bs) {
				this = append(this, bs[round])
			}
		}
		if len(this) == 0 {
			break
		}
		sort.SliceStable(this, func(i, j int) bool { return this[i].Registered.After(this[j].Registered) })
		out = append(out, this[:min(len(this), max-len(out))]...)
	}
	return out
}

// destination is where a call to this contact is sent: where the phone's
// REGISTER came from, since a phone behind NAT cannot be reached at the
// private address in its Contact. A TCP registration restored after a
// restart lost its connection, so it is reached at its Contact instead.
func (b binding) destination() string {
	if !b.restored || b.Transport != "tcp" {
		return b.Source
	}
	port := b.Contact.Port
	if port == 0 {
		port = 5060
	}
	return net.JoinHostPort(b.Contact.Host, strconv.Itoa(port))
}

// newInvite builds a fresh INVITE (new Call-ID, new tags) carrying the
// caller's SDP offer: the switch is a B2BUA, not a proxy.
func (n sipNetwork) newInvite(r calls.RingRequest, uri sip.Uri, fromUser, display string) *sip.Request {
	req := sip.NewRequest(sip.INVITE, uri)
	domain := n.sw.cfg.SIP.Domain
	// The callee's dialog keeps this INVITE for as long as the call lasts:
	// the From's one parameter and the To's none, not sip.NewParams' room
	// for four each (224 bytes a call held).
	from := &sip.FromHeader{DisplayName: display, Address: sip.Uri{Scheme: "sip", User: fromUser, Host: domain},
		Params: sip.HeaderParams{{K: "tag", V: sip.GenerateTagN(16)}}}
	to := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: uri.User, Host: uri.Host, Port: uri.Port}}
	req.AppendHeader(from)
	req.AppendHeader(to)
	callID := sip.CallIDHeader(r.CallID + "-" + sip.GenerateTagN(8))
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	mf := sip.MaxForwardsHeader(70)
	if in := r.Origin.MaxForwards; in > 1 {
		mf = sip.MaxForwardsHeader(in - 1)
	}
	req.AppendHeader(&mf)
	if body := r.Offer; len(body) > 0 {
		ct := "application/sdp"
		if t := r.Origin.ContentType; t != "" {
			ct = t
		}
		req.AppendHeader(sip.NewHeader("Content-Type", ct))
		req.SetBody(body)
	}
	req.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS"))
	return req
}
