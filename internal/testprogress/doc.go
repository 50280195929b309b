// Command testprogress turns `go test -json` into a short progress report:
// a line per package as it finishes, a line per top-level test of the
// packages named by -names as it passes, and the whole output of every
// test that fails. `make test` pipes the suite through it so that a long
// run says where it is without drowning a failure in passing tests' logs.
//
// It runs nothing itself and is not part of the switch: it reads the
// events on its standard input and imports only the standard library.
// Nothing imports it; the Makefile builds it to bin/testprogress.
//
// # What it prints
//
//   - "ok <package> (Ns)" or "FAIL <package> (Ns)" as each package ends,
//     every line stamped with the seconds since the run started;
//   - "PASS <Test>" (or SKIP) for each top-level test of a package whose
//     import path matches -names (make test passes /test/: the end-to-end
//     tests); subtests are not listed;
//   - for a failing test, "--- FAIL" and its whole output, indented; for a
//     failing package, the output it printed outside any test (a panic,
//     a TestMain's complaint);
//   - at the end, the top-level tests passed, failed and skipped, and the
//     verdict.
//
// The output of passing tests is kept only until they pass, then dropped;
// a test's kept output is capped (4 MiB) so a runaway log cannot eat the
// run's memory. A line that is not an event (go test's own complaint when
// it cannot build or run) is printed as it is and, if it says FAIL or
// cannot, fails the run, as do a build failure and a failing test.
//
// # Use
//
//	go test -json ./... | testprogress -names /test/
//
// It exits 1 when anything failed, so `set -o pipefail` makes the
// pipeline fail with the suite.
package main
