package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestReport(t *testing.T) {
	clock := time.Unix(0, 0)
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	e2e := regexp.MustCompile("/e2e")
	tests := []struct {
		name       string
		in         string
		wantFailed bool
		want, not  []string
	}{
		{
			name: "a passing e2e test is named, a unit test is not, and their logs are not shown",
			in: `{"Action":"run","Package":"x/e2e","Test":"TestCall"}
{"Action":"output","Package":"x/e2e","Test":"TestCall","Output":"noisy log\n"}
{"Action":"pass","Package":"x/e2e","Test":"TestCall","Elapsed":2.5}
{"Action":"pass","Package":"x/e2e","Elapsed":3}
{"Action":"pass","Package":"x/unit","Test":"TestSmall","Elapsed":0}
{"Action":"pass","Package":"x/unit","Elapsed":0.1}`,
			want: []string{"PASS TestCall (2.5s)", "ok   x/e2e (3.0s)", "ok   x/unit", "PASS: top-level tests: 2 passed, 0 failed, 0 skipped"},
			not:  []string{"noisy log", "TestSmall"},
		},
		{
			name: "a test whose subtests ran in parallel took as long as the longest",
			in: `{"Action":"pass","Package":"x/e2e","Test":"TestMany/one","Elapsed":4.5}
{"Action":"pass","Package":"x/e2e","Test":"TestMany/two","Elapsed":7.25}
{"Action":"pass","Package":"x/e2e","Test":"TestMany","Elapsed":0}`,
			want: []string{"PASS TestMany (7.2s)", "1 passed"},
			not:  []string{"TestMany/"},
		},
		{
			name: "a failing test shows its whole output",
			in: `{"Action":"output","Package":"x/unit","Test":"TestBad","Output":"    bad_test.go:9: want 1, got 2\n"}
{"Action":"fail","Package":"x/unit","Test":"TestBad","Elapsed":0.01}
{"Action":"output","Package":"x/unit","Output":"FAIL\n"}
{"Action":"fail","Package":"x/unit","Elapsed":0.2}`,
			wantFailed: true,
			want:       []string{"--- FAIL x/unit TestBad", "want 1, got 2", "FAIL x/unit (0.2s)", "FAIL: top-level tests: 0 passed, 1 failed, 0 skipped"},
		},
		{
			name:       "a build failure fails the run",
			in:         `{"ImportPath":"x/broken","Action":"build-output","Output":"broken.go:3: undefined: y\n"}` + "\n" + `{"ImportPath":"x/broken","Action":"build-fail"}`,
			wantFailed: true,
			want:       []string{"undefined: y", "FAIL x/broken (build)"},
		},
		{
			name:       "a line go test prints outside the stream fails the run",
			in:         "FAIL\tx/setup [setup failed]",
			wantFailed: true,
			want:       []string{"x/setup [setup failed]"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			failed := report(strings.NewReader(tc.in), &out, e2e, now)
			if failed != tc.wantFailed {
				t.Errorf("failed = %v, want %v\n%s", failed, tc.wantFailed, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, n := range tc.not {
				if strings.Contains(out.String(), n) {
					t.Errorf("output has %q:\n%s", n, out.String())
				}
			}
		})
	}
}
