package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `dialtone: a SIP softswitch with a built-in prepaid meter

Usage:
  dialtone serve [--config FILE] [--data DIR]   run the switch (embedded demo config without --config)
  dialtone demo-config                          print the embedded demo config
  dialtone check-config FILE                    validate a config file
  dialtone cdr list [--config FILE] [--data DIR] [--since T] [--format json|csv]
  dialtone messages list [--config FILE] [--data DIR] [--since T] [--user EXT] [--format json|csv]
  dialtone rate --config FILE --direction outbound|inbound --from E164 --to E164 --seconds N
  dialtone sms-segments TEXT
  dialtone rentals schedule --rented YYYY-MM-DD --count N
  dialtone rentals list [--config FILE] [--data DIR]
  dialtone balance [--config FILE] [--data DIR]
  dialtone topup [--config FILE] [--data DIR] --amount 10.00 --id KEY
  dialtone ledger verify [--config FILE] [--data DIR]
  dialtone rates import --provider twilio --countries US,GB --out FILE
  dialtone dialer simulate --agents N --answer-rate P [--mode power|predictive] [--format json|table]
`

type command func(args []string, stdout, stderr io.Writer) int

func commands() map[string]command {
	return map[string]command{
		"serve":        cmdServe,
		"demo-config":  cmdDemoConfig,
		"check-config": cmdCheckConfig,
		"cdr":          cmdCDR,
		"rate":         cmdRate,
		"sms-segments": cmdSMSSegments,
		"rentals":      cmdRentals,
		"balance":      cmdBalance,
		"topup":        cmdTopup,
		"ledger":       cmdLedger,
		"rates":        cmdRates,
		"dialer":       cmdDialer,
		"messages":     cmdMessages,
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		// No command is a mistake, not a request for help: say what the
		// commands are and fail, so a script that forgot one stops.
		fmt.Fprint(stderr, usage)
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "dialtone: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	return cmd(args[1:], stdout, stderr)
}
