package billing

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"
	"go.etcd.io/bbolt"
)

// ErrPostingConflict means a posting id was reused for a different amount,
// account or kind: a bug or a replay of something else, never a retry.
var ErrPostingConflict = errors.New("posting conflict")

// PostingKind says what a posting is for.
type PostingKind string

// Posting kinds.
const (
	PostTopUp      PostingKind = "topup"
	PostCall       PostingKind = "call"
	PostNumber     PostingKind = "number"
	PostText       PostingKind = "text"
	PostRefund     PostingKind = "refund"
	PostCorrection PostingKind = "correction"
)

var postingKinds = []PostingKind{PostTopUp, PostCall, PostNumber, PostText, PostRefund, PostCorrection}

// Posting is one immutable ledger entry. Amount is signed as it changes
// the balance: top-ups and refunds are positive, charges negative. A
// mistake is fixed by a new correction posting, never by an edit.
type Posting struct {
	ID      string            `json:"id"`
	Account string            `json:"account"`
	Kind    PostingKind       `json:"kind"`
	Amount  decimal.Decimal   `json:"amount"`
	Time    time.Time         `json:"time"`
	Ref     string            `json:"ref,omitempty"` // leg id, message id, number
	User    string            `json:"user,omitempty"`
	Note    string            `json:"note,omitempty"`
	Meta    map[string]string `json:"meta,omitempty"`
	Seq     uint64            `json:"seq"`
	// Balance is the account's balance right after this posting.
	Balance decimal.Decimal `json:"balance"`

	// currency, when set (as the meter lists postings), makes the JSON
	// print amounts with its decimals; the stored form leaves it out.
	currency string
}

// Buckets of the ledger (the CDR store owns the others in the file).
var (
	bucketPostings = []byte("ledger_postings") // posting id -> Posting JSON
	bucketBalances = []byte("ledger_balances") // account -> balance as a decimal string
	bucketRentals  = []byte("ledger_rentals")  // E.164 number -> Rental JSON
)

// Ledger is the organization's postings and balances: stored in bbolt,
// and the balances cached in memory (loaded at open) so that reading one
// never touches the disk. Postings are immutable; each is keyed by an id
// that makes it idempotent. A posting is written in a transaction
// (postTx), together with whatever else must commit with it (a CDR, a
// rental), and the cache follows once it commits (apply); the organization's
// own posts (TopUp, Adjust) do both.
type Ledger struct {
	db      *bbolt.DB
	account string // the organization's
	log     *slog.Logger
	now     func() time.Time

	mu         sync.Mutex
	currency   string
	balances   map[string]decimal.Decimal
	lowBalance decimal.Decimal
	low        bool
	maxTopUp   decimal.Decimal

	postings *prometheus.CounterVec
}

// openLedger creates the ledger's buckets in db for account's
// organization and loads the balances.
func openLedger(db *bbolt.DB, account string, log *slog.Logger, now func() time.Time) (*Ledger, error) {
	l := &Ledger{db: db, account: account, log: log, now: now}
	if !db.IsReadOnly() { // readers (the CLI next to a stopped switch) see what exists
		err := db.Update(func(tx *bbolt.Tx) error {
			for _, b := range [][]byte{bucketPostings, bucketBalances, bucketRentals} {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return fmt.Errorf("create bucket %s: %w", b, err)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("open ledger: %w", err)
		}
	}
	var err error
	if l.balances, err = l.storedBalances(); err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	l.initMetrics()
	return l, nil
}

// postTx writes p in tx unless a posting with its id exists. A replay of
// the same posting returns the stored one and replay=true; the same id
// with another account, kind or amount is ErrPostingConflict. On error
// nothing has been written. The cache follows with apply once tx commits.
func (l *Ledger) postTx(tx *bbolt.Tx, p Posting) (stored Posting, replay bool, err error) {
	if p.ID == "" || p.Account == "" {
		return Posting{}, false, errors.New("posting needs an id and an account")
	}
	postings, balances := tx.Bucket(bucketPostings), tx.Bucket(bucketBalances)
	if postings == nil || balances == nil {
		return Posting{}, false, errors.New("ledger buckets missing")
	}
	id := []byte(p.ID)
	if v := postings.Get(id); v != nil {
		var old Posting
		if err := json.Unmarshal(v, &old); err != nil {
			return Posting{}, false, fmt.Errorf("decode posting %s: %w", p.ID, err)
		}
		if old.Account != p.Account || old.Kind != p.Kind || !old.Amount.Equal(p.Amount) {
			return old, false, fmt.Errorf("posting %s: %s of %s to %s was first posted as %s of %s to %s: %w",
				p.ID, p.Kind, p.Amount, p.Account, old.Kind, old.Amount, old.Account, ErrPostingConflict)
		}
		return old, true, nil
	}
	bal, err := storedBalance(balances, p.Account)
	if err != nil {
		return Posting{}, false, err
	}
	p.Balance = bal.Add(p.Amount)
	if p.Seq, err = postings.NextSequence(); err != nil {
		return Posting{}, false, fmt.Errorf("posting %s: %w", p.ID, err)
	}
	if p.Time.IsZero() {
		p.Time = time.Now()
	}
	p.Time = p.Time.UTC()
	v, err := p.appendJSON(make([]byte, 0, 256))
	if err != nil {
		return Posting{}, false, fmt.Errorf("encode posting %s: %w", p.ID, err)
	}
	if err := balances.Put([]byte(p.Account), []byte(p.Balance.String())); err != nil {
		return Posting{}, false, fmt.Errorf("posting %s: store balance: %w", p.ID, err)
	}
	if err := postings.Put(id, v); err != nil {
		// Undo the balance so that the caller's transaction stays
		// consistent if it commits anyway.
		_ = balances.Put([]byte(p.Account), []byte(bal.String()))
		return Posting{}, false, fmt.Errorf("posting %s: store: %w", p.ID, err)
	}
	return p, false, nil
}

func storedBalance(balances *bbolt.Bucket, account string) (decimal.Decimal, error) {
	v := balances.Get([]byte(account))
	if v == nil {
		return decimal.Zero, nil
	}
	d, err := decimal.NewFromString(string(v))
	if err != nil {
		return decimal.Zero, fmt.Errorf("account %s: stored balance %q: %w", account, v, err)
	}
	return d, nil
}

// balanceTx reads an account's balance as of tx, including what tx has
// posted so far.
func (l *Ledger) balanceTx(tx *bbolt.Tx, account string) (decimal.Decimal, error) {
	b := tx.Bucket(bucketBalances)
	if b == nil {
		return decimal.Zero, nil
	}
	return storedBalance(b, account)
}

// storedBalances reads every account's stored balance.
func (l *Ledger) storedBalances() (map[string]decimal.Decimal, error) {
	out := map[string]decimal.Decimal{}
	err := l.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketBalances)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			d, err := decimal.NewFromString(string(v))
			if err != nil {
				return fmt.Errorf("account %s: stored balance %q: %w", k, v, err)
			}
			out[string(k)] = d
			return nil
		})
	})
	return out, err
}

