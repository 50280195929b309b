// Package media anchors a call's RTP on the switch: a port pool, one
// socket pair per leg with symmetric-RTP latching, a relay that passes
// packets between two legs without decoding, SDP rewriting and checks,
// taps that see the packets (a WAV Recorder, an RFC 4733 DTMFDetector, a
// SilenceDetector), and an Endpoint that terminates a leg in the switch
// (voicemail: play prompts, record, read DTMF).
//
// The package knows nothing of SIP: package sip calls it with SDP bodies
// and gets SDP bodies back.
//
// # Concepts
//
//   - Pool: a UDP port range on one IP. Allocate returns a Leg bound to an
//     even RTP port picked at random and the RTCP port above it; closing
//     the Leg returns them. CheckRemote refuses SDP that points at the
//     pool's own ports (ErrMediaLoop): the relay would send to itself.
//     WithIdlePairs keeps the sockets of closed legs bound and hands them
//     to later legs (idle.go): no socket opened, bound, polled or closed
//     per call; an idle pair drops what reaches it, is reused after a
//     second among at least 128 such pairs (sooner only when the range
//     is used up), and refuses the old party's stream (its source and
//     SSRC). Close such a pool at the end.
//   - Leg: one party's side. SetRemote gives it the address from that
//     party's SDP, SetSignalingSource the address its SIP comes from; the
//     leg latches to the address the party really sends from (NAT), but
//     strictly (latch.go): only those two hosts may latch it, and a source
//     other than the SDP address only after a run of in-sequence packets,
//     so a stranger who guesses the port gets nothing (Stats.Refused).
//     Counters (Stats) and a media timeout (TimedOut) are per leg.
//   - Relay: two legs, A (the caller, the leg whose INVITE the switch
//     received) and B (the callee, the leg the switch placed). What A's
//     party sends to A's port goes out of B's port to B's party, and back.
//   - Endpoint: one leg that the switch itself answers.
//   - Tap: sees each accepted RTP packet on the reactor goroutine that
//     read it, zero-copy: it must copy what it keeps, and be quick.
//
// # Wiring a B2BUA call (sip/call.go)
//
// Make one Pool at start-up from the configuration: NewPool(bindIP, min,
// max, WithMediaTimeout(...)). The IP written into SDP (ip below) is the
// address phones and the trunk reach the switch at; it is the bind IP
// unless the switch binds 0.0.0.0 or sits behind a 1:1 NAT.
//
// When an INVITE with an offer arrives (after routing and authorization,
// before the B leg is placed):
//
//	a, err := pool.Allocate()           // A's party will send to a.Port()
//	b, err := pool.Allocate()           // B's party will send to b.Port()
//	// (ErrPoolExhausted: answer 503)
//	remote, err := media.Remote(offer)  // ErrNoAudio, ErrInvalidSDP: 488 / 400
//	err = pool.CheckRemote(remote)      // ErrMediaLoop: 488
//	a.SetSignalingSource(inviteSourceIP)
//	a.SetRemote(remote)
//	offerB, err := media.Rewrite(offer, ip, b.Port()) // send offerB to B
//	relay, err := media.NewRelay(a, b)  // owns a and b from now on
//	relay.Start()                       // early media flows, legs latch
//	defer relay.Close()                 // on every path: returns the ports
//
// When B answers (a 2xx, or a 183 with SDP for early media; take the
// final answer from the 2xx):
//
//	if err := media.Negotiable(offer, answer); err != nil {
//		// errors.Is(err, media.ErrNoCommonCodec): answer A 488 Not
//		// Acceptable Here and hang up B
//	}
//	remote, _ := media.Remote(answer)
//	err = pool.CheckRemote(remote)    // ErrMediaLoop: 488 to A, hang up B
//	b.SetSignalingSource(answerSourceIP)
//	b.SetRemote(remote)
//	answerA, _ := media.Rewrite(answer, ip, a.Port()) // respond to A with it
//	relay.Answered()                                  // arms media timeouts
//
// Then wait for the call to end as today, adding
//
//	case <-relay.TimedOut(): // no RTP from a party for the timeout: hang up
//
// A re-INVITE or UPDATE from either side is handled the same way in its
// direction: CheckRemote (488 on ErrMediaLoop), SetSignalingSource and
// SetRemote on the sender's leg with Remote(its SDP), Rewrite
// the SDP with the other leg's port before forwarding it, and
// relay.SetHold(held) where held is IsHold of the offer or the answer
// (a held party may stop sending; the timeout waits for it). A re-INVITE
// that does not move the party keeps its NAT latch.
//
// When the call ends, after Close, a.Stats() and b.Stats() give the
// packet and byte counts for the CDRs; Pool.Stats() gives totals for
// /metrics. Every leg allocated must be closed exactly once through its
// owner (Relay.Close, Endpoint.Close) or, before it has one, Leg.Close.
//
// Recording a call: rec, _ := media.OpenRecorder(path) (stereo, A left, B
// right), remove := relay.AddTap(rec); after relay.Close, rec.Close()
// returns the duration for the CDR.
//
// Announcing a recording: tap the Recorder first (so the recording holds
// the announcement), then
//
//	ptA, ptB, err := media.PromptPayloadTypes(offer, answer) // ErrNoCommonCodec: no G.711
//	err = relay.Announce(ctx, media.DefaultRecordingAnnouncement(), ptA, ptB)
//
// plays the prompt to both parties with relaying muted until it ends. It
// runs in real time: call it from a goroutine of its own with a ctx that
// ends when the call does (Close and Detach stop it too).
//
// DTMF on a relayed call: relay.AddTap(media.NewDTMFDetector(fn, pts...))
// with the telephone-event payload types of both sides (Codecs).
//
// Forking: offer every fork the same B leg port; the fork that answers
// latches the leg (early media from several forks may switch it within
// the latch window).
//
// Transfer and bridging: Relay.Detach and Endpoint.Detach stop the media
// without closing the legs, so a leg (with its latch and counters) can
// join a new Relay: the transferee's leg with the transfer target's new
// leg, or a lead's leg that heard a prompt with an agent's leg.
//
// # Terminating a leg: voicemail
//
//	leg, _ := pool.Allocate()
//	remote, _ := media.Remote(offer)
//	leg.SetRemote(remote)
//	answer, sel, err := media.Answer(offer, ip, leg.Port()) // ErrNoCommonCodec: 488
//	opts := []media.EndpointOption{}
//	if sel.TelephoneEvent != nil {
//		opts = append(opts, media.WithTelephoneEvent(sel.TelephoneEvent.PayloadType))
//	}
//	ep, _ := media.NewEndpoint(leg, sel.Codec.PayloadType, opts...)
//	defer ep.Close()
//	// respond 200 OK with answer, then on ACK:
//	ep.Start()
//	ep.Play(ctx, greeting) // LoadPromptFile(...) or media.DefaultGreeting()
//	rec, _ := media.OpenRecorder(path, media.RecordMono(media.FromA))
//	reason, _, err := ep.Record(ctx, rec, media.RecordOptions{
//		MaxLength: 2 * time.Minute, Silence: 5 * time.Second, StopKeys: "#",
//	})
//	length, _ := rec.Close()
//
// ctx should end when the caller hangs up (the dialog's context). Keys
// the caller sends by SIP INFO go to ep.SignalDigit, so Record's StopKeys
// and Digits see them like RFC 4733 events.
// Offer writes the switch's own offer for a call it places to play
// prompts.
//
// # Performance
//
// The sockets are the package's own non-blocking descriptors, read by one
// reactor goroutine per CPU from an epoll set that is itself parked on
// the Go runtime's poller (reactor_linux.go): a wake-up handles every
// ready socket, where a goroutine per socket paid a wake-up and an empty
// read per packet; a socket's backlog is read with one recvmmsg, which at
// 1,000 calls on two shared cores took the median latency from 31–48 ms
// to 6–22 ms (BenchmarkRelayLoad against the goroutine-per-socket relay)
// (sendmmsg for the forwarded side measured no better, so it is not
// used). A packet is read into the reactor's buffer, parsed in
// place (pion/rtp, zero-copy), checked against the latched address with
// two atomic loads, counted with atomic adds and sent with one sendto to
// a sockaddr built when the leg latched: no lock and no allocation per
// packet (BenchmarkRelay, BenchmarkRelayHotPath). BenchmarkRelayLoad runs
// 1,000 calls at 100,000 packets a second against phones in a second
// process. Setting a call's media up and down (BenchmarkCallMedia: two
// legs, a relay started, answered, closed) costs 15–21 µs of CPU with
// fresh sockets, mostly the kernel's socket, bind, close and epoll_ctl;
// with idle pairs 4–9 µs, where a pair changes hands by swapping the
// reactor's watch in place (docs/performance.md).
package media
