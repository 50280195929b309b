// Package dialer runs outbound calling campaigns: campaigns, leads,
// agents and attempts, the compliance checks before every dial (calling
// hours, do-not-call, attempts, permissions), the webhooks that report
// them, and their HTTP API. It drives the call engine through the Engine
// interface and keeps everything in the switch's store.
//
// It places no SIP and touches no RTP itself: legs are the Engine's
// (package calls, on the switch's SIP legs), rating is the meter's (a
// lead's leg is an ordinary outbound leg with reason dialer and the
// attempt's tags in its CDR), and the rules of a hand-dialled call are
// config.CheckOutsideCall's, the same copy the switch uses.
//
// # Where it sits
//
// Under api and cmd/dialtone, over the engine it does not import: Engine
// and Directory are interfaces the binary implements (cmd/dialtone adapts
// calls.Engine, reading each ended leg's charge back from its CDR; wires
// the switch's *55 hook to AgentJoined; registers Collectors in
// /metrics); api mounts Routes behind its authentication. It imports dialer/pacing (how many to dial), dialer/amd
// (answering-machine detection), internal/kv and webhook (records and
// events in one transaction), config (permission rules), phone (numbers
// and their time zones), media (loading a WAV to play), jsonbody, and
// billing only for the meter's no-credit error.
//
// # Concepts
//
//   - Campaign: a list of leads dialled for agents, with its settings
//     (mode power or predictive, calling hours, ring timeout, wrap-up,
//     attempts, retry_after, caller ID, voicemail drop; for predictive the
//     abandon target, limit, window, message and lockout, and AMD), a
//     state (draft, running, paused, stopped) and a short number agents
//     dial (*55<number>).
//   - Lead: a number to call with the CRM's fields, imported as JSON or
//     CSV row by row (a bad row is refused with its row number, the good
//     ones taken, a number already in the campaign merged into its lead),
//     and a state: pending, dialing, done or blocked with a reason.
//   - Before every dial: the do-not-call list, max_attempts, retry_after,
//     the calling hours in the lead's time zone (every zone of its number
//     when it has none), and the agent's permission to call it. DNC and
//     permission block the lead; hours and retry_after only leave it for
//     later.
//   - Attempt: one dial of a lead, with its outcome (answered, no-answer,
//     busy, failed, vm-left, canceled, blocked, abandoned, machine,
//     interrupted), times, the CDR's leg id and charge, reported by an
//     attempt.completed webhook written in the same transaction.
//   - Agent session: a user who dialled *55 or was rung through the API,
//     whose leg the engine keeps alive with comfort silence between leads;
//     states joining, ready, dialing, talking, wrap-up, paused; keys on
//     the call (## next lead, ** leave the voicemail drop, # and * after a
//     call) arrive as engine events.
//   - Power: each ready agent gets the next eligible lead, leased to that
//     agent alone before the call leaves (two agents never get one lead,
//     even across a restart), and hears it ring.
//   - Predictive: leads dialled for the campaign as pacing.Predictive
//     forecasts; a person who answers goes to the agent who has waited
//     longest, and is abandoned (the abandon message plays, 9 opts out to
//     the DNC list) when nobody takes them within AbandonAfter; the
//     campaign's pacing.AbandonLedger is recorded in every mode and
//     persisted, so the abandon rate survives restarts.
//   - AMD (predictive only): the lead's decoded audio goes to dialer/amd;
//     a machine is hung up, given the voicemail drop after its beep, or
//     sent to an agent. A machine verdict is acted on only once it cannot
//     turn out to be a person who answered with a sentence: hanging up on
//     a person is the costly error.
//
// # Non-obvious decisions
//
//   - No credit is not a refusal: Originate wraps ErrNoCredit (the meter's
//     own error) apart from ErrRefused, because a lead the balance cannot
//     pay pauses the campaign (reason credit) instead of being marked
//     blocked like a lead the agent may not call: a top-up fixes the one,
//     not the other.
//   - An overloaded switch is not a failed lead: Originate wraps
//     ErrOverloaded when the switch's admission control
//     (sip.max_setup_calls) has no place for another call in setup, as it
//     answers a phone's INVITE 503. The attempt is interrupted (it never
//     left, so it does not count), the lead stays pending, and the
//     campaign dials nothing for a second: offering the next lead at once
//     would only be turned away too.
//   - Locking: the dialer calls the Engine while holding its own lock (a
//     leg's events must not be handled before the dialer knows the leg),
//     so the Engine must not wait for an event to be consumed and must call
//     AgentJoined without holding a lock those methods take (engine.go
//     keeps the full list of contract changes and why).
//   - Restarts: New loads the records and recovers: campaigns keep their
//     state, attempts in flight become interrupted and their leads are
//     eligible again, agents' sessions end (their calls died with the
//     process).
//   - Time: a Clock (wall clock in production, a manual one in tests), so
//     wrap-up, retry_after and calling hours are tested without sleeping.
//   - Without an Engine (media anchoring off) campaigns and leads can be
//     managed, not dialled.
//
// # Use
//
//	d, err := dialer.New(dialer.Options{Store: kv.NewBolt(db), Engine: engine,
//		Directory: dialer.ConfigDirectory{Config: running.Load}, Outbox: outbox,
//		NewPacer: func(dialer.Campaign) dialer.Pacer { return dialer.Pacing(pacing.NewPower()) },
//		LoadAudio: dialer.DirAudio(dataDir)})
//	d.Start(ctx)         // follows the engine's events and dials until ctx ends
//	d.Routes(mux)        // /v1/campaigns, /v1/dnc (behind api's auth)
//	sw.SetAgentJoin(...) // the switch's *55 calls d.AgentJoined
//
// The README's "Campaigns (power dialer)" and "Predictive pacing" sections
// have the API, the defaults and the measured figures.
package dialer
