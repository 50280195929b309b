package sip

import (
	"testing"
	"time"
)

// Before parsing, a new INVITE is refused at the limit, or when it waited
// over maxSocketWait in the socket while half the limit is in setup; one
// answering a challenge only a quarter over the limit, or after twice the
// wait. A late INVITE with little in setup is a pause, not overload.
func TestAdmissionBeforeParsing(t *testing.T) {
	tests := []struct {
		name             string
		limit            int
		settingUp        int
		waited           time.Duration
		answersChallenge bool
		refuse, late     bool
	}{
		{name: "room and read on time", limit: 8, settingUp: 7},
		{name: "a fresh INVITE at the limit", limit: 8, settingUp: 8, refuse: true},
		{name: "an answer to a challenge at the limit", limit: 8, settingUp: 8, answersChallenge: true},
		{name: "an answer to a challenge a quarter over", limit: 8, settingUp: 10, answersChallenge: true, refuse: true},
		{name: "a fresh INVITE that waited just the allowance", limit: 8, settingUp: 4, waited: maxSocketWait},
		{name: "a fresh INVITE that waited longer", limit: 8, settingUp: 4, waited: maxSocketWait + time.Millisecond, refuse: true, late: true},
		{name: "a late INVITE while the switch is not busy (a pause)", limit: 8, settingUp: 3, waited: time.Second},
		{name: "a late INVITE with nothing in setup", limit: 8, waited: time.Second},
		{name: "an answer to a challenge that waited longer", limit: 8, settingUp: 4, waited: maxSocketWait + time.Millisecond, answersChallenge: true},
		{name: "an answer to a challenge that waited over twice as long", limit: 8, settingUp: 4, waited: 2*maxSocketWait + time.Millisecond, answersChallenge: true, refuse: true, late: true},
		{name: "a limit of one is busy with one in setup", limit: 1, settingUp: 1, waited: time.Second, refuse: true},
		{name: "a limit of one has no reserve", limit: 1, settingUp: 1, answersChallenge: true, refuse: true},
		{name: "no limit admits however late", limit: 0, settingUp: 100, waited: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAdmission(tt.limit)
			a.inFlight.Store(int64(tt.settingUp))
			refuse, late := a.refuseBeforeParsing(tt.waited, tt.answersChallenge)
			if refuse != tt.refuse || late != tt.late {
				t.Errorf("refuse %t late %t, want %t %t", refuse, late, tt.refuse, tt.late)
			}
			// Past parsing, the switch admits by the same count.
			if refuse && !late && a.acquireFor(tt.answersChallenge) != nil {
				t.Errorf("refused before parsing, but admitted after")
			}
			if !refuse && a.acquireFor(tt.answersChallenge) == nil {
				t.Errorf("admitted before parsing, refused after")
			}
		})
	}
}
