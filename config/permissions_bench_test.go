package config

import "testing"

// BenchmarkCheckOutsideCall is the number work of an outside call on the
// dial path: the dialed number's and the caller ID's countries and the
// premium check. It runs on every call, so libphonenumber must not.
func BenchmarkCheckOutsideCall(b *testing.B) {
	perms := map[string]bool{PermCallsOutbound: true}
	b.ReportAllocs()
	for b.Loop() {
		if r := CheckOutsideCall(perms, "+14155550100", "+12125550123"); r != nil {
			b.Fatal(r.Reason)
		}
	}
}
