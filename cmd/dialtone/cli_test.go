package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/config"
)

// runCLI runs a dialtone command in-process and returns its output and exit code.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestRentalsScheduleNamesWhatIsWrong(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"a valid day lists its renewals", []string{"--rented", "2026-01-31", "--count", "2"}, 0, "2026-02-28\n2026-03-30\n", ""},
		{"a day that does not exist is named", []string{"--rented", "2026-02-30"}, 2, "", `rentals schedule: --rented: "2026-02-30" is not a date: day out of range` + "\n"},
		{"a month that does not exist is named", []string{"--rented", "2026-13-01"}, 2, "", `rentals schedule: --rented: "2026-13-01" is not a date: month out of range` + "\n"},
		{"something else is named", []string{"--rented", "31/01/2026"}, 2, "", `rentals schedule: --rented: "31/01/2026" is not a date (YYYY-MM-DD)` + "\n"},
		{"a missing day is said", nil, 2, "", "rentals schedule: --rented: missing: the rental day, YYYY-MM-DD\n"},
		{"a count of 0 is refused", []string{"--rented", "2026-01-31", "--count", "0"}, 2, "", "rentals schedule: --count 0: want at least 1 renewal to list\n"},
		{"a negative count is refused", []string{"--rented", "2026-01-31", "--count", "-3"}, 2, "", "rentals schedule: --count -3: want at least 1 renewal to list\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, append([]string{"rentals", "schedule"}, tt.args...)...)
			if code != tt.code || out != tt.stdout || errOut != tt.stderr {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out, errOut, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

func TestTopUpCommandBoundsAndFormatsTheAmount(t *testing.T) {
	data := t.TempDir()
	tests := []struct {
		amount string
		code   int
		want   string // in stdout (code 0) or stderr
	}{
		{"0.001", 2, "amount 0.001 has 3 decimals; USD has 2"},
		{"1e30", 2, "is above the maximum of 10000.00 USD (billing.max_topup)"},
		{"1e-10", 2, "has 10 decimals"},
		{"-5", 2, "amount -5 is not positive"},
		{"10", 0, `"amount": "10.00"`},
	}
	for _, tt := range tests {
		t.Run(tt.amount, func(t *testing.T) {
			out, errOut, code := runCLI(t, "topup", "--data", data, "--amount", tt.amount, "--id", "k-"+tt.amount)
			got := errOut
			if tt.code == 0 {
				got = out
			}
			if code != tt.code || !strings.Contains(got, tt.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d with %q", code, out, errOut, tt.code, tt.want)
			}
		})
	}
	// The demo's starting balance 25 plus the one accepted top-up, as a person reads it.
	out, _, code := runCLI(t, "balance", "--data", data)
	if code != 0 || !strings.Contains(out, `"balance": "35.00"`) || !strings.Contains(out, `"reserved": "0.00"`) {
		t.Fatalf("balance: exit %d\n%s", code, out)
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	demo := string(config.DemoYAML())
	// lineOf is the line of the demo config that holds sub, so the errors'
	// line numbers follow the demo as it grows.
	lineOf := func(sub string) string {
		i := strings.Index(demo, sub)
		if i < 0 {
			t.Fatalf("the demo config has no %q", sub)
		}
		return strconv.Itoa(strings.Count(demo[:i], "\n") + 1)
	}
	tests := []struct {
		name, file, content string
		code                int
		stdout, stderr      string
	}{
		{name: "the demo is ok", file: "demo.yaml", content: demo, stdout: "demo.yaml: ok (2 users, 1 numbers, 1 trunks)\n"},
		{name: "an empty file is not", file: "empty.yaml", content: "", code: 1, stderr: "empty.yaml:1: organization.id: missing"},
		{name: "a typo is named with the field meant", file: "typo1.yaml", content: strings.Replace(demo, "    role: agent", "    rol: agent", 1), code: 1,
			stderr: "typo1.yaml:" + lineOf("    role: agent") + `: users[1].rol: unknown field (in User): did you mean "role"?`},
		{name: "a trunk port with a letter O", file: "port.yaml", content: strings.Replace(demo, "address: 127.0.0.1:5080", "address: 127.0.0.1:5O80", 1), code: 1,
			stderr: "port.yaml:" + lineOf("address: 127.0.0.1:5080") + `: trunks[0].address: "127.0.0.1:5O80": port "5O80" is not a number from 1 to 65535`},
		{name: "a memory limit too small to run in", file: "mem.yaml", content: strings.Replace(demo, "memory_limit: 75%", "memory_limit: 16MiB", 1), code: 1,
			stderr: "mem.yaml:" + lineOf("memory_limit: 75%") + ": memory_limit: 16MiB is out of range (64MiB or more, or off)"},
		{name: "a memory limit without a unit", file: "mem2.yaml", content: strings.Replace(demo, "memory_limit: 75%", "memory_limit: 300", 1), code: 1,
			stderr: "mem2.yaml:" + lineOf("memory_limit: 75%") + `: memory_limit: "300" is not a memory size (like 512MiB, 2GiB or 75%, or off)`},
		{name: "a missing rate deck", file: "deck.yaml", content: strings.Replace(demo, "rate_deck: sample", "rate_deck: nowhere.csv", 1), code: 1,
			stderr: "deck.yaml: billing.rate_deck:"},
		{name: "a weak password is a warning", file: "weak.yaml", content: strings.Replace(demo, "password: bob-secret", "password: \"1234\"\n    weak_password: true", 1),
			stdout: "weak.yaml: ok", stderr: "warning: " + filepath.Join(dir, "weak.yaml") + ":" + lineOf("password: bob-secret") + ": users[1].password: shorter than 8 characters, accepted because of weak_password: true\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(tt.file, tt.content)
			out, errOut, code := runCLI(t, "check-config", path)
			if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out, errOut, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}
