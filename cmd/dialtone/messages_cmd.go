package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/messaging"
	"github.com/dialtone/dialtone/money"
	"go.etcd.io/bbolt"
)

// cmdMessages prints the texts (each a usage record) like cdr list.
func cmdMessages(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "list" {
		fmt.Fprintln(stderr, "usage: dialtone messages list [--config FILE] [--data DIR] [--since T] [--user EXT] [--format json|csv]")
		return 2
	}
	fs := flag.NewFlagSet("messages list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file (default: the embedded demo config)")
	data := fs.String("data", "", "data directory (default: the config's data_dir)")
	sinceFlag := fs.String("since", "", "only texts created at or after: RFC 3339 time, YYYY-MM-DD, or a duration like 24h")
	user := fs.String("user", "", "only this user's texts")
	format := fs.String("format", "json", "json (one object per line) or csv")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *format != "json" && *format != "csv" {
		fmt.Fprintf(stderr, "format %q: want json or csv\n", *format)
		return 2
	}
	since, err := billing.ParseSince(*sinceFlag, time.Now())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	return readOrAsk("messages list", *cfgPath, *data, stderr, func(db *bbolt.DB) error {
		msgs, err := messaging.ListMessages(db, messaging.Filter{User: *user, Since: since})
		if err != nil {
			return err
		}
		return writeMessages(stdout, *format, msgs)
	}, func(r *remoteSwitch) error {
		q := url.Values{}
		if !since.IsZero() {
			q.Set("since", since.Format(time.RFC3339))
		}
		if *user != "" {
			q.Set("user", *user)
		}
		out, err := r.call(http.MethodGet, "/v1/messages?"+q.Encode(), nil, nil)
		if err != nil {
			return err
		}
		msgs, err := messagesFromConversations(out)
		if err != nil {
			return err
		}
		return writeMessages(stdout, *format, msgs)
	})
}

// messagesFromConversations turns the API's conversations back into the
// texts in the order the store lists them (oldest first), so the output is
// the same whether the switch is running or not.
func messagesFromConversations(body []byte) ([]*messaging.Message, error) {
	var page struct {
		Conversations []messaging.Conversation `json:"conversations"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, fmt.Errorf("read the switch's texts: %w", err)
	}
	var msgs []*messaging.Message
	for _, c := range page.Conversations {
		msgs = append(msgs, c.Messages...)
	}
	sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].Created.Before(msgs[j].Created) })
	return msgs, nil
}

func writeMessages(w io.Writer, format string, msgs []*messaging.Message) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		for _, m := range msgs {
			if err := enc.Encode(m); err != nil {
				return err
			}
		}
		return nil
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"created_at", "id", "direction", "kind", "from", "to", "user", "state", "segments", "charge", "sid", "error_code"})
	for _, m := range msgs {
		charge := ""
		if m.Charge != nil {
			charge = money.Format(*m.Charge, "")
		}
		_ = cw.Write([]string{m.Created.Format(time.RFC3339), m.ID, string(m.Direction), m.Kind, m.From, m.To, m.User,
			string(m.State), strconv.Itoa(m.Segments), charge, m.SID, strconv.Itoa(m.ErrorCode)})
	}
	cw.Flush()
	return cw.Error()
}
