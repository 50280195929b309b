// Package sip is dialtone's switch: listeners, the registrar with digest
// auth, and calls as back-to-back user agents (each side of a call is its
// own dialog, so the switch controls, meters and can cut off both). Where
// a call goes and where it is forwarded is package directory's answer;
// the switch reads the request for it and says its refusals as SIP
// statuses (errors.go).
//
// The package is the SIP protocol around the calls; the loop of the calls
// phones and the trunk place is package calls'. What it holds:
//
//   - the listeners (UDP and TCP) over sipgo, and the defences at their
//     edge: admission control, TCP connection caps and timeouts, SIP
//     version checks, flood summaries instead of a log line per bad
//     message;
//   - the registrar (contacts per user, kept across restarts through a
//     RegistrationStore) and digest authentication with its brute-force
//     guard, for REGISTER, INVITE, MESSAGE and SUBSCRIBE alike;
//   - the INVITE handler's SIP half (invite.go): it checks the request,
//     admits it, authenticates, reads the route and the offer, builds
//     the inbound leg and hands the call to calls.NewIncomingCall, then
//     runs the answered call in a goroutine of its own (see calls.Call.Run);
//   - the two kinds of legs, behind calls.Dialog: an inbound leg (the
//     INVITE the switch received, then its server dialog; leg_inbound.go)
//     and an outbound leg (an INVITE the switch placed and its party
//     answered, a client dialog; leg_outbound.go); ringing and forking
//     (ring.go: sipNetwork, the calls.HopRinger of the switch's calls);
//     the in-dialog handlers (dialog.go, dialogs.go: re-INVITE, UPDATE,
//     INFO; refer.go: REFER, which hands the transfer to the leg's call);
//   - the calls.Host the switch's calls run on (call_host.go: switchHost,
//     a type of its own so that what the loop asks stays off Switch's
//     methods): the registries of dialogs and answered calls, the meter,
//     media pool, CDR writer, metrics, per-user call limits and timeouts;
//   - the SIP side of the switch's other users: message-waiting
//     (SUBSCRIBE/NOTIFY) for the mailboxes, MESSAGE in and out for the
//     texts, and the hook the call engine's *55 legs go to (SetAgentJoin:
//     routing a *55 call needs to know it is set). The engine places its
//     own legs on the switch's Host (CallHost, calls.HostNetwork); the
//     switch only rings them (sipNetwork) and admits them (AdmitCall).
//
// What moved out, and where the switch now asks:
//
//   - the call loop: package calls (calls.Call: ringing the hops, forwarding,
//     bridging, transfers, voicemail and *55 hand-overs, recording policy,
//     the CDRs), on the legs and the Host this package gives it;
//   - routing and forwarding policy: package directory (routes, the
//     Forwarder's hops, permissions of outside calls, caller IDs). The
//     switch reads the request for it and says a directory refusal as a
//     SIP status in one place (asCallError);
//   - the organization as it is now: a directory.Organization, which
//     cmd/dialtone builds and hands to the switch (Options.Organization),
//     owns the config applied, the numbers and forwarding rules set
//     through the API, their stores and their reload, and tells the meter
//     each new set of numbers. The switch only reads it: the Directory
//     its routing, registrar and authentication ask, and each user's
//     forwarding for the call loop (switchHost.ForwardingOf). It gives it
//     the HA1 of its realm (DigestHA1);
//   - voicemail: package voicemail owns the mailboxes and the deposit and
//     listen dialogues; the switch answers the leg with a media endpoint,
//     feeds it the keys, hands it over and hangs up when it returns;
//   - the credit clock: calls.CreditClock renews a call's grants and says
//     when it must end;
//   - the contract of a call's legs and how ringing failed: calls.Dialog
//     and calls.Refusal are what the loop drives and refuses with, and
//     calls.RefusalOf turns any error (a directory refusal) into the
//     refusal (errors.go only says it as SIP); calls.ErrShuttingDown is
//     ringing stopped for shutdown;
//     calls.RingFailure, calls.Rank and calls.ForwardOutcome turn a
//     failed ringing into the leg's disposition, the answer the caller
//     hears and the outcome the Forwarder follows;
//   - the leg record and the call's media: a leg is a calls.CallLeg (its
//     CDR, credit, dialog, party, finished flag, the call that owns it,
//     and an engine leg's Stop and OnKey), and a call's anchoring, relay,
//     recording and announcement are a calls.CallMedia the call embeds;
//     the switch gives it the media pool and IP, the announcement
//     (announce.go) and counts the packets in its metrics;
//   - billing classes: the switch records a leg's facts (direction,
//     endpoint, peer) and billing.Classify decides its class;
//   - HTTP: package api serves every route: forwarding and numbers from
//     the Organization; from the switch its plain methods (Registrations,
//     Calls, RecordCall, whose errors are of package directory's kinds,
//     which api maps to statuses). The switch imports no net/http.
//
// # Where it sits
//
// Below api, messaging and cmd/dialtone; above the policy and mechanism it
// calls: directory (who, may they, where), calls (the call loop, the
// engine and its Leg contract), voicemail, media (RTP anchoring, recording,
// prompts), billing (CDRs, leg facts, the credit the Meter interface asks
// for), config and phone. It never imports the dialer or the texts: they
// reach it through hooks it exposes (SetAgentJoin, SetMessageHandler),
// and the call engine places its legs on the Host it exposes (CallHost),
// so that package calls never imports sip.
//
// # Concepts
//
//   - Switch: one running softswitch, built from a validated config and its
//     collaborators (Options: the organization, the CDR writer, the meter,
//     the media pool, the store for registrations), then Start, Reload on
//     SIGHUP (after the organization's) and Shutdown.
//   - The directory with its settings: the Organization's current
//     directory.Directory and the sip: settings of that Directory's own
//     config beside it (a call's, calls.Settings, and the registrar's),
//     derived once per Directory the Organization swaps in, so they never
//     change apart. A call reads its settings once, when it starts, so one
//     call never mixes two configs; calls already up keep theirs.
//   - Call and leg: a call is the leg that came in and the leg the switch
//     placed, each one dialog (a calls.Dialog) and one CDR, with a parent
//     and a reason; forwarding and transfers add legs to the call. A call
//     keeps of its INVITE only what it needs (a calls.Origin, plain
//     values originOf reads off it: who called whom, the Call-ID, the display
//     name, Max-Forwards, the offer's type). A call is set up in the
//     goroutine sipgo gives its INVITE's transaction, and once answered
//     waits for its end in a goroutine of its own.
//   - Ringing: each hop the directory gives is rung as forks: one INVITE
//     per contact (each user's newest phone before anyone's second, at
//     most max_forks in all, so one INVITE never fans out into thousands
//     of datagrams), or one to the trunk; the first answer wins and the
//     other forks are cancelled. How ringing failed (not registered, no
//     answer, busy, unavailable, anything else) goes to the directory's
//     Forwarder as an Outcome, which names the next hop or none.
//   - Media anchoring: with a media pool each side gets its own port pair
//     and package media's relay passes packets between them; without one,
//     SDP passes through. Either way an offer is checked before a leg is
//     placed and metered (400 malformed, 488 no audio): a body the far end
//     cannot parse would only fail there.
//   - Recording and its announcement: a call is recorded by config or on
//     demand (RecordCall); the announcement plays when recording starts and
//     again when a transfer brings a party in, and the recorder is tapped
//     first so the recording holds it.
//   - Credit: every chargeable leg is authorized (its first slice) before
//     the outgoing leg is placed; no credit is a 402 with a reason, and
//     the leg's CDR says refused. While the call is up the
//     credit clock renews the grants, and the call ends at the end of a
//     refused grant or at max_call_duration.
//   - Refusals: every refusal path builds a callError (a calls.Refusal:
//     code, phrase, and a Reason header so the phone can show why,
//     Retry-After when it may try again), so the handler never guesses
//     the response; the inbound leg says it (refusalHeaders).
//
// # Non-obvious decisions
//
//   - Nonces are stateless (a timestamp and a serial sealed with an HMAC)
//     and passwords are kept only as HA1: issuing a challenge stores
//     nothing, so REGISTER storms and scanners are cheap. Only a nonce that
//     authenticated a request is remembered, with its highest nonce count,
//     and a response is bound to its Request-URI, so a captured header
//     cannot be replayed for another request.
//   - Admission control refuses a new INVITE with 503 and Retry-After once
//     sip.max_setup_calls calls are being set up, and over UDP does so
//     before sipgo parses it, statelessly: refusing the excess must not
//     eat what the admitted calls need. A call leaves the count at the
//     callee's first response: waiting for a phone costs nothing.
//   - Requests over UDP leave from the UDP listener itself, whose large
//     receive buffer then gets the responses; an ephemeral socket dropped
//     trunk responses at high call rates.
//   - A 2xx never ACKed ends the call with BYE on both sides after 64×T1;
//     a leg ended by a credit cut-off ends at its granted time, not when
//     the BYEs are through; a CDR write is retried, since a lost CDR is
//     lost money.
//   - A request that names one of the organization's users must
//     authenticate even from a trunk's address; anything else from a
//     trunk's address is the carrier.
//   - Shutdown takes no new calls and lets the calls in progress go on
//     until its context ends, then hangs up every call in every state
//     (a BYE nobody answers does not hold it) and returns once each leg's
//     CDR is written with its real times, so the CDR store can close
//     after it.
//
// # Use (cmd/dialtone)
//
//	org, err := directory.NewOrganization(cfg, directory.OrganizationOptions{HA1: sip.DigestHA1(cfg.SIP.Domain),
//		Numbers: numberStore, Forwarding: forwardingStore, NumbersChanged: rentals, Logger: log})
//	sw, err := sip.New(cfg, sip.Options{Logger: log, CDRs: cdrs, Organization: org, Meter: credit, Media: pool,
//		Registrations: regStore, DataDir: dir})
//	sw.SetVoicemail(mailboxes)    // before Start
//	err = sw.Start(ctx)           // binds the listeners and serves
//	sw.SetMessageHandler(texts)   // phones' MESSAGE
//	sw.SetAgentJoin(join)         // *55 calls for the dialer
//	// on SIGHUP: org.Reload(ctx, next), then sw.Reload(next); on SIGTERM: sw.Shutdown(ctx)
//
// CheckPrompts decodes the WAV prompts a config names; check-config,
// start and reload run it, so a bad WAV is a config error at its field.
package sip
