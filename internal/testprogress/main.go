package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Elapsed    float64
	Output     string
	ImportPath string // build-output and build-fail events
}

func main() {
	names := flag.String("names", "/test/", "print each passing top-level test of the packages whose import path matches this regexp")
	flag.Parse()
	re, err := regexp.Compile(*names)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testprogress: -names:", err)
		os.Exit(2)
	}
	failed := report(os.Stdin, os.Stdout, re, time.Now)
	if failed {
		os.Exit(1)
	}
}

// report reads events from r and writes the progress to w; it returns
// whether anything failed (a test, a package, a build) or the stream held
// lines that are not events, which go test prints when it cannot run.
func report(r io.Reader, w io.Writer, names *regexp.Regexp, now func() time.Time) (failed bool) {
	start := now()
	stamp := func() string { return fmt.Sprintf("[%5.0fs]", now().Sub(start).Seconds()) }
	output := map[string]*strings.Builder{} // package + "\x00" + test -> its output so far
	// longestSub is the longest subtest of each top-level test: a test
	// whose subtests run in parallel reports only its own function's
	// time (0.0s), and its subtests' is what it took.
	longestSub := map[string]float64{}
	passed, skipped, failedTests := 0, 0, 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			fmt.Fprintln(w, string(line)) // go test's own complaint, not an event
			if strings.HasPrefix(string(line), "FAIL") || strings.Contains(string(line), "cannot") {
				failed = true
			}
			continue
		}
		key := e.Package + "\x00" + e.Test
		switch e.Action {
		case "build-output":
			fmt.Fprint(w, e.Output)
		case "build-fail":
			failed = true
			fmt.Fprintf(w, "%s FAIL %s (build)\n", stamp(), e.ImportPath)
		case "output":
			b := output[key]
			if b == nil {
				b = &strings.Builder{}
				output[key] = b
			}
			if b.Len() < 4<<20 { // a runaway log must not eat the memory of the run
				b.WriteString(e.Output)
			}
		case "pass", "skip":
			if e.Test == "" {
				fmt.Fprintf(w, "%s ok   %s (%.1fs)\n", stamp(), e.Package, e.Elapsed)
				dropPackage(output, e.Package)
				continue
			}
			if parent, _, sub := strings.Cut(e.Test, "/"); sub {
				top := e.Package + "\x00" + parent
				longestSub[top] = max(longestSub[top], e.Elapsed)
			} else {
				if e.Action == "pass" {
					passed++
				} else {
					skipped++
				}
				if names.MatchString(e.Package) {
					fmt.Fprintf(w, "%s      %s %s (%.1fs)\n", stamp(), strings.ToUpper(e.Action), e.Test, max(e.Elapsed, longestSub[key]))
				}
				delete(longestSub, key)
			}
			delete(output, key)
		case "fail":
			failed = true
			if e.Test == "" {
				if b := output[key]; b != nil {
					fmt.Fprint(w, b.String())
				}
				fmt.Fprintf(w, "%s FAIL %s (%.1fs)\n", stamp(), e.Package, e.Elapsed)
				dropPackage(output, e.Package)
				continue
			}
			if !strings.Contains(e.Test, "/") {
				failedTests++
			}
			fmt.Fprintf(w, "%s --- FAIL %s %s (%.1fs)\n", stamp(), e.Package, e.Test, e.Elapsed)
			if b := output[key]; b != nil {
				fmt.Fprint(w, indent(b.String()))
			}
			delete(output, key)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(w, "testprogress: read:", err)
		failed = true
	}
	verdict := "PASS"
	if failed {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s %s: top-level tests: %d passed, %d failed, %d skipped\n", stamp(), verdict, passed, failedTests, skipped)
	return failed
}

func dropPackage(output map[string]*strings.Builder, pkg string) {
	for k := range output {
		if strings.HasPrefix(k, pkg+"\x00") {
			delete(output, k)
		}
	}
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") + "\n"
}
