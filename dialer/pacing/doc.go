// Package pacing decides how many leads a campaign dials now: the power
// (progressive) pacer, the predictive pacer, and the abandon-rate accounting
// they are held to. It is pure code on an injected clock (State.Now,
// Outcome.At): the switch's dialer and the simulator (dialer/sim) drive the
// same functions.
//
// It places no call, reads no store and knows no lead: it answers "how many
// dials now" from a snapshot of agents and calls in flight. The dialer then
// caps the answer by free leads, max_lines_per_agent, credit and
// compliance, places the calls, and reports back what happened.
//
// # Where it sits
//
// A leaf: it imports only the standard library. Package dialer adapts it
// to its own Pacer contract (dialer.Pacing; the two mirror each other
// field for field), keeps and persists each campaign's AbandonLedger, and
// asks the pacer several times a second and on every agent or call event;
// a predictive campaign gets NewPredictive on its ledger, the others the
// power pacer (cmd/dialtone passes NewPower). dialer/sim runs the same
// pacers and ledger on simulated calls.
//
// # Concepts
//
//   - State: what the dialer knows when it asks: the time, the logged-in
//     agents with their status and since when, the dials in flight (still
//     ringing, or answered and not yet known to be a person or a machine)
//     and the persons waiting for an agent.
//   - Outcome: one learned fact about a dial (human, machine, no-answer,
//     busy, failed, abandoned, agent-connected), with its RingDelay (dial
//     to the moment it left the in-flight set) and, when known, a talk's
//     duration.
//   - Pacer: Dials(State) returns how many to dial now; Observe(Outcome)
//     learns. ModeReporter says whether the last decision was progressive
//     (an agent guaranteed for every person who answers) or predictive.
//   - Power (NewPower): never more lines in flight than free agents: nobody
//     is abandoned, and agents wait for each live answer. It learns
//     nothing.
//   - Predictive (NewPredictive, PredictiveConfig): dials on a forecast
//     built from this instant's state, not a fixed ratio. For a dial placed
//     now, answered by a person at a few quantiles of the learned ring
//     delay, the forecast is the chance that fewer agents have come free
//     by then plus the abandon delay than persons answered ahead of it
//     (a sum of independent ±1 terms, one per busy agent, call in flight
//     and other dial: computed exactly up to a few dozen terms, with a
//     normal approximation beyond). Dials are placed one at a time while
//     that chance stays under a threshold θ, and θ is steered by
//     stochastic approximation so that abandons ÷ persons settles on the
//     target. Answer probability and ring delays (histograms by ring age
//     with forgetting, so a decaying list is followed) and talk and
//     wrap-up times (lognormal fits, from the agents' status changes) are
//     learned online from this campaign. The warm-up (the first persons
//     answered) is progressive, and so is the fallback that starts before
//     one more abandon could cross the limit and ends half-way between
//     target and limit: the limit is held, not repaired after the fact.
//   - AbandonLedger: a campaign's persons answered and abandons over its
//     Window (abandon_window): a rolling 30 days in hourly buckets (US:
//     the FTC's Telemarketing Sales Rule) or the current calendar day in
//     the campaign's time zone (UK: Ofcom, per 24 hours). The
//     dialer records into it in every mode (power answers count in the
//     denominator too) and persists its State (JSON) so the rate survives
//     restarts; the predictive pacer only reads it.
//   - MayRedial: a lead whose last call was abandoned is not dialled again
//     within the lockout, unless an agent is guaranteed for the call (the
//     pacer is progressive), since then it cannot be abandoned again.
//
// The pacers take the time from State and Outcome, never from the clock,
// so the simulator can run hours of a campaign in seconds and the tests
// are exact. The README's "Predictive pacing" section has the model in
// full, what it was drawn from and why (Samuelson; EIS's agent weighting;
// why not Erlang-based pacing or VICIdial's adaptive mode), and the
// figures of the pacing grid.
//
// # Use
//
//	ledger, _ := pacing.NewAbandonLedger(pacing.Window30Days, loc)
//	p := pacing.NewPredictive(pacing.PredictiveConfig{Target: 0.025, Limit: 0.03, Ledger: ledger})
//	n := p.Dials(pacing.State{Now: now, Agents: agents, InFlight: inFlight})
//	// dial up to n leads; then for each dial's outcome:
//	p.Observe(pacing.Outcome{At: at, Kind: pacing.OutcomeHuman, RingDelay: d})
//	ledger.RecordHuman(at)
package pacing
