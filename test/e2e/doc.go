// Package e2e starts the real dialtone binary on loopback ports and drives
// it with real SIP peers (sipp, baresip).
//
// The package is its tests: this file holds only the package comment, and
// every helper is in a _test.go file. The tests check the switch from the
// outside, as a phone, a carrier, the CRM and an admin see it: SIP on the
// wire, RTP through the relay, the CDRs and charges through the HTTP API,
// the CLI, the logs and /metrics. What a package can test alone (parsers,
// rules, the meter, the pacers) is tested next to its code, not here.
//
// # Where it sits
//
// Outside the layers: it imports no package of the switch but media (to
// make tones, encode and decode G.711 and read SDP in its own phones) and
// webhook (to verify the signature a CRM would), and drives the binary it
// builds. The scenarios
// sipp plays are in test/sipp/.
//
// # Concepts
//
//   - TestMain builds cmd/dialtone once per run (with the race detector
//     when E2E_RACE is set; a race the switch reports then fails the test
//     that ran it).
//   - startSwitch writes a test config (switchOpts adds users, numbers,
//     trunk settings, media, voicemail, environment hooks; Data reuses a
//     data directory for restart tests), starts `dialtone serve` on free
//     loopback ports and waits for /healthz. Cleanup stops it with SIGTERM
//     and prints the tail of its log when the test failed (or E2E_LOG is
//     set); kill ends it like a crash.
//   - The switch's helpers: api (the HTTP API with the test token), cdrs,
//     balance, reload (rewrite the config and SIGHUP), register and call
//     (sipp with digest), metric; the per-area files add theirs
//     (campaigns and agents, texts and Twilio's webhooks, registrations).
//   - Peers: sipp for scripted flows (phones, callees, the trunk and the
//     carrier); a raw UDP client for the attacks on authentication
//     (replayed credentials, guessed passwords); baresip for real softphones with audio (a WAV in,
//     both directions recorded); small sipgo phones in the tests where sipp
//     cannot hold the dialogs (an attended transfer's consultation beside
//     the original call) or a test must own its RTP sockets to check every
//     packet; headless Chromium through chromedp for the console
//     (UPDATE_SCREENSHOTS=1 refreshes the README's screenshots).
//   - TestReadmeTryIt runs the README's "Try it" commands as written, so a
//     recipe that stops working fails here first.
//
// The tests assert the legs in the CDRs (direction, class, reason,
// disposition, parents) and, for billing, forwarding and transfers, each
// leg's charge. Every port is picked free (freePort, which also keeps
// tests of one process from sharing one). A missing peer skips its test,
// except with CI=true, where it fails instead of skipping silently.
//
// # Use
//
// The whole suite takes minutes (make test runs it): while working, run
// the tests of the area you changed.
//
//	go test -count=1 -run 'TestBlindTransfer|TestForwarding' ./test/e2e/
//	E2E_LOG=1 go test -count=1 -run TestReadmeTryIt -v ./test/e2e/
package e2e
