package dialer

import (
	"slices"
	"strings"
	"testing"
)

func TestParseLeadsCSVRowErrors(t *testing.T) {
	body := "phone,name,crm_id,timezone,plan\n" +
		"(212) 555-1234,Ann,crm-1,,gold\n" + // row 1: national, from the caller ID's country
		"+442079460000,Bob,crm-2,Europe/London,\n" + // row 2
		"not a number,Cy,crm-3,,\n" + // row 3
		",Dee,crm-4,,\n" + // row 4: no phone
		"+12125551235,Eve,crm-5,Mars/Olympus,\n" + // row 5: bad zone
		"+19005551234,Fay,crm-6,,\n" + // row 6: premium rate
		"+12125551236,Gus,crm-7,,,extra\n" + // row 7: too many fields
		"\"+12125551237\",\"Hal \"\"the\"\" caller\",crm-8,,silver\n" // row 8
	rows, errs, err := parseLeads([]byte(body), true, "US")
	if err != nil {
		t.Fatal(err)
	}
	var gotRows []int
	for _, r := range rows {
		gotRows = append(gotRows, r.Row)
	}
	if want := []int{1, 2, 8}; !equalInts(gotRows, want) {
		t.Fatalf("rows taken %v, want %v", gotRows, want)
	}
	var errRows []int
	for _, e := range errs {
		errRows = append(errRows, e.Row)
		if e.Error == "" {
			t.Errorf("row %d without a reason", e.Row)
		}
	}
	if want := []int{3, 4, 5, 6, 7}; !equalInts(errRows, want) {
		t.Fatalf("rows refused %v (%+v), want %v", errRows, errs, want)
	}
	ann := rows[0].Lead
	if ann.Phone != "+12125551234" || ann.Name != "Ann" || ann.CRMID != "crm-1" || ann.Fields["plan"] != "gold" {
		t.Fatalf("row 1: %+v", ann)
	}
	if rows[1].Lead.Timezone != "Europe/London" || rows[2].Lead.Name != `Hal "the" caller` {
		t.Fatalf("rows %+v", rows)
	}
	if !strings.Contains(errs[3].Error, "premium") {
		t.Errorf("premium refusal %q", errs[3].Error)
	}
}

func TestParseLeadsJSONRowErrors(t *testing.T) {
	body := `[
		{"phone": "+12125551234", "name": "Ann", "crm_id": 42, "fields": {"plan": "gold", "phone": "+19005551234"}},
		"+12125551235",
		{"phone": "12"},
		{"name": "no phone"},
		{"phone": "2125551236", "score": 7, "vip": true}
	]`
	rows, errs, err := parseLeads([]byte(body), false, "US")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].Row != 1 || rows[1].Row != 2 || rows[2].Row != 5 {
		t.Fatalf("rows %+v", rows)
	}
	if rows[0].Lead.CRMID != "42" || rows[0].Lead.Phone != "+12125551234" || rows[0].Lead.Fields["plan"] != "gold" {
		t.Fatalf("row 1 %+v", rows[0].Lead)
	}
	if rows[2].Lead.Fields["score"] != "7" || rows[2].Lead.Fields["vip"] != "true" {
		t.Fatalf("row 5 %+v", rows[2].Lead)
	}
	if len(errs) != 2 || errs[0].Row != 3 || errs[1].Row != 4 {
		t.Fatalf("errors %+v", errs)
	}
	if _, _, err := parseLeads([]byte(`{"phone":"+12125551234"}`), false, "US"); err == nil {
		t.Fatal("an object instead of an array was taken")
	}
}

func TestParseLeadsCSVHeader(t *testing.T) {
	for _, body := range []string{"", "name,crm_id\nAnn,1\n", "phone,phone\n+12125551234,+12125551234\n", "phone,,x\n1,2,3\n"} {
		if _, _, err := parseLeads([]byte(body), true, "US"); err == nil {
			t.Errorf("header of %q taken", body)
		}
	}
}

func TestAddLeadsMergesDuplicates(t *testing.T) {
	h := newHarness(t)
	c := h.campaign(nil)
	res, err := h.d.AddLeads(c.ID, []byte("phone,name,crm_id,plan\n2125551234,Ann,,gold\n+1 212 555 1234,,crm-1,\n+12125551299,Bob,,\n"), true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 2 || res.Merged != 1 || len(res.Leads) != 3 || !res.Leads[1].Merged {
		t.Fatalf("result %+v", res)
	}
	res, err = h.d.AddLeads(c.ID, []byte(`[{"phone":"+12125551234","name":"Ann B","plan":"platinum"}, {"phone":"x"}]`), false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 0 || res.Merged != 1 || len(res.Errors) != 1 || res.Errors[0].Row != 2 {
		t.Fatalf("result %+v", res)
	}
	ls, _ := h.d.Leads(c.ID, "")
	if len(ls) != 2 {
		t.Fatalf("leads %+v", ls)
	}
	ann := ls[0]
	if ann.Name != "Ann B" || ann.CRMID != "crm-1" || ann.Fields["plan"] != "platinum" {
		t.Fatalf("merged %+v", ann)
	}
	h.start() // merged fields survive a restart
	if l := h.lead(c.ID, "+12125551234"); l.Name != "Ann B" || l.CRMID != "crm-1" {
		t.Fatalf("after restart %+v", l)
	}
}

func FuzzParseLeadsCSV(f *testing.F) {
	f.Add([]byte("phone,name\n+12125551234,Ann\n"))
	f.Add([]byte("phone,name,crm_id,timezone\n\"2125551234\",\"A\"\"B\",1,America/New_York\n"))
	f.Add([]byte("phone\n\"unterminated\n+12125551234\n"))
	f.Add([]byte("\ufeffPhone,x\n a\"b,c\n,,,,\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		rows, errs, err := parseLeads(body, true, "US")
		if err != nil {
			return
		}
		seen := map[int]bool{}
		for _, r := range rows {
			if r.Row < 1 || seen[r.Row] || !strings.HasPrefix(r.Lead.Phone, "+") {
				t.Fatalf("row %+v", r)
			}
			seen[r.Row] = true
		}
		for _, e := range errs {
			if e.Row < 1 || seen[e.Row] || e.Error == "" {
				t.Fatalf("row error %+v (rows %v)", e, seen)
			}
			seen[e.Row] = true
		}
	})
}

func equalInts(a, b []int) bool { return slices.Equal(a, b) }

func FuzzParseLeadsJSON(f *testing.F) {
	f.Add([]byte(`[{"phone":"+12125551234","name":"Ann","fields":{"a":"b"}},"2125551235",{"phone":12}]`))
	f.Add([]byte(`[null, [], {"phone": {"x": 1}}, 7]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		rows, errs, err := parseLeads(body, false, "US")
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.Row < 1 || !strings.HasPrefix(r.Lead.Phone, "+") {
				t.Fatalf("row %+v", r)
			}
		}
		for _, e := range errs {
			if e.Row < 1 || e.Error == "" {
				t.Fatalf("row error %+v", e)
			}
		}
	})
}
