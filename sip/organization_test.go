package sip

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/dialtone/dialtone/config"
	orgdir "github.com/dialtone/dialtone/directory"
)

// organizationOf is cfg's organization as cmd/dialtone builds it for the
// switch, with what the API sets kept in memory.
func organizationOf(tb testing.TB, cfg *config.Config) *orgdir.Organization {
	tb.Helper()
	org, err := orgdir.NewOrganization(cfg, orgdir.OrganizationOptions{HA1: DigestHA1(cfg.SIP.Domain),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	return org
}

// reloadSwitch applies cfg as cmd/dialtone's reload does: the
// organization first, then the switch.
func reloadSwitch(t *testing.T, sw *Switch, cfg *config.Config) {
	t.Helper()
	sw.org.Reload(context.Background(), cfg)
	if err := sw.Reload(cfg); err != nil {
		t.Fatal(err)
	}
}
