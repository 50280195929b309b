package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/billing/priceimport"
	"github.com/dialtone/dialtone/config"
)

// loadConfigAndDeck loads --config (or the demo config) and its rate deck.
func loadConfigAndDeck(path string) (*config.Config, *billing.Deck, error) {
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, nil, err
	}
	deck, err := billing.DeckForConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, deck, nil
}

func printJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// newFlags makes a subcommand's flag set that reports to stderr.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func cmdRate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("rate", stderr)
	cfgPath := fs.String("config", "", "config file (default: the embedded demo config)")
	direction := fs.String("direction", "outbound", "outbound, inbound or client")
	from := fs.String("from", "", "calling number (E.164); for outbound, the caller ID whose country is the origin")
	to := fs.String("to", "", "called number (E.164); for inbound, the org's number")
	seconds := fs.Int64("seconds", 60, "billable seconds")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || *seconds < 0 {
		fmt.Fprintln(stderr, "usage: dialtone rate --config FILE --direction outbound|inbound --from E164 --to E164 --seconds N")
		return 2
	}
	req := billing.RateRequest{From: *from, To: *to, Seconds: *seconds}
	switch *direction {
	case "outbound":
		req.Class, req.CallerID = billing.ClassPSTNOutbound, *from
	case "inbound":
		req.Class, req.PhoneNumber = billing.ClassPSTNInbound, *to
	case "client":
		req.Class = billing.ClassClient
	default:
		fmt.Fprintf(stderr, "rate: direction %q is not outbound, inbound or client\n", *direction)
		return 2
	}
	cfg, deck, err := loadConfigAndDeck(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	q, err := billing.NewRater(deck, cfg.Numbers).Rate(req)
	if err != nil {
		fmt.Fprintf(stderr, "rate: %v\n", err)
		return 1
	}
	printJSON(stdout, q)
	return 0
}

func cmdSMSSegments(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: dialtone sms-segments TEXT")
		return 2
	}
	printJSON(stdout, billing.Segments(strings.Join(args, " ")))
	return 0
}

func cmdRentals(args []string, stdout, stderr io.Writer) int {
	const use = "usage: dialtone rentals schedule --rented YYYY-MM-DD --count N\n       dialtone rentals list [--config FILE] [--data DIR]"
	if len(args) == 0 {
		fmt.Fprintln(stderr, use)
		return 2
	}
	switch args[0] {
	case "schedule":
		fs := newFlags("rentals schedule", stderr)
		rented := fs.String("rented", "", "rental day, YYYY-MM-DD")
		count := fs.Int("count", 12, "renewals to list")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "rentals schedule: unexpected argument %q\n%s\n", fs.Arg(0), use)
			return 2
		}
		day, err := parseDay(*rented)
		if err != nil {
			fmt.Fprintf(stderr, "rentals schedule: --rented: %v\n", err)
			return 2
		}
		if *count < 1 {
			fmt.Fprintf(stderr, "rentals schedule: --count %d: want at least 1 renewal to list\n", *count)
			return 2
		}
		for _, d := range billing.RenewalDates(day, *count) {
			fmt.Fprintln(stdout, d.Format(time.DateOnly))
		}
		return 0
	case "list":
		return withMeter("rentals list", args[1:], stderr, func(m *billing.Meter, _ *config.Config) int {
			rs, err := m.Rentals().List()
			if err != nil {
				fmt.Fprintln(stderr, err)
				return 1
			}
			if rs == nil {
				rs = []billing.Rental{}
			}
			printJSON(stdout, rs)
			return 0
		}, func(r *remoteSwitch) error {
			out, err := r.call(http.MethodGet, "/v1/rentals", nil, nil)
			if err != nil {
				return err
			}
			return printIndented(stdout, out)
		}, nil)
	}
	fmt.Fprintln(stderr, use)
	return 2
}

// parseDay reads a YYYY-MM-DD flag, naming the value and what is wrong
// with it (2026-02-30: day out of range).
func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("missing: the rental day, YYYY-MM-DD")
	}
	day, err := time.Parse(time.DateOnly, s)
	if err != nil {
		var pe *time.ParseError
		if errors.As(err, &pe) && pe.Message != "" {
			return time.Time{}, fmt.Errorf("%q is not a date%s", s, pe.Message)
		}
		return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
	}
	return day, nil
}

