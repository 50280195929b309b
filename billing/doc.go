// Package billing is dialtone's prepaid meter: call detail records and
// their store, the billing class of a leg (Classify), the rate deck and
// its Rater, the organization's credit and ledger, number rentals and
// text pricing. It never imports the switch or the call engine: they hand
// it plain leg facts and CDR values, and it decides the billing class and
// the price itself.
//
// # The parts of the meter
//
// NewMeter opens everything on one bbolt database and one config and
// hands out the parts; each caller keeps the one it needs behind an
// interface of its own (sip.Meter, calls.CreditMeter, messaging.Meter,
// api.Meter):
//
//   - Credit: what legs may spend, the balance minus what legs in
//     progress hold. Authorize reserves a leg's first slice
//     (billing.reservation_slice at its rate) or refuses it
//     (ErrInsufficientCredit as a *CreditError, ErrNoRate); Answered starts
//     the grant; Renew adds a slice, or grants what the balance pays, or
//     refuses and the call engine cuts the call at the end of the grant;
//     Release frees a leg that never produced a CDR. Info and InfoWithLegs
//     are /v1/balance. Reservations live in memory only: a crash releases
//     them with the legs that held them.
//   - Ledger: immutable postings and the balances they make, stored and
//     cached in memory. Every posting has an id that makes it idempotent
//     ("call:<leg>", "text:<message SID>", "rental:<number>:<period>",
//     "topup:<key>"); the same id with another amount is
//     ErrPostingConflict. TopUp, Adjust (refunds, corrections), Postings,
//     Usage and Verify (every balance recomputed from its postings).
//   - Rentals: each number's monthly rental, charged per period exactly
//     once, also for periods that fell due while the switch was down;
//     SyncNumbers follows the config, Run is the scheduler.
//   - Texts: Quote prices a text (SMS per segment, MMS per message),
//     Authorize checks it against the credit, Post charges it once by
//     its message id.
//   - Rater: the deck in force (swapped whole on Reload): a leg's rate by
//     class, origin and longest prefix; RateCDR, Rate for quotes.
//
// The Meter itself only wires: one Reload for a new config and deck, one
// set of Prometheus collectors.
//
// # One ended leg, as data
//
// The switch writes a leg's CDR to the CDRStore (OpenCDRStore(db, meter,
// log)). Its writer groups what is queued into one transaction; for each
// new CDR the meter rates it and posts its charge in that same
// transaction, keyed by the leg id, so the CDR, its charge and the
// balance change commit together or not at all, and a replayed CDR
// changes nothing. Once the transaction commits, the cached balance takes
// the charge and the leg's reservation is released in one critical
// section (balance − reserved never overstates what may be spent). The
// transaction never leaves the package: no exported API takes a
// *bbolt.Tx.
//
// # Locking
//
// Credit's lock is taken before the Ledger's, never after. Rentals runs
// one pass at a time; bbolt serializes the database's writers.
package billing
