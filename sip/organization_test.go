package sip

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

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

// TestTheSwitchFollowsTheOrganizationsDirectoryWithItsSettings: the
// switch owns nothing of the organization. What the Organization swaps
// in (a reload, a number rented) is what the switch asks next, and the
// sip: settings beside it are that directory's config's, never another's.
func TestTheSwitchFollowsTheOrganizationsDirectoryWithItsSettings(t *testing.T) {
	s := sipSettings{ringTimeout: "20s", maxCall: "1h", vmMaxLength: "2m", vmSilence: "5s", registerMax: "1h",
		recall: true, vmDefault: true, forwardCallerID: config.ForwardCalledNumber, vmExtension: "*97", greeting: "a.wav"}
	dir := t.TempDir()
	start := settingsConfig(t, s, filepath.Join(dir, "start.yaml"))
	sw, err := New(start, Options{CDRs: discardCDRs{}, Organization: organizationOf(t, start), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if got := sw.directory().settings.voicemailExtension; got != "*97" {
		t.Fatalf("voicemail extension %q, want *97", got)
	}
	s.vmExtension, s.ringTimeout = "*98", "2s"
	sw.org.Reload(context.Background(), settingsConfig(t, s, filepath.Join(dir, "reloaded.yaml")))
	v := sw.directory()
	if v.Directory.Directory != sw.org.Directory() {
		t.Fatal("the switch asks another directory than the organization's")
	}
	if v.settings.voicemailExtension != "*98" || v.Settings.RingTimeout != 2*time.Second {
		t.Errorf("settings %+v / %+v beside the reloaded directory, want its config's (*98, 2s)", v.settings, v.Settings)
	}
	if _, err := sw.org.AddNumber(context.Background(), config.Number{Number: "+18885550199", User: "1001"}); err != nil {
		t.Fatal(err)
	}
	if sw.directory().Number("+18885550199") == nil || sw.directory().settings.voicemailExtension != "*98" {
		t.Error("after a number was rented the switch does not ring it, or lost the reloaded settings")
	}
	if first, again := sw.directory(), sw.directory(); first != again {
		t.Error("the switch derives its view again for a directory it already has")
	}
}
