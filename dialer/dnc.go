package dialer

import (
	"bytes"
	"fmt"
	"sort"
	"time"

	"github.com/dialtone/dialtone/internal/kv"
)

// DNCEntry is a number the organization must not call.
type DNCEntry struct {
	Number  string    `json:"number"`
	AddedAt time.Time `json:"added_at"`
}

// AddDNC adds numbers to the do-not-call list (normalized from country
// when written without +). Bad rows come back as errors; the good ones
// are taken.
func (d *Dialer) AddDNC(body []byte, isCSV bool, country string) (added []string, rowErrs []RowError, err error) {
	rows, rowErrs, err := parseDNC(body, isCSV, country) // before the lock, like leads
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	err = d.update(func(tx kv.Tx) error {
		seen := map[string]bool{}
		for _, n := range rows {
			if _, ok := d.dnc[n]; ok || seen[n] {
				continue
			}
			seen[n] = true
			if err := tx.Put(bucketDNC, n, DNCEntry{n, now}); err != nil {
				return err
			}
			added = append(added, n)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("save do-not-call list: %w", err)
	}
	for _, n := range added {
		d.dnc[n] = DNCEntry{n, now}
	}
	return added, rowErrs, nil
}

// parseDNC reads numbers as a JSON array of strings or objects with a
// phone (or number), or CSV with a phone or number column.
func parseDNC(body []byte, isCSV bool, country string) ([]string, []RowError, error) {
	var records []map[string]string
	var rowErrs []RowError
	var err error
	if isCSV {
		records, rowErrs, err = dncCSV(body)
	} else {
		records, rowErrs, err = jsonRecords(body, numberAlias)
	}
	if err != nil {
		return nil, nil, err
	}
	var out []string
	for i, rec := range records {
		if rec == nil {
			continue
		}
		n, err := normalizeNumber(rec[colPhone], country)
		if err != nil {
			rowErrs = append(rowErrs, RowError{Row: i + 1, Phone: rec[colPhone], Error: err.Error()})
			continue
		}
		out = append(out, n)
	}
	sort.Slice(rowErrs, func(a, b int) bool { return rowErrs[a].Row < rowErrs[b].Row })
	return out, rowErrs, nil
}

// numberAlias lets a DNC upload name its column number rather than phone.
var numberAlias = map[string]string{"number": colPhone}

// RemoveDNC takes a number off the list.
func (d *Dialer) RemoveDNC(number string) error {
	n, err := normalizeNumber(number, "")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.dnc[n]; !ok {
		return fmt.Errorf("%w: %s is not on the do-not-call list", ErrNotFound, n)
	}
	if err := d.update(func(tx kv.Tx) error { return tx.Delete(bucketDNC, n) }); err != nil {
		return fmt.Errorf("save do-not-call list: %w", err)
	}
	delete(d.dnc, n)
	return nil
}

// DNC lists the do-not-call list in number order.
func (d *Dialer) DNC() []DNCEntry {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]DNCEntry, 0, len(d.dnc))
	for _, e := range d.dnc {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}

// dncCSV reads a do-not-call CSV: with a header naming a phone or number
// column, or one number per line without a header.
func dncCSV(body []byte) ([]map[string]string, []RowError, error) {
	first, _, _ := bytes.Cut(bytes.TrimLeft(body, "\ufeff \t\r\n"), []byte("\n"))
	if len(first) > 0 && (first[0] == '+' || first[0] == '(' || (first[0] >= '0' && first[0] <= '9')) {
		body = append([]byte(colPhone+"\n"), body...)
	}
	return csvRecords(body, numberAlias)
}
