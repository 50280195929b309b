package dialer

import (
	"fmt"
	"maps"

	"github.com/dialtone/dialtone/internal/kv"
	"github.com/dialtone/dialtone/phone"
)

// ImportResult is what an upload of leads did, row by row.
type ImportResult struct {
	Added  int         `json:"added"`
	Merged int         `json:"merged"`
	Leads  []ImportRow `json:"leads"`
	Errors []RowError  `json:"errors"`
}

// ImportRow is a row that was taken.
type ImportRow struct {
	Row    int    `json:"row"`
	LeadID string `json:"lead_id"`
	Phone  string `json:"phone"`
	Merged bool   `json:"merged,omitempty"` // the number was already a lead: its fields were updated
}

// AddLeads imports leads (JSON or CSV) into a campaign, after its others
// in list order. A number that is already a lead of the campaign is
// merged into it: the new row's non-empty fields win. A running
// campaign picks the new leads up at once.
func (d *Dialer) AddLeads(campaignID string, body []byte, isCSV bool) (ImportResult, error) {
	d.mu.Lock()
	r, err := d.campaignLocked(campaignID)
	if err != nil {
		d.mu.Unlock()
		return ImportResult{}, err
	}
	callerID := r.c.CallerID
	d.mu.Unlock()
	// Parsing is libphonenumber's work (some 30 µs a row): not under the
	// lock, so a large upload does not hold up the calls in progress.
	country := phone.Country(callerID)
	rows, rowErrs, err := parseLeads(body, isCSV, country)
	if err != nil {
		return ImportResult{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.campaigns[campaignID] != r {
		return ImportResult{}, fmt.Errorf("%w: campaign %s", ErrNotFound, campaignID)
	}
	if r.c.State == CampaignStopped {
		return ImportResult{}, fmt.Errorf("%w: campaign %s is stopped", ErrConflict, campaignID)
	}
	res := ImportResult{Errors: rowErrs, Leads: []ImportRow{}}
	if res.Errors == nil {
		res.Errors = []RowError{}
	}
	var added []*Lead
	changed := map[string]*Lead{} // merged leads, by id, their new version
	err = d.update(func(tx kv.Tx) error {
		fresh := map[string]*Lead{} // numbers added by this upload
		for _, row := range rows {
			l := row.Lead
			if old := r.byPhone[l.Phone]; old != nil || fresh[l.Phone] != nil {
				if old == nil {
					old = fresh[l.Phone]
				} else if c := changed[old.ID]; c != nil {
					old = c
				}
				m := mergeLead(*old, l)
				if fresh[l.Phone] != nil {
					*fresh[l.Phone] = m
				} else {
					changed[m.ID] = &m
				}
				res.Merged++
				res.Leads = append(res.Leads, ImportRow{Row: row.Row, LeadID: m.ID, Phone: m.Phone, Merged: true})
				continue
			}
			seq, err := tx.NextSequence(bucketLeads)
			if err != nil {
				return err
			}
			l.Seq, l.CampaignID, l.State = seq, r.c.ID, LeadPending
			l.ID = fmt.Sprintf("%s_%d", r.c.ID, seq)
			nl := l
			fresh[l.Phone] = &nl
			added = append(added, &nl)
			res.Added++
			res.Leads = append(res.Leads, ImportRow{Row: row.Row, LeadID: l.ID, Phone: l.Phone})
		}
		for _, l := range added {
			if err := tx.Put(bucketLeads, seqKey(r.c.ID, l.Seq), l); err != nil {
				return err
			}
		}
		for _, l := range changed {
			if err := tx.Put(bucketLeads, seqKey(r.c.ID, l.Seq), l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, fmt.Errorf("save leads: %w", err)
	}
	for _, l := range added {
		r.addLead(l)
	}
	for id, l := range changed {
		*r.byID[id] = *l
		delete(r.zones, id)
	}
	d.dispatchLocked(r)
	return res, nil
}

// mergeLead updates a lead from a later row of the same number: what the
// row gives wins, what it leaves empty stays.
func mergeLead(old, row Lead) Lead {
	if row.Name != "" {
		old.Name = row.Name
	}
	if row.CRMID != "" {
		old.CRMID = row.CRMID
	}
	if row.Timezone != "" {
		old.Timezone = row.Timezone
	}
	if len(row.Fields) > 0 {
		f := maps.Clone(old.Fields)
		if f == nil {
			f = map[string]string{}
		}
		maps.Copy(f, row.Fields)
		old.Fields = f
	}
	return old
}

// Leads lists a campaign's leads in list order, those in state only
// when state is set.
func (d *Dialer) Leads(campaignID, state string) ([]Lead, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, err := d.campaignLocked(campaignID)
	if err != nil {
		return nil, err
	}
	out := []Lead{}
	for _, l := range r.leads {
		if state == "" || l.State == state {
			out = append(out, *l)
		}
	}
	return out, nil
}
