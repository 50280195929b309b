package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser is a headless Chromium of its own (fresh profile), driven over
// the DevTools protocol.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string // http://127.0.0.1:PORT
	shot string // where screenshots go
}

func startBrowser(t *testing.T, sw *switchProc) *browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		requireTool(t, "chromium")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 900),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("mute-audio", true),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, base: fmt.Sprintf("http://127.0.0.1:%d", sw.httpPort), shot: filepath.Join(t.TempDir(), "screenshots")}
	if err := os.MkdirAll(b.shot, 0o750); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.EmulateViewport(1200, 900))
	return b
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("browser: text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (b *browser) eval(js string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("browser: %s: %v", js, err)
	}
	return s
}

// waitJS waits until the JavaScript expression is truthy.
func (b *browser) waitJS(what, js string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		_, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(100*time.Millisecond),
			chromedp.WithPollingTimeout(time.Until(deadline))))
		if err == nil {
			return
		}
		// A page that navigates (a form's redirect) ends the poll, or
		// takes away the poll's JavaScript context as it starts (seen
		// once, the page already showing what was waited for): poll the
		// next.
		navigated := strings.Contains(err.Error(), "navigated or closed") || strings.Contains(err.Error(), "Cannot find context with specified id")
		if !navigated || time.Now().After(deadline) {
			b.t.Fatalf("browser: waiting for %s: %v\npage:\n%s", what, err, b.eval(`document.body.innerText`))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *browser) open(path, waitFor string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS(waitFor)))
	b.checkPage(path)
}

// checkPage checks what every page must be: nothing loaded from
// elsewhere, every form field labelled.
func (b *browser) checkPage(path string) {
	b.t.Helper()
	if out := b.eval(`performance.getEntriesByType("resource").map(e => e.name).filter(n => !n.startsWith(location.origin)).join(" ")`); out != "" {
		b.t.Errorf("%s loaded from elsewhere: %s", path, out)
	}
	if out := b.eval(`[...document.querySelectorAll("input:not([type=hidden]), select")].filter(i => i.labels.length === 0).map(i => i.name).join(" ")`); out != "" {
		b.t.Errorf("%s has fields without a label: %s", path, out)
	}
}

// screenshot keeps the page as a test artefact, and in docs/screenshots
// when UPDATE_SCREENSHOTS is set.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	dirs := []string{b.shot}
	if os.Getenv("UPDATE_SCREENSHOTS") != "" {
		dirs = append(dirs, filepath.Join("..", "..", "docs", "screenshots"))
	}
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, "console-"+name+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
}

func (b *browser) signIn(field, value string, more ...string) {
	b.t.Helper()
	b.open("/", "#token")
	steps := []chromedp.Action[chromedp.Void]{chromedp.SendKeys(chromedp.CSS("#"+field), value)}
	for i := 0; i+1 < len(more); i += 2 {
		steps = append(steps, chromedp.SendKeys(chromedp.CSS("#"+more[i]), more[i+1]))
	}
	steps = append(steps, chromedp.Submit(chromedp.CSS("#"+field)), chromedp.WaitVisible(chromedp.CSS("header nav")))
	b.do(steps...)
}

