package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dialtone/dialtone/dialer/sim"
)

// dialerCommands are the `dialtone dialer` subcommands.
var dialerCommands = map[string]command{
	"simulate": cmdDialerSimulate,
}

const dialerUsage = `Usage:
  dialtone dialer simulate --agents N --answer-rate P [--answer-rate-end P2] [--talk-mean 120s] [--talk-sd 120s]
                           [--wrap 20s] [--hours 4] [--seeds 1,2,3] [--mode power|predictive] [--target 0.025]
                           [--format json|table]
`

func cmdDialer(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, dialerUsage)
		return 2
	}
	cmd, ok := dialerCommands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "dialtone dialer: unknown command %q\n\n%s", args[0], dialerUsage)
		return 2
	}
	return cmd(args[1:], stdout, stderr)
}

// cmdDialerSimulate runs the pacing on simulated calls (dialer/sim) and
// prints the figures per seed and their means.
func cmdDialerSimulate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("dialer simulate", stderr)
	agents := fs.Int("agents", 0, "agents logged in all the time")
	answer := fs.Float64("answer-rate", 0, "probability that a dial reaches a person")
	answerEnd := fs.Float64("answer-rate-end", 0, "the probability at the end of the run (linear from --answer-rate); default: constant")
	talkMean := fs.Duration("talk-mean", 120*time.Second, "mean talk time (lognormal)")
	talkSD := fs.Duration("talk-sd", 120*time.Second, "talk time's standard deviation")
	wrap := fs.Duration("wrap", 20*time.Second, "wrap-up time after each talk (fixed)")
	hours := fs.Float64("hours", 4, "simulated hours")
	seedList := fs.String("seeds", "1,2,3", "comma-separated seeds, one run each")
	mode := fs.String("mode", "predictive", "power or predictive")
	target := fs.Float64("target", 0.025, "abandon target of the predictive pacer (the limit is 3 %)")
	format := fs.String("format", "json", "json or table")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	seeds, err := parseSeeds(*seedList)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err == nil && *format != "json" && *format != "table" {
		err = fmt.Errorf("format %q: want json or table", *format)
	}
	if err != nil {
		fmt.Fprintf(stderr, "dialtone dialer simulate: %v\n", err)
		return 2
	}
	cfg := sim.Config{
		Agents: *agents, AnswerRate: *answer, AnswerRateEnd: *answerEnd,
		TalkMean: *talkMean, TalkSD: *talkSD, Wrap: *wrap, Hours: *hours,
		Mode: *mode, Target: *target,
	}
	rep, err := sim.RunSeeds(cfg, seeds)
	if err != nil {
		fmt.Fprintf(stderr, "dialtone dialer simulate: %v\n", err)
		return 2
	}
	if *format == "table" {
		printSimulation(stdout, rep)
		return 0
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		fmt.Fprintf(stderr, "dialtone dialer simulate: %v\n", err)
		return 1
	}
	return 0
}

func parseSeeds(s string) ([]uint64, error) {
	var seeds []uint64
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("seeds %q: %w", s, err)
		}
		seeds = append(seeds, n)
	}
	return seeds, nil
}

func printSimulation(w io.Writer, rep sim.Report) {
	fmt.Fprintf(w, "%-6s %11s %9s %12s %10s %12s\n", "seed", "utilisation", "abandon", "connects/ah", "dials/ah", "worst 15min")
	for _, s := range rep.Seeds {
		fmt.Fprintf(w, "%-6d %10.1f%% %8.2f%% %12.1f %10.1f %11.1f%%\n", s.Seed, 100*s.Utilisation, 100*s.AbandonRate,
			s.ConnectsPerAgentHour, s.DialsPerAgentHour, 100*s.Worst15MinAbandonRate)
	}
	fmt.Fprintf(w, "%-6s %10.1f%% %8.2f%% %12.1f   (%s, %d agents; worst seed's abandon rate %.2f%%)\n", "mean",
		100*rep.Utilisation, 100*rep.AbandonRate, rep.ConnectsPerAgentHour, rep.Mode, rep.Agents, 100*rep.AbandonRateMaxSeed)
}
