// Package directory is the single place that answers who is this, may
// they do that, and where does it ring: the organization's users (found by
// extension or by name), groups, numbers and their owners, trunks (the one
// a request comes from, the one calls to the public network leave
// through) and the permissions each user's role grants.
//
// A Directory is built from one config (New) and never changes: a reload
// builds a new one and swaps it in whole, so one question never sees half
// of two configs. Callers keep the *Directory they asked first for the
// rest of what they are deciding.
//
// The package knows nothing of SIP. Package sip holds the current
// Directory (with its own sip: settings beside it), and keeps what needs
// SIP: the registrar, the routing of a request and the call logic.
//
// The permission rules themselves (what calls.outbound,
// calls.international and calls.premium allow) are config.CheckOutsideCall,
// since the config loader must apply them before any Directory exists;
// User.CheckOutsideCall and MayCallOutside apply them to users.
package directory
