// Command dialtone is a telephony softswitch with its meter built in.
//
// The command is the top of the layers: it wires the packages together
// and parses flags, and holds no call, billing or dialling logic of its
// own. What it does hold is what only the binary can: the bbolt file
// and the small stores over it that the lower packages ask for through
// interfaces, the adapters that let packages which must not import each
// other meet, the signals, and the CLI.
//
// # Commands
//
//   - serve: run the switch on --config (the embedded demo config without
//     one) with its data in --data (else the config's data_dir).
//   - demo-config, check-config: print the demo config; load a file with
//     every check the switch runs at start (the prompts decoded too) and
//     print its errors and warnings.
//   - cdr list, messages list, balance, topup, ledger verify, rentals
//     list: the books. While a switch holds the database's lock, the
//     commands that read or change the ledger (balance, topup, ledger
//     verify, cdr list, rentals list) ask its HTTP API instead
//     (remote.go), so an admin need not stop the switch to look at them.
//   - rate, sms-segments, rentals schedule: the meter's rules on given
//     facts, without a store.
//   - rates import: a rate deck from Twilio's Pricing API
//     (billing/priceimport), written through a temporary file so a failed
//     import never leaves half a deck where a config points.
//   - dialer simulate: the pacers on simulated calls (dialer/sim).
//
// No command is a mistake, not a request for help: dialtone without one
// prints the usage and exits 2, so a script that forgot one stops.
//
// # What serve wires, in order (serve.go)
//
//  1. The process: the open-files limit raised to its ceiling (every TCP
//     connection, call socket and recording is a descriptor); the
//     collector's pace and the soft memory limit (memory_limit, by
//     default a share of the machine's memory unless GOMEMLIMIT is set;
//     set again on SIGHUP), memory returned when idle.
//  2. The bbolt file, one for everything; the Prometheus registry.
//  3. The meter (billing.Meter: credit, ledger, rentals, texts) and the
//     CDR store, which rates and charges each leg as its CDR is stored.
//  4. The organization (directory.NewOrganization: the config with the
//     numbers and forwarding rules set through the API, kept in bbolt
//     here; each new set of numbers told to the meter's rentals); the
//     switch (sip.New) reading it, with the media pool when media.anchor
//     is on, the meter's Credit and the registrations kept in bbolt; the
//     mailboxes (voicemail.New, their index in bbolt); the numbers'
//     rentals started.
//  5. The webhook outbox; the dialer, driving package calls' engine,
//     which places its legs on the switch's Host (calls.HostNetwork on
//     sw.CallHost(); dialer_engine.go adapts calls.Engine to
//     dialer.Engine, reads each ended leg's charge back from its CDR and
//     hands *55 legs to the dialer); the texts service, installed as the
//     switch's MESSAGE handler.
//  6. The HTTP API (api.New) with the console mounted at /, and /metrics
//     there behind the token or on http.metrics_listen; then the welcome
//     that tells a newcomer where to point a softphone and why the
//     balance is what it is.
//
// SIGHUP reloads the config file: a file with any error, or one that
// would release every rented number (config.CheckReload), is refused
// whole and the switch keeps the config it runs; otherwise the meter,
// the tokens (before the switch logs the reload, so a revoked token is
// refused from then on), the organization (which tells the rentals its
// numbers) and the switch take it. SIGTERM or SIGINT stops
// new calls, lets the calls in progress go on for --shutdown-grace (30 s),
// then hangs up and bills every one, and closes the CDR store only after
// every leg's CDR is written.
//
// # Use
//
//	make run                                  # bin/dialtone serve on the demo config, data in ./data
//	dialtone serve --config dialtone.yaml --data data
//	dialtone check-config dialtone.yaml
//	dialtone balance --config dialtone.yaml   # asks the running switch when it holds the file
package main
