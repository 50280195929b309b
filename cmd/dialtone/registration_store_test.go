package main

import (
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/dialtone/dialtone/sip"
)

func TestRegistrationStoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	db, err := openDB(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	store := registrationStore{db}
	if got, err := store.LoadRegistrations(); err != nil || len(got) != 0 {
		t.Fatalf("an empty store: %v, %v", got, err)
	}
	at := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	desk := sip.Registration{
		RegistrationKey: sip.RegistrationKey{User: "1001", Binding: "instance:<urn:uuid:00000000-0000-1000-8000-000a95a0e128>;reg-id=1"},
		Contact:         "sip:1001@192.168.1.20:5062;transport=udp", Source: "198.51.100.7:40112", Transport: "udp",
		Expires: at.Add(time.Hour), Registered: at, Instance: "<urn:uuid:00000000-0000-1000-8000-000a95a0e128>", RegID: "1",
		UserAgent: "Yealink SIP-T46U", CallID: "a84b4c76e66710", CSeq: 3,
	}
	soft := sip.Registration{
		RegistrationKey: sip.RegistrationKey{User: "1001", Binding: "sip:1001@10.0.0.5:5060"},
		Contact:         "sip:1001@10.0.0.5:5060", Source: "203.0.113.9:5060", Transport: "tcp",
		Expires: at.Add(10 * time.Minute), Registered: at, CallID: "x", CSeq: 1,
	}
	bob := sip.Registration{RegistrationKey: sip.RegistrationKey{User: "1002", Binding: "sip:1002@10.0.0.6"}, Contact: "sip:1002@10.0.0.6", Expires: at}
	if err := store.SaveRegistrations([]sip.Registration{desk, soft, bob}, nil); err != nil {
		t.Fatal(err)
	}
	// A restart: the same file opened again.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = openDB(dir, false); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store = registrationStore{db}
	load := func() []sip.Registration {
		t.Helper()
		got, err := store.LoadRegistrations()
		if err != nil {
			t.Fatal(err)
		}
		sort.Slice(got, func(i, j int) bool { return got[i].Contact < got[j].Contact })
		return got
	}
	if got, want := load(), []sip.Registration{soft, desk, bob}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after reopening:\n got %+v\nwant %+v", got, want)
	}
	desk.CSeq, desk.Expires = 4, at.Add(2*time.Hour)
	if err := store.SaveRegistrations([]sip.Registration{desk}, []sip.RegistrationKey{bob.RegistrationKey, soft.RegistrationKey}); err != nil {
		t.Fatal(err)
	}
	if got, want := load(), []sip.Registration{desk}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after a refresh and two deletes:\n got %+v\nwant %+v", got, want)
	}
}