// postingFilter selects postings; zero fields select all.
type postingFilter struct {
	Account  string
	From, To time.Time // [From, To)
	Kind     PostingKind
	Limit    int // the newest Limit postings
}

func (f postingFilter) match(p *Posting) bool {
	return (f.Account == "" || p.Account == f.Account) &&
		(f.Kind == "" || p.Kind == f.Kind) &&
		(f.From.IsZero() || !p.Time.Before(f.From)) &&
		(f.To.IsZero() || p.Time.Before(f.To))
}

// list lists the postings f selects in posting order.
func (l *Ledger) list(f postingFilter) ([]Posting, error) {
	var out []Posting
	err := l.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketPostings)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var p Posting
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("decode posting %s: %w", k, err)
			}
			if f.match(&p) {
				out = append(out, p)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list postings: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	return out, nil
}

// Difference is an account whose stored (or cached) balance is not the
// sum of its postings.
type Difference struct {
	Account  string          `json:"account"`
	Stored   decimal.Decimal `json:"stored"`
	Computed decimal.Decimal `json:"computed"`
	// Memory is the ledger's cached balance.
	Memory decimal.Decimal `json:"memory"`
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	Accounts    int                        `json:"accounts"`
	Postings    int                        `json:"postings"`
	Balances    map[string]decimal.Decimal `json:"balances"`
	Differences []Difference               `json:"differences"`

	currency string // when set, amounts print with its decimals
}

// OK reports whether every balance matched.
func (r *VerifyReport) OK() bool { return len(r.Differences) == 0 }

// verifyStored recomputes every balance from its postings in one
// consistent read and compares it with the stored balance.
func (l *Ledger) verifyStored() (*VerifyReport, error) {
	rep := &VerifyReport{Balances: map[string]decimal.Decimal{}}
	err := l.db.View(func(tx *bbolt.Tx) error {
		postings, balances := tx.Bucket(bucketPostings), tx.Bucket(bucketBalances)
		if postings == nil || balances == nil {
			return nil
		}
		computed := map[string]decimal.Decimal{}
		err := postings.ForEach(func(k, v []byte) error {
			var p Posting
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("decode posting %s: %w", k, err)
			}
			rep.Postings++
			computed[p.Account] = computed[p.Account].Add(p.Amount)
			return nil
		})
		if err != nil {
			return err
		}
		stored := map[string]decimal.Decimal{}
		err = balances.ForEach(func(k, v []byte) error {
			d, err := decimal.NewFromString(string(v))
			if err != nil {
				return fmt.Errorf("account %s: stored balance %q: %w", k, v, err)
			}
			stored[string(k)] = d
			return nil
		})
		if err != nil {
			return err
		}
		for acct := range computed {
			if _, ok := stored[acct]; !ok {
				stored[acct] = decimal.Zero
			}
		}
		for acct, s := range stored {
			c := computed[acct]
			rep.Balances[acct] = s
			if !s.Equal(c) {
				rep.Differences = append(rep.Differences, Difference{Account: acct, Stored: s, Computed: c, Memory: s})
			}
		}
		rep.Accounts = len(stored)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify ledger: %w", err)
	}
	sort.Slice(rep.Differences, func(i, j int) bool { return rep.Differences[i].Account < rep.Differences[j].Account })
	return rep, nil
}

// appendJSON encodes p as encoding/json would, without reflection: posting
// is on the hot path of every charged leg.
func (p *Posting) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, p.ID)
	b = append(b, `,"account":`...)
	b = appendJSONString(b, p.Account)
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, string(p.Kind))
	b = append(b, `,"amount":"`...)
	b = append(b, p.Amount.String()...)
	b = append(b, `","time":"`...)
	b = p.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	for _, f := range [...]struct{ name, v string }{{"ref", p.Ref}, {"user", p.User}, {"note", p.Note}} {
		if f.v != "" {
			b = append(b, `,"`...)
			b = append(b, f.name...)
			b = append(b, `":`...)
			b = appendJSONString(b, f.v)
		}
	}
	if len(p.Meta) > 0 {
		m, err := json.Marshal(p.Meta)
		if err != nil {
			return nil, err
		}
		b = append(b, `,"meta":`...)
		b = append(b, m...)
	}
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, p.Seq, 10)
	b = append(b, `,"balance":"`...)
	b = append(b, p.Balance.String()...)
	return append(b, `"}`...), nil
}

func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7F || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
