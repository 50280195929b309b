package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/sip"
	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

func cmdDemoConfig(args []string, stdout, stderr io.Writer) int {
	_, _ = stdout.Write(config.DemoYAML())
	return 0
}

func cmdCheckConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: dialtone check-config FILE")
		return 2
	}
	cfg, err := loadConfigFile(args[0])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	// The rate deck is read when the switch starts: a bad one is a
	// config error too.
	if _, err := billing.DeckForConfig(cfg); err != nil {
		fmt.Fprintf(stderr, "%s: billing.rate_deck: %v\n", args[0], err)
		return 1
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	fmt.Fprintf(stdout, "%s: ok (%d users, %d numbers, %d trunks)\n", args[0], len(cfg.Users), len(cfg.Numbers), len(cfg.Trunks))
	return 0
}

// loadConfig loads --config, or the embedded demo config when it is empty.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Demo()
	}
	return loadConfigFile(path)
}

// loadConfigFile loads a config file and checks the prompts it names
// decode: what the switch could not play is a config error.
func loadConfigFile(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if err := sip.CheckPrompts(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// dataDir is --data, else the config's data_dir.
func dataDir(flagValue string, cfg *config.Config) string {
	if flagValue != "" {
		return flagValue
	}
	return cfg.ResolvePath(cfg.DataDir)
}

// errDBInUse says a running switch holds the database's lock; the
// commands that read or change the ledger then go through its API instead.
var errDBInUse = errors.New("database is in use by a running switch")

// openDB opens the switch's bbolt file; a running switch holds its lock.
func openDB(dir string, readOnly bool) (*bbolt.DB, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dir, "dialtone.db")
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, ReadOnly: readOnly})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open %s: %w", path, errDBInUse)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

func cmdCDR(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "list" {
		fmt.Fprintln(stderr, "usage: dialtone cdr list [--config FILE] [--data DIR] [--since T] [--format json|csv]")
		return 2
	}
	fs := flag.NewFlagSet("cdr list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file (default: the embedded demo config)")
	data := fs.String("data", "", "data directory (default: the config's data_dir)")
	sinceFlag := fs.String("since", "", "only legs that ended at or after: RFC 3339 time, YYYY-MM-DD, or a duration like 24h")
	format := fs.String("format", "json", "json (one object per line) or csv")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	since, err := billing.ParseSince(*sinceFlag, time.Now())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	cw, err := billing.NewCDRWriter(stdout, *format)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	return readOrAsk("cdr list", *cfgPath, *data, stderr, func(db *bbolt.DB) error {
		if err := billing.ListCDRs(db, since, cw.Write); err != nil {
			return err
		}
		return cw.Flush()
	}, func(r *remoteSwitch) error {
		q := url.Values{}
		if *sinceFlag != "" {
			q.Set("since", *sinceFlag)
		}
		if *format != "" {
			q.Set("format", *format)
		}
		out, err := r.call(http.MethodGet, "/v1/cdrs?"+q.Encode(), nil, nil)
		if err != nil {
			return err
		}
		_, err = stdout.Write(out)
		return err
	})
}

// readOrAsk runs a read-only command: local on the switch's database, or,
// while a running switch holds it, viaAPI against that switch's API.
func readOrAsk(name, cfgPath, data string, stderr io.Writer, local func(*bbolt.DB) error, viaAPI func(*remoteSwitch) error) int {
	cfg, err := loadConfig(cfgPath)
	if err != nil && data == "" {
		fmt.Fprintln(stderr, err)
		return 1
	}
	db, err := openDB(dataDir(data, cfg), true)
	if errors.Is(err, errDBInUse) && cfg != nil {
		return runViaAPI(name, cfg, stderr, viaAPI)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer db.Close()
	if err := local(db); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	return 0
}
