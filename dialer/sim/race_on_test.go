//go:build race

package sim

// raceEnabled: the race detector slows the simulator ten times; the long
// statistical runs are left to the normal test run.
const raceEnabled = true
