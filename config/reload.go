package config

import "fmt"

// CheckReload refuses a new config that a SIGHUP must not apply over the
// running one even though it is valid on its own: one that would stop
// renewing every number the organization rents (a file cut short after
// the users, say) unless it says allow_releasing_all_numbers: true.
func CheckReload(running, next *Config) error {
	if len(running.Numbers) > 0 && len(next.Numbers) == 0 && !next.AllowReleasingAllNumbers {
		return fmt.Errorf("%s: numbers: the file has no numbers; reloading it would release all %d the organization rents (set allow_releasing_all_numbers: true to mean it)",
			next.Path, len(running.Numbers))
	}
	return nil
}
