package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// baresip is one headless baresip softphone: audio from a WAV file, audio
// out to ALSA's null device, both directions recorded by sndfile.
type baresip struct {
	t    *testing.T
	ctrl int // ctrl_tcp port
	dir  string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

const baresipConfig = `poll_method		epoll
module_path		/usr/lib/baresip/modules
net_interface		127.0.0.1
sip_listen		127.0.0.1:%d
call_local_timeout	30
call_max_calls		4
audio_player		alsa,null
audio_source		aufile,tone.wav
audio_alert		alsa,null
audio_path		.
ausrc_format		s16
auplay_format		s16
rtp_ports		%d-%d
rtp_stats		yes
jitter_buffer_delay	5-10
module			g711.so
module			aufile.so
module			alsa.so
module			sndfile.so
snd_path		rec
module_tmp		uuid.so
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:%d
statmode_default	off
`

// startBaresip starts a softphone registered as user; extraArgs are
// passed to baresip (e.g. -e "/dial ..." -t N).
func startBaresip(t *testing.T, sw *switchProc, user, password string, extraArgs ...string) *baresip {
	t.Helper()
	return startBaresipAccount(t, sw, user, password, "regint=300", extraArgs...)
}

// startBaresipAccount is startBaresip with the account's parameters
// (e.g. "regint=5") instead of the default ones.
func startBaresipAccount(t *testing.T, sw *switchProc, user, password, params string, extraArgs ...string) *baresip {
	t.Helper()
	requireTool(t, "baresip")
	requireTool(t, "sox")
	b := &baresip{t: t, dir: t.TempDir(), log: &syncBuffer{}, done: make(chan struct{})}
	cfgDir := filepath.Join(b.dir, "cfg")
	for _, d := range []string{cfgDir, filepath.Join(b.dir, "rec")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rtp := freePort(t)
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(cfgDir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.ctrl = freePort(t)
	write("config", fmt.Sprintf(baresipConfig, freePort(t), rtp, rtp+40, b.ctrl))
	write("accounts", fmt.Sprintf("<sip:%s@127.0.0.1:%d;transport=udp>;auth_pass=%s;answermode=auto;%s;audio_codecs=pcmu\n", user, sw.sipPort, password, params))
	write("contacts", "")
	sox := exec.Command("sox", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", filepath.Join(b.dir, "tone.wav"), "synth", "12", "sine", "440", "vol", "0.5")
	if out, err := sox.CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}
	b.cmd = exec.Command("baresip", append([]string{"-f", cfgDir}, extraArgs...)...)
	b.cmd.Dir = b.dir
	b.cmd.Stdin = nil
	b.cmd.Stdout, b.cmd.Stderr = b.log, b.log
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = b.cmd.Wait(); close(b.done) }()
	t.Cleanup(func() {
		b.stop()
		if t.Failed() {
			t.Logf("baresip %s log:\n%s", user, tail(b.log.String(), 4000))
		}
	})
	return b
}

func (b *baresip) stop() {
	select {
	case <-b.done:
		return
	default:
	}
	_ = b.cmd.Process.Signal(os.Interrupt)
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
}

func (b *baresip) wait(ctx context.Context) {
	select {
	case <-b.done:
	case <-ctx.Done():
	}
}

// waitLog waits until the log matches re.
func (b *baresip) waitLog(re string, timeout time.Duration) bool {
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if rx.MatchString(b.log.String()) {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// receivedFrequency is sox's rough frequency of the audio b received.
func (b *baresip) receivedFrequency(t *testing.T) (freq int, seconds float64) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(b.dir, "rec", "dump-*-dec.wav"))
	if len(files) == 0 {
		t.Fatalf("no recording of received audio in %s", b.dir)
	}
	out, _ := exec.Command("sox", files[0], "-n", "stat").CombinedOutput()
	m := regexp.MustCompile(`Rough\s+frequency:\s+(\d+)`).FindStringSubmatch(string(out))
	l := regexp.MustCompile(`Length \(seconds\):\s+([\d.]+)`).FindStringSubmatch(string(out))
	if m == nil || l == nil {
		t.Fatalf("sox stat: %s", out)
	}
	freq, _ = strconv.Atoi(m[1])
	seconds, _ = strconv.ParseFloat(l[1], 64)
	return freq, seconds
}

func TestBaresipPhonesCallEachOtherByExtensionWithAudio(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{MediaExtra: "  record_all: true"})
	bob := startBaresip(t, sw, "bob", "bob-secret")
	if !bob.waitLog(`200 OK|registered`, 10*time.Second) {
		t.Fatalf("bob did not register:\n%s", bob.log.String())
	}
	alice := startBaresip(t, sw, "alice", "alice-secret", "-e", fmt.Sprintf("/dial sip:1002@127.0.0.1:%d", sw.sipPort), "-t", "6")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	alice.wait(ctx)
	if !strings.Contains(alice.log.String(), "Call established") && !strings.Contains(alice.log.String(), "established") {
		t.Fatalf("alice's call was not established:\n%s", alice.log.String())
	}
	legs := sw.cdrs(2)
	in, out := byDirection(t, legs)
	if in.BillingClass != "client" || out.BillingClass != "client" || in.User != "1001" || out.User != "1002" || out.ParentLegID != in.LegID {
		t.Errorf("legs of a call between users: %+v / %+v", in, out)
	}
	if in.Disposition != "answered" || in.BillableSecs < 2 {
		t.Errorf("caller leg: %+v", in)
	}
	// The switch's recording: caller left, callee right; both phones play the tone.
	if in.Recording == nil || in.Recording.Seconds < 2 {
		t.Fatalf("no recording on the caller's leg: %+v", in.Recording)
	}
	code, wav := sw.api("GET", "/v1/recordings/"+out.LegID, nil)
	if code != 200 {
		t.Fatalf("GET recording: %d %s", code, wav)
	}
	path := filepath.Join(t.TempDir(), "call.wav")
	if err := os.WriteFile(path, wav, 0o600); err != nil {
		t.Fatal(err)
	}
	for channel, name := range map[string]string{"1": "left (caller)", "2": "right (callee)"} {
		if f := wavFrequency(t, path, "remix", channel); f < 400 || f > 480 {
			t.Errorf("the switch's recording has %d Hz on the %s channel, want 440", f, name)
		}
	}
	bob.stop()
	freq, secs := bob.receivedFrequency(t)
	t.Logf("bob heard %d Hz for %.1f s", freq, secs)
	if freq < 400 || freq > 480 || secs < 2 {
		t.Errorf("bob heard %d Hz for %.1f s, want alice's 440 Hz tone", freq, secs)
	}
}

// wavFrequency is sox's rough frequency of a WAV, after sox effects.
func wavFrequency(t *testing.T, path string, effects ...string) int {
	t.Helper()
	out, _ := exec.Command("sox", append([]string{path, "-n"}, append(effects, "stat")...)...).CombinedOutput()
	m := regexp.MustCompile(`Rough\s+frequency:\s+(\d+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("sox stat %s: %s", path, out)
	}
	f, _ := strconv.Atoi(m[1])
	return f
}

// command sends one ctrl_tcp command (a netstring of JSON) and returns
// the reply.
func (b *baresip) command(cmd, params string) string {
	b.t.Helper()
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", b.ctrl), 3*time.Second)
	if err != nil {
		b.t.Fatalf("baresip ctrl: %v", err)
	}
	defer conn.Close()
	msg := fmt.Sprintf(`{"command":%q,"params":%q,"token":"t1"}`, cmd, params)
	if _, err := fmt.Fprintf(conn, "%d:%s,", len(msg), msg); err != nil {
		b.t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 4096)
	n, _ := conn.Read(buf)
	return string(buf[:n])
}

func TestBaresipBlindTransfer(t *testing.T) {
	t.Parallel()
	sw := startSwitch(t, switchOpts{})
	bob := startBaresip(t, sw, "bob", "bob-secret")
	if !bob.waitLog(`200 OK|registered`, 10*time.Second) {
		t.Fatalf("bob did not register:\n%s", bob.log.String())
	}
	carol := sw.phone(t, "1003", "carol-secret", "-sn", "uas", "-m", "1")
	caller := make(chan sippResult, 1)
	go func() { caller <- inboundToBob(t, sw, 6000) }()
	if !bob.waitLog(`Call established|established`, 10*time.Second) {
		t.Fatalf("bob did not answer:\n%s", bob.log.String())
	}
	time.Sleep(500 * time.Millisecond)
	reply := bob.command("transfer", fmt.Sprintf("sip:1003@127.0.0.1:%d", sw.sipPort))
	if r := <-caller; r.code != 0 {
		t.Fatalf("caller: %d\n%s", r.code, r.out)
	}
	if r := carol(); r.code != 0 {
		t.Fatalf("carol: %d\n%s\nbaresip said %s", r.code, r.out, reply)
	}
	assertTransferLegs(t, sw.cdrs(4),
		"inbound/trunk/pstn-inbound/direct/answered/",
		"outbound/phone/access/direct/answered/1002",
		"inbound/phone/client/transfer/answered/1002",
		"outbound/phone/client/transfer/answered/1003")
}
