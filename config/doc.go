// Package config holds dialtone's YAML schema, its loader and validation,
// and the embedded demo configuration.
//
// A Config is the whole admin configuration of one organization's switch:
// the organization and its currency, the SIP listeners and call limits,
// HTTP and its tokens, roles, users, groups, numbers, trunks, billing
// (the rate deck, slices, top-up bounds), media, the webhooks target and
// Twilio. The package reads and checks it; it does not act on it: the
// switch (sip), the directory, the meter (billing), the dialer and the
// texts each take what they need from a loaded *Config, and decide
// themselves what a SIGHUP changes in them.
//
// # Where it sits
//
// At the bottom of the layers, beside money and phone, which it imports
// to check amounts and numbers; it imports no package that acts on the
// config. Nearly every package above reads it (api, billing, dialer,
// directory, messaging, sip, voicemail); cmd/dialtone loads it (serve,
// check-config, reload on SIGHUP).
//
// # Concepts
//
//   - Load and Parse: YAML into a Config with unknown fields refused
//     (a misspelt key is an error, not a setting silently ignored), then
//     defaults, then every check. All the problems of a file are returned
//     together as Errors, each a FieldError "FILE:LINE: field: problem"
//     with the field as a path from the top (users[1].role) and, for an
//     unknown field, the known one it most likely meant: the admin fixes
//     the file in one pass.
//   - Required fields: an organization id, at least one user and one
//     trunk. An empty or truncated file lacks them, and must not start (or
//     on SIGHUP replace) a switch that then refuses every call.
//   - Warnings: problems that do not stop the switch (a weak password
//     allowed with weak_password, an optional greeting that does not
//     load, plain http to a remote webhooks URL); serve logs them,
//     check-config prints them.
//   - Defaults: the Default* constants are what a file that leaves a
//     setting out gets; the Min* and Max* bounds are checked, with the
//     reason for each bound next to it.
//   - Permission rules: CheckOutsideCall is the one copy of what
//     calls.outbound, calls.international and calls.premium allow, and
//     RolePermissions what each role grants. They live here, not in
//     directory, because the loader must apply them before any Directory
//     exists (a forwarding rule to a number its owner may not call is a
//     config error: CheckForwardingPermissions); the directory, the dialer
//     and the texts call the same functions, so the dial path, the loader
//     and the API cannot disagree.
//   - Prompts: the WAV files the config names. The config only checks
//     each is a regular file (a device or FIFO would hang whoever reads
//     it) and lists them in Config.Prompts with where they are named; the
//     switch decodes them (sip.CheckPrompts, run by check-config, start
//     and reload), so the config does not import media and a bad WAV is
//     still an error at its field.
//   - CheckReload: what a SIGHUP must not apply over the running config
//     even though the new file is valid on its own: a file without
//     numbers when the running one has some (a file cut short would stop
//     renewing every rented number) unless allow_releasing_all_numbers
//     says it is meant.
//   - Demo: the embedded demo config (demo.yaml, printed by
//     `dialtone demo-config`), which serve runs when given no --config
//     (make run).
//     Its Path is DemoPath, so relative paths in it do not resolve
//     against a directory and a reload says it cannot change.
//
// Relative paths in a file (the rate deck, the data directory, prompts)
// resolve against the file's directory (ResolvePath), not the working
// directory, so the switch reads the same files wherever it starts.
//
// # Use
//
//	cfg, err := config.Load(path) // every problem, a line each: print it as it is
//	for _, w := range cfg.Warnings {
//		log.Warn("config", "warning", w)
//	}
//	// on SIGHUP:
//	next, err := config.Load(cfg.Path)
//	if err == nil {
//		err = config.CheckReload(cfg, next)
//	}
package config
