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
