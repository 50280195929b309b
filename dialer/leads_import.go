package dialer

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/dialtone/dialtone/phone"
)

// MaxImportBytes bounds one leads or DNC upload.
const MaxImportBytes = 16 << 20

// MaxImportRows bounds the rows of one upload.
const MaxImportRows = 200_000

// RowError is a row of an upload that was refused, numbered from 1: a
// JSON array's first element and the first CSV line after the header are
// row 1.
type RowError struct {
	Row   int    `json:"row"`
	Phone string `json:"phone,omitempty"`
	Error string `json:"error"`
}

// leadRow is a row of an upload that parsed: the lead's fields as given,
// its phone normalized to E.164.
type leadRow struct {
	Row  int
	Lead Lead
}

// The columns of a lead that are not extra fields.
const (
	colPhone    = "phone"
	colName     = "name"
	colCRMID    = "crm_id"
	colTimezone = "timezone"
)

// parseLeads reads a leads upload, JSON (an array of objects) or CSV
// (a header line naming the columns, phone required), and normalizes the
// numbers from country (the caller ID's). Rows that fail come back as
// errors with their row number; the others as rows.
func parseLeads(body []byte, isCSV bool, country string) ([]leadRow, []RowError, error) {
	var records []map[string]string
	var rowErrs []RowError
	var err error
	if isCSV {
		records, rowErrs, err = csvRecords(body, nil)
	} else {
		records, rowErrs, err = jsonRecords(body, nil)
	}
	if err != nil {
		return nil, nil, err
	}
	var rows []leadRow
	for i, rec := range records {
		if rec == nil { // refused while reading
			continue
		}
		l, err := leadOf(rec, country)
		if err != nil {
			rowErrs = append(rowErrs, RowError{Row: i + 1, Phone: rec[colPhone], Error: err.Error()})
			continue
		}
		rows = append(rows, leadRow{Row: i + 1, Lead: l})
	}
	sort.Slice(rowErrs, func(a, b int) bool { return rowErrs[a].Row < rowErrs[b].Row })
	return rows, rowErrs, nil
}

// leadOf builds a lead from one record.
func leadOf(rec map[string]string, country string) (Lead, error) {
	number := strings.TrimSpace(rec[colPhone])
	if number == "" {
		return Lead{}, errors.New("phone is missing")
	}
	e164, err := normalizeNumber(number, country)
	if err != nil {
		return Lead{}, err
	}
	if phone.IsPremium(e164) {
		return Lead{}, fmt.Errorf("%s is a premium-rate number: the dialer does not call those", e164)
	}
	l := Lead{Phone: e164, Name: rec[colName], CRMID: rec[colCRMID], Timezone: strings.TrimSpace(rec[colTimezone])}
	if l.Timezone != "" {
		if err := checkZone(l.Timezone); err != nil {
			return Lead{}, err
		}
	}
	for k, v := range rec {
		switch k {
		case colPhone, colName, colCRMID, colTimezone:
			continue
		}
		if l.Fields == nil {
			l.Fields = map[string]string{}
		}
		l.Fields[k] = v
	}
	return l, nil
}

// normalizeNumber makes a number E.164: as written when it starts with
// +, else read as a national number of country.
func normalizeNumber(s, country string) (string, error) {
	if country == "" && !strings.HasPrefix(s, "+") {
		return "", fmt.Errorf("%q has no country code and the caller ID's country is unknown", s)
	}
	return phone.Normalize(s, country)
}

