// Package sim drives the dialer's pacing (dialer/pacing, the same pacers and
// the same abandon ledger the switch uses) with simulated calls on a
// simulated clock: `dialtone dialer simulate`.
//
// It is how the pacers are judged and tuned without a carrier or agents:
// hours of a campaign run in seconds, the same for a given
// seed. It places no real call and touches no store; it simulates only
// what the pacer sees (dials, answers, agents' talk and wrap-up), not SIP,
// media, answering-machine detection or compliance.
//
// # Where it sits
//
// Above dialer/pacing, which is all of the switch it imports; it does not
// import dialer: the pacer contract is pacing's, so the simulator and the
// switch's dialer run the very same pacer code. cmd/dialtone's
// `dialer simulate` calls RunSeeds and prints the Report (JSON, or a
// table); bench/pacing_grid.sh runs the grid of agents, answer rates and
// talk times whose figures are in the README's "Predictive pacing".
//
// # Concepts
//
//   - Config: one simulated campaign: agents, the answer rate (constant,
//     or changing linearly to AnswerRateEnd: a list that decays), talk
//     time (lognormal mean and standard deviation), wrap-up, hours, the
//     mode (power or predictive) and the predictive pacer's target and
//     limit. Validate refuses what cannot be run.
//   - The call model (model.go): a dial reaches a person with the answer
//     rate after a lognormal ring delay; otherwise it rings out, is busy or
//     reaches a machine (detected perfectly, no agent used), in fixed
//     shares. A person waits for an agent at most 2 s, then is abandoned.
//   - A run: an event queue on a simulated clock (dials resolving,
//     abandons, talks and wrap-ups ending). The pacer decides on every
//     agent or call event, as in the switch, and on the clock only after a
//     decision period with nothing else happening. The run feeds the pacer
//     and the ledger what the dialer would: every outcome with its ring
//     delay, every person answered and every abandon.
//   - SeedResult and Report: utilisation (talk time ÷ logged-in time), the
//     abandon rate, the worst 15 minutes' abandon rate, connects and dials
//     per agent hour; RunSeeds runs the seeds in parallel and reports their
//     means and the worst seed's abandon rate.
//   - PowerUtilisation: the analytic utilisation of a power dialer in this
//     model (talk ÷ (talk + wrap + expected time to a live answer)), which
//     the tests hold the simulated power pacer to: a check on the
//     simulator itself.
//
// Runs are deterministic: a fixed epoch, a seeded generator, and an
// event queue ordered by time then sequence. The long statistical tests
// are left out of -race runs (the race detector slows the simulator ten
// times).
//
// # Use
//
//	rep, err := sim.RunSeeds(sim.Config{
//		Agents: 10, AnswerRate: 0.15, Hours: 4,
//		TalkMean: 120 * time.Second, TalkSD: 120 * time.Second, Wrap: 20 * time.Second,
//		Mode: "predictive", Target: 0.025,
//	}, []uint64{1, 2, 3})
package sim