// withMeter opens the switch's database and the meter on it, then runs fn.
// While a switch holds the database, it runs viaAPI against that switch's
// API instead (nil: the command needs the database). extra adds command
// flags.
func withMeter(name string, args []string, stderr io.Writer, fn func(*billing.Meter, *config.Config) int, viaAPI func(*remoteSwitch) error, extra func(*flag.FlagSet)) int {
	fs := newFlags(name, stderr)
	cfgPath := fs.String("config", "", "config file (default: the embedded demo config)")
	data := fs.String("data", "", "data directory (default: the config's data_dir)")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", name, fs.Arg(0))
		return 2
	}
	cfg, deck, err := loadConfigAndDeck(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	db, err := openDB(dataDir(*data, cfg), false)
	if errors.Is(err, errDBInUse) && viaAPI != nil {
		return runViaAPI(name, cfg, stderr, viaAPI)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	m, err := billing.NewMeter(db, cfg, deck, billing.WithLogger(log))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return fn(m, cfg)
}

// runViaAPI runs a command against the running switch that holds the
// database, saying so on stderr so that stdout stays the command's answer.
func runViaAPI(name string, cfg *config.Config, stderr io.Writer, viaAPI func(*remoteSwitch) error) int {
	r, err := newRemoteSwitch(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	fmt.Fprintf(stderr, "%s: the switch is running; asking its API at %s\n", name, r.base)
	if err := viaAPI(r); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	return 0
}

func cmdBalance(args []string, stdout, stderr io.Writer) int {
	return withMeter("balance", args, stderr, func(m *billing.Meter, _ *config.Config) int {
		printJSON(stdout, m.Credit().Info())
		return 0
	}, func(r *remoteSwitch) error {
		out, err := r.call(http.MethodGet, "/v1/balance", nil, nil)
		if err != nil {
			return err
		}
		return printIndented(stdout, out)
	}, nil)
}

func cmdTopup(args []string, stdout, stderr io.Writer) int {
	var amount, id, note *string
	return withMeter("topup", args, stderr, func(m *billing.Meter, _ *config.Config) int {
		if *id == "" || *amount == "" {
			fmt.Fprintln(stderr, "usage: dialtone topup [--config FILE] [--data DIR] --amount 10.00 --id KEY [--note TEXT]")
			return 2
		}
		a, err := decimal.NewFromString(*amount)
		if err != nil {
			fmt.Fprintf(stderr, "topup: amount %q is not a number\n", *amount)
			return 2
		}
		p, replay, err := m.Ledger().TopUp(context.Background(), *id, a, *note)
		if errors.Is(err, billing.ErrBadAmount) {
			fmt.Fprintf(stderr, "topup: %v\n", err)
			return 2
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		printJSON(stdout, billing.TopUpResult{ID: p.ID, Amount: p.Amount, Currency: m.Ledger().Currency(), Note: p.Note, Time: p.Time, Balance: p.Balance, Replayed: replay})
		return 0
	}, func(r *remoteSwitch) error {
		if *id == "" || *amount == "" {
			return errors.New("--amount and --id are required")
		}
		a, err := decimal.NewFromString(*amount)
		if err != nil {
			return fmt.Errorf("amount %q is not a number", *amount)
		}
		body := map[string]any{"amount": a.String()}
		if *note != "" {
			body["note"] = *note
		}
		out, err := r.call(http.MethodPost, "/v1/topups", body, map[string]string{"Idempotency-Key": *id})
		if err != nil {
			return err
		}
		return printIndented(stdout, out)
	}, func(fs *flag.FlagSet) {
		amount = fs.String("amount", "", "amount to credit, e.g. 10.00")
		id = fs.String("id", "", "idempotency key: the same key never credits twice")
		note = fs.String("note", "", "note kept with the top-up")
	})
}

func cmdLedger(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, "usage: dialtone ledger verify [--config FILE] [--data DIR]")
		return 2
	}
	return withMeter("ledger verify", args[1:], stderr, func(m *billing.Meter, _ *config.Config) int {
		rep, err := m.Ledger().Verify()
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		if rep.Differences == nil {
			rep.Differences = []billing.Difference{}
		}
		printJSON(stdout, rep)
		if !rep.OK() {
			fmt.Fprintf(stderr, "ledger verify: %d account(s) whose balance is not the sum of their postings\n", len(rep.Differences))
			return 1
		}
		return 0
	}, func(r *remoteSwitch) error {
		out, err := r.call(http.MethodGet, "/v1/ledger/verify", nil, nil)
		if err != nil {
			return err
		}
		var rep billing.VerifyReport
		if err := json.Unmarshal(out, &rep); err != nil {
			return fmt.Errorf("decode the verify report: %w", err)
		}
		if err := printIndented(stdout, out); err != nil {
			return err
		}
		if !rep.OK() {
			return fmt.Errorf("%d account(s) whose balance is not the sum of their postings", len(rep.Differences))
		}
		return nil
	}, nil)
}

func cmdRates(args []string, stdout, stderr io.Writer) int {
	const use = "usage: dialtone rates import --provider twilio [--countries US,GB] --out FILE"
	if len(args) == 0 || args[0] != "import" {
		fmt.Fprintln(stderr, use)
		return 2
	}
	fs := newFlags("rates import", stderr)
	provider := fs.String("provider", "twilio", "price list to import (twilio)")
	countries := fs.String("countries", "", "comma-separated ISO country codes (default: every country)")
	out := fs.String("out", "", "deck CSV to write (- for stdout)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *provider != "twilio" || *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, use)
		return 2
	}
	var list []string
	for _, c := range strings.Split(*countries, ",") {
		if c = strings.TrimSpace(c); c != "" {
			list = append(list, strings.ToUpper(c))
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	deck, err := priceimport.Twilio(priceimport.TwilioOptions{Countries: list, Logger: log})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	scope := "all countries"
	if len(list) > 0 {
		scope = strings.Join(list, ", ")
	}
	comments := []string{
		fmt.Sprintf("Imported from Twilio's Pricing API on %s for %s.", time.Now().UTC().Format(time.DateOnly), scope),
		"Voice is billed per started minute, rounded up to the cent. The Pricing API has no MMS prices:",
		"add mms-out and mms-in rows by hand.",
	}
	if err := writeDeck(*out, stdout, deck, comments); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stderr, "rates import: %d rows\n", deck.Len())
	return 0
}

// writeDeck writes through a temporary file so that a failed import never
// leaves half a deck where a config points.
func writeDeck(path string, stdout io.Writer, deck *billing.Deck, comments []string) error {
	if path == "-" {
		return deck.WriteCSV(stdout, comments...)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".deck-*.csv")
	if err != nil {
		return fmt.Errorf("write deck: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := deck.WriteCSV(tmp, comments...); err != nil {
		tmp.Close()
		return fmt.Errorf("write deck: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write deck: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write deck: %w", err)
	}
	return nil
}
