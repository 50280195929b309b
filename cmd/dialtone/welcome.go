package main

import (
	"fmt"
	"io"
	"net"
	"time"

	"github.com/shopspring/decimal"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/money"
	"github.com/dialtone/dialtone/sip"
)

// printWelcome tells a newcomer what is running and how to use it: where
// to point a softphone, how to ask the API (with the demo's own token),
// where outside calls go, and why the balance is what it is.
func printWelcome(w io.Writer, cfg *config.Config, sw *sip.Switch, meter *meterAdapter, httpAddr, dir string) {
	demo := cfg.Path == config.DemoPath
	addr := sw.Addr("udp")
	if addr == "" {
		addr = sw.Addr("tcp")
	}
	fmt.Fprintf(w, "\ndialtone is running: SIP on %s (udp %s, tcp %s), data in %s\n", cfg.SIP.Domain, orNone(sw.Addr("udp")), orNone(sw.Addr("tcp")), dir)
	if httpAddr != "" {
		token := "<a token from http.tokens>"
		if demo && len(cfg.HTTP.Tokens) > 0 {
			token = cfg.HTTP.Tokens[0]
		}
		fmt.Fprintf(w, "HTTP API on http://%s, for example:\n  curl -H 'Authorization: Bearer %s' http://%s/v1/balance\n", httpAddr, token, httpAddr)
		fmt.Fprintf(w, "Console: open http://%s/ in a browser and sign in with the token (or an extension and its SIP password)\n", httpAddr)
	}
	if meter != nil {
		printCredit(w, meter.m)
	}
	fmt.Fprintf(w, "\nRegister a softphone (e.g. baresip, Linphone, Zoiper) with:\n")
	fmt.Fprintf(w, "  SIP server / proxy: %s   domain/realm: %s\n", addr, cfg.SIP.Domain)
	for _, u := range cfg.Users {
		pw := "(see the config)"
		if demo {
			pw = u.Password
		}
		fmt.Fprintf(w, "  user %-6s (%s)  username %s  password %s\n", u.Extension, u.Name, u.Extension, pw)
	}
	fmt.Fprintf(w, "Then dial another user's extension, or an E.164 number to go out through the trunk.\n")
	for _, t := range cfg.Trunks {
		transport := t.Transport
		if transport == "" {
			transport = "udp"
		}
		fmt.Fprintf(w, "Trunk %q: calls to outside numbers go to %s (%s).\n", t.Name, t.Address, transport)
		if demo {
			fmt.Fprintf(w, "  Nothing answers there until you start a stand-in carrier that answers and echoes audio:\n  sipp -sn uas -i 127.0.0.1 -p %s -rtp_echo\n", portOf(t.Address))
		}
	}
	fmt.Fprintln(w)
}

// printCredit shows the balance and, since a newcomer reads the starting
// balance in the config and a different figure in the API, what has been
// charged for the organization's numbers.
func printCredit(w io.Writer, m *billing.Meter) {
	info := m.Credit().Info()
	fmt.Fprintf(w, "Credit: %s %s available", money.Format(info.Available, info.Currency), info.Currency)
	postings, err := m.Ledger().Postings(time.Time{}, time.Time{}, 0)
	if err != nil {
		fmt.Fprintln(w)
		return
	}
	rentals := decimal.Zero
	for _, p := range postings {
		if p.Kind == billing.PostNumber {
			rentals = rentals.Add(p.Amount.Neg())
		}
	}
	if rentals.IsPositive() {
		fmt.Fprintf(w, " (the starting balance less %s %s for the monthly rental of the organization's phone numbers: see /v1/rentals)",
			money.Format(rentals, info.Currency), info.Currency)
	}
	fmt.Fprintln(w)
}

func portOf(hostport string) string {
	if _, port, err := net.SplitHostPort(hostport); err == nil {
		return port
	}
	return hostport
}