// csvRecords reads CSV with a header line (columns named in aliases are
// renamed). A row the CSV reader cannot parse, or with more fields than
// the header, is a row error.
func csvRecords(body []byte, aliases map[string]string) ([]map[string]string, []RowError, error) {
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("CSV header: %w", err)
	}
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if a, ok := aliases[h]; ok {
			h = a
		}
		if h == "" {
			return nil, nil, fmt.Errorf("CSV header: column %d has no name", i+1)
		}
		if seen[h] {
			return nil, nil, fmt.Errorf("CSV header: column %q twice", h)
		}
		seen[h] = true
		cols[i] = h
	}
	if !seen[colPhone] {
		return nil, nil, errors.New("CSV header: no phone column")
	}
	var records []map[string]string
	var rowErrs []RowError
	for row := 1; ; row++ {
		fields, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if row > MaxImportRows {
			return nil, nil, fmt.Errorf("more than %d rows: split the upload", MaxImportRows)
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			rowErrs = append(rowErrs, RowError{Row: row, Error: perr.Err.Error()})
			records = append(records, nil)
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("CSV row %d: %w", row, err)
		}
		if len(fields) > len(cols) {
			rowErrs = append(rowErrs, RowError{Row: row, Error: fmt.Sprintf("%d fields, the header has %d", len(fields), len(cols))})
			records = append(records, nil)
			continue
		}
		rec := make(map[string]string, len(cols))
		for i, f := range fields {
			rec[cols[i]] = strings.TrimSpace(f)
		}
		records = append(records, rec)
	}
	return records, rowErrs, nil
}

// jsonRecords reads a JSON array of numbers as strings, or of objects
// whose values are strings or numbers (a phone or crm_id written as a
// number is taken as its digits); keys named in aliases are renamed.
func jsonRecords(body []byte, aliases map[string]string) ([]map[string]string, []RowError, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, nil, fmt.Errorf("want a JSON array of leads or CSV with a header line: %w", err)
	}
	if len(raw) > MaxImportRows {
		return nil, nil, fmt.Errorf("more than %d rows: split the upload", MaxImportRows)
	}
	records := make([]map[string]string, len(raw))
	var rowErrs []RowError
	for i, m := range raw {
		rec, err := jsonRecord(m)
		if err != nil {
			rowErrs = append(rowErrs, RowError{Row: i + 1, Error: err.Error()})
			continue
		}
		for from, to := range aliases {
			if v, ok := rec[from]; ok && rec[to] == "" {
				rec[to] = v
				delete(rec, from)
			}
		}
		records[i] = rec
	}
	return records, rowErrs, nil
}

func jsonRecord(m json.RawMessage) (map[string]string, error) {
	var phone string
	if json.Unmarshal(m, &phone) == nil { // a bare number
		return map[string]string{colPhone: strings.TrimSpace(phone)}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(m))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, errors.New("want a number or an object like {\"phone\": \"+15551234567\"}")
	}
	rec := make(map[string]string, len(obj))
	for k, v := range obj {
		k = strings.ToLower(k)
		if k == "fields" { // {"fields": {...}}: the extra fields nested
			extra, ok := v.(map[string]any)
			if !ok {
				return nil, errors.New("fields: want an object of strings")
			}
			for fk, fv := range extra {
				switch fk {
				case colPhone, colName, colCRMID, colTimezone:
					continue // not an extra field: a nested one may not set the lead's own
				}
				s, err := scalar(fv)
				if err != nil {
					return nil, fmt.Errorf("fields.%s: %w", fk, err)
				}
				rec[fk] = s
			}
			continue
		}
		s, err := scalar(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		rec[k] = strings.TrimSpace(s)
	}
	return rec, nil
}

func scalar(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return strconv.FormatBool(v), nil
	case nil:
		return "", nil
	}
	return "", errors.New("want a string or a number")
}

// isCSVUpload says whether a request body is CSV: by its Content-Type,
// else by not starting like JSON.
func isCSVUpload(contentType string, body []byte) bool {
	ct := strings.ToLower(contentType)
	switch {
	case strings.Contains(ct, "csv"):
		return true
	case strings.Contains(ct, "json"):
		return false
	}
	t := bytes.TrimSpace(body)
	return len(t) == 0 || (t[0] != '[' && t[0] != '{')
}