// TestConsoleInABrowser signs in to the console in headless Chromium and
// checks that it shows what the API shows: the balance, a top-up (once
// for a double submit), a call up now and then in the log with its legs
// and charges, its recording, usage per user; and that a user without the
// permission is refused a page.
func TestConsoleInABrowser(t *testing.T) {
	t.Parallel()
	requireTool(t, "chromium")
	sw := startSwitch(t, switchOpts{Balance: "25.00", NoNumbers: true, MediaExtra: "  record_all: true",
		UserExtra: map[string]string{"1002": "    api_token: bob-token-123"}})
	b := startBrowser(t, sw)

	// Sign-in with the organization token; the balance is the API's.
	b.signIn("token", "test-token-123")
	if got := b.text("#balance"); got != "25.00 USD" {
		t.Fatalf("balance shown %q, want 25.00 USD", got)
	}
	texts := b.eval(`String(!!document.querySelector('nav a[href="/texts"]'))`)
	if code, _ := sw.api("GET", "/v1/messages", nil); (code == 200) != (texts == "true") {
		t.Errorf("the texts tab shown: %s, but GET /v1/messages answers %d", texts, code)
	}
	b.screenshot("credit")

	// On a phone's screen the page fits its width (tables scroll in their box).
	b.do(chromedp.EmulateViewport(390, 844))
	b.open("/credit", "#balance")
	if w := b.eval(`document.documentElement.scrollWidth + " of " + window.innerWidth`); !strings.HasSuffix(w, " of 390") ||
		b.eval(`String(document.documentElement.scrollWidth <= window.innerWidth)`) != "true" {
		t.Errorf("on a 390 px screen the credit page is %s px wide", w)
	}
	b.screenshot("credit-phone")
	b.do(chromedp.EmulateViewport(1200, 900))

	// A top-up through the form shows in the balance and the postings; the
	// same form posted twice (same Idempotency-Key) credits once.
	b.do(chromedp.SendKeys(chromedp.CSS("#amount"), "10"), chromedp.SendKeys(chromedp.CSS("#note"), "browser top-up"))
	b.eval(`(async () => { const f = document.getElementById("topup");
		const send = () => fetch(f.action, {method: "POST", body: new URLSearchParams(new FormData(f))});
		const rs = await Promise.all([send(), send()]); return rs.map(r => r.status).join(","); })()`)
	b.open("/credit", "#balance")
	if got := b.text("#balance"); got != "35.00 USD" {
		t.Fatalf("balance after a double-submitted top-up of 10: %q, want 35.00 USD", got)
	}
	if p := b.text("#postings"); !strings.Contains(p, "browser top-up") || strings.Count(p, "browser top-up") != 1 {
		t.Fatalf("postings:\n%s", p)
	}
	b.do(chromedp.SendKeys(chromedp.CSS("#amount"), "5"), chromedp.Click(chromedp.CSS(`#topup button`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := b.text("#balance"); got != "40.00 USD" {
		t.Fatalf("balance after a top-up of 5: %q", got)
	}

	// A call placed by sipp shows up live (server-sent events, no reload),
	// then goes, then is in the log with its legs and charges.
	b.open("/calls", "#live-count")
	trunk := startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1", "-mi", "127.0.0.1", "-mp", strconv.Itoa(freePort(t)), "-rtp_echo")
	done := make(chan sippResult, 1)
	go func() { done <- sippRTPCaller(t, sw, "+14155550199", 3000) }()
	b.waitJS("the call live", `document.getElementById("live-count").textContent === "1"`, 10*time.Second)
	if live := b.text("#live"); !strings.Contains(live, "+14155550199") {
		t.Errorf("live call: %s", live)
	}
	b.screenshot("calls-live")
	if res := <-done; res.code != 0 {
		t.Fatalf("call: sipp exit %d\n%s", res.code, res.out)
	}
	_ = trunk()
	b.waitJS("the call gone", `document.getElementById("live-count").textContent === "0"`, 10*time.Second)
	legs := sw.cdrs(2)
	in, out := byDirection(t, legs)
	b.open("/calls?number=4155550199", "#call-log details")
	b.do(chromedp.Click(chromedp.CSS("#call-log summary")), chromedp.WaitVisible(chromedp.CSS("#call-log table.legs")))
	log := b.text("#call-log")
	for _, want := range []string{in.LegID, out.LegID, "pstn-outbound", "answered", "0.02 USD"} {
		if !strings.Contains(log, want) {
			t.Errorf("the call log lacks %q:\n%s", want, log)
		}
	}
	b.screenshot("calls")

	// Its recording plays.
	b.waitJS("the recording player", `!!document.querySelector("#call-log audio")`, 2*time.Second)
	b.eval(`(() => { const a = document.querySelector("#call-log audio"); a.preload = "auto"; a.load(); a.play().catch(() => {}); return ""; })()`)
	b.waitJS("the recording to load", `(() => { const a = document.querySelector("#call-log audio"); return a.readyState >= 2 && a.duration > 1; })()`, 5*time.Second)

	// Usage filtered by user: that user's figures only.
	b.open("/usage?user=1001", "#usage-users")
	if u := b.text("#usage-users tbody"); !strings.HasPrefix(u, "1001") || strings.Contains(u, "organization") {
		t.Errorf("usage of user 1001:\n%s", u)
	}
	b.open("/usage", "#usage-users")
	if u := b.text("#usage-users tbody"); !strings.Contains(u, "1001") || !strings.Contains(u, "organization") {
		t.Errorf("usage of everyone:\n%s", u)
	}
	b.screenshot("usage")

	b.open("/phones", "#numbers")
	b.screenshot("phones")
	code, body := sw.api("POST", "/v1/campaigns", strings.NewReader(`{"name":"Spring renewals","caller_id":"+14155550100","agents":["1001","1002"]}`))
	var cp struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &cp); code != 201 || err != nil {
		t.Fatalf("create campaign: %d %s", code, body)
	}
	b.open("/campaigns", "#campaigns")
	b.do(chromedp.Click(chromedp.CSS("#campaigns a")), chromedp.WaitVisible(chromedp.CSS("#campaign-state")))
	b.screenshot("campaign")
	b.do(chromedp.Click(chromedp.CSS(`form[action$="/pause"] button`)), chromedp.WaitVisible(chromedp.CSS("#campaign-state")))
	b.waitJS("the campaign paused", `document.getElementById("campaign-state").textContent === "paused"`, 5*time.Second)

	// A user without the permission (bob, an agent, signed in with his SIP
	// password) is refused the credit page, as the API refuses his token.
	b.do(chromedp.Click(chromedp.CSS(".signout button")), chromedp.WaitVisible(chromedp.CSS("#token")))
	b.signIn("extension", "1002", "password", "bob-secret")
	b.do(chromedp.Navigate(b.base+"/credit"), chromedp.WaitVisible(chromedp.CSS("main")))
	if msg := b.text("main"); !strings.Contains(msg, "does not permit") {
		t.Fatalf("bob's credit page:\n%s", msg)
	}
	if status := b.eval(`fetch("/credit").then(r => String(r.status))`); status != "403" {
		t.Errorf("bob's credit page answered %s, want 403", status)
	}
	if code, _ := sw.api("GET", "/v1/balance", nil, "Authorization", "Bearer bob-token-123"); code != 403 {
		t.Errorf("the API gives bob's token %d for the balance, want 403", code)
	}
}
