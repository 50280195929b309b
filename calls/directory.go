package calls

import orgdir "github.com/dialtone/dialtone/directory"

// Directory is the organization's directory (who is this, where does
// this go) as a call asks it, with what of the same config a reload
// swaps in together with it: media.record_all (so that it changes with
// the users' and numbers' own record flags) and the sip: settings a
// call copies when it starts.
type Directory struct {
	*orgdir.Directory
	RecordAll bool
	Settings  Settings
}

// Records reports whether the config records a call to number (nil: a
// call to no number of the organization's) between users (extensions;
// "" for a leg of no user): record_all, the number's record flag, or a
// user's.
func (d *Directory) Records(number *orgdir.Number, users ...string) bool {
	if d.RecordAll || (number != nil && number.Record) {
		return true
	}
	for _, ext := range users {
		if u := d.User(ext); ext != "" && u != nil && u.Record {
			return true
		}
	}
	return false
}
