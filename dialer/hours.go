package dialer

import (
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // leads' zones must resolve on hosts without a zoneinfo database

	"github.com/dialtone/dialtone/phone"
)

// minuteOfDay parses HH:MM.
func minuteOfDay(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM)", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// check validates the window: both ends HH:MM, start before end (a
// window across midnight is not a calling window).
func (h CallingHours) check() error {
	start, err := minuteOfDay(h.Start)
	if err != nil {
		return fmt.Errorf("calling_hours.start: %w", err)
	}
	end, err := minuteOfDay(h.End)
	if err != nil {
		return fmt.Errorf("calling_hours.end: %w", err)
	}
	if start >= end {
		return fmt.Errorf("calling_hours: start %s is not before end %s", h.Start, h.End)
	}
	return nil
}

// open says whether now is inside the window in every one of zones: a
// number whose zone is ambiguous may only be called when it is calling
// time in all of them (the most restrictive window).
func (h CallingHours) open(now time.Time, zones []*time.Location) bool {
	start, err1 := minuteOfDay(h.Start)
	end, err2 := minuteOfDay(h.End)
	if err1 != nil || err2 != nil || len(zones) == 0 {
		return false
	}
	for _, z := range zones {
		local := now.In(z)
		m := local.Hour()*60 + local.Minute()
		if m < start || m >= end {
			return false
		}
	}
	return true
}

var zoneCache sync.Map // name -> *time.Location

func loadZone(name string) (*time.Location, error) {
	if z, ok := zoneCache.Load(name); ok {
		return z.(*time.Location), nil
	}
	z, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zoneCache.Store(name, z)
	return z, nil
}

// checkZone validates a lead's time zone (an IANA name).
func checkZone(name string) error {
	if name == "" || strings.EqualFold(name, "local") {
		return fmt.Errorf("time zone %q: want an IANA name like America/New_York", name)
	}
	if _, err := loadZone(name); err != nil {
		return fmt.Errorf("time zone %q: want an IANA name like America/New_York", name)
	}
	return nil
}

// numberZones are the zones libphonenumber places an E.164 number in;
// none when it does not know.
func numberZones(e164 string) []*time.Location {
	var out []*time.Location
	for _, name := range phone.TimeZones(e164) {
		if z, err := loadZone(name); err == nil {
			out = append(out, z)
		}
	}
	return out
}

// leadZones are the zones a lead's calling hours are judged in: its own
// time zone, else its number's, else (a number libphonenumber cannot
// place) the caller ID's.
func leadZones(l *Lead, callerID string) []*time.Location {
	if l.Timezone != "" {
		if z, err := loadZone(l.Timezone); err == nil {
			return []*time.Location{z}
		}
	}
	if zs := numberZones(l.Phone); len(zs) > 0 {
		return zs
	}
	return numberZones(callerID)
}
