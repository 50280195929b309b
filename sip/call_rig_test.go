package sip

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/internal/cputime"
	"github.com/dialtone/dialtone/media"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// callRig is a switch in process with media anchored, a phone (a sipgo
// UA on its own UDP port) and a trunk (a sipgo UAS on its own UDP port
// that answers every INVITE with SDP and every BYE with 200): enough to
// place whole calls over loopback without sipp.
type callRig struct {
	sw    *Switch
	phone *sipgo.DialogUA
	// inviteSources gets the source address of each INVITE the trunk takes.
	inviteSources chan string
	// ringing: the trunk sends 180 Ringing before its 200, as carriers
	// (and sipp's uas) do, so the switch relays it to the phone.
	ringing bool
}

const rigConfig = `organization:
  id: rig
sip:
  domain: 127.0.0.1
  udp: 127.0.0.1:0
  tcp: ""
  max_setup_calls: 1000000
roles:
  - name: agent
    permissions: [calls.inbound, calls.outbound, calls.international]
users:
  - extension: "1001"
    password: alice-secret
    role: agent
    caller_ids: ["+14155550100"]
    max_calls: 1000000
numbers:
  - number: "+14155550100"
    user: "1001"
trunks:
  - name: carrier
    address: %s
    allowed_sources: [127.0.0.1]
`

const rigOffer = "v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
const rigAnswer = "v=0\r\no=trunk 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

func newCallRig(tb testing.TB) *callRig { return newCallRigRinging(tb, false) }

func newCallRigRinging(tb testing.TB, ringing bool) *callRig {
	tb.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	rig := &callRig{inviteSources: make(chan string, 1024), ringing: ringing}
	trunkAddr := rig.startTrunk(tb)

	sw := startRigSwitch(tb, fmt.Sprintf(rigConfig, trunkAddr), 30000, quiet)
	tb.Cleanup(func() { _ = sw.Shutdown(context.Background()) })
	rig.sw = sw
	rig.phone = startRigPhone(tb)
	return rig
}

// startTrunk serves the fake trunk and returns its address.
func (rig *callRig) startTrunk(tb testing.TB) string {
	tb.Helper()
	return serveRigUA(tb, func(srv *sipgo.Server, cli *sipgo.Client, port int) {
		dialogs := sipgo.NewDialogServerCache(cli, sip.ContactHeader{Address: sip.Uri{Host: "127.0.0.1", Port: port}})
		srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
			select {
			case rig.inviteSources <- req.Source():
			default:
			}
			d, err := dialogs.ReadInvite(req, tx)
			if err != nil {
				return
			}
			defer d.Close()
			if rig.ringing {
				_ = d.Respond(180, "Ringing", nil)
			}
			_ = d.RespondSDP([]byte(rigAnswer))
			<-d.Context().Done() // until the BYE
		})
		srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = dialogs.ReadAck(req, tx) })
		srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) { _ = dialogs.ReadBye(req, tx) })
	})
}

// startRigPhone is a phone's dialog UA, sending and receiving on its own
// UDP port.
func startRigPhone(tb testing.TB) *sipgo.DialogUA {
	tb.Helper()
	var phone *sipgo.DialogUA
	serveRigUA(tb, func(srv *sipgo.Server, cli *sipgo.Client, port int) {
		phone = &sipgo.DialogUA{Client: cli, ContactHDR: sip.ContactHeader{Address: sip.Uri{User: "1001", Host: "127.0.0.1", Port: port}}}
		srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		})
	})
	return phone
}

// serveRigUA serves a sipgo UA on a UDP port of its own, whose client
// sends from that port, with the handlers handle sets; it returns the
// address.
func serveRigUA(tb testing.TB, handle func(srv *sipgo.Server, cli *sipgo.Client, port int)) string {
	tb.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	_ = pc.(*net.UDPConn).SetReadBuffer(8 << 20)
	addr := pc.LocalAddr().(*net.UDPAddr)
	ua, _ := sipgo.NewUA(sipgo.WithUserAgentHostname("127.0.0.1"))
	srv, _ := sipgo.NewServer(ua)
	cli, _ := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientConnectionAddr(addr.String()))
	handle(srv, cli, addr.Port)
	go func() { _ = srv.ServeUDP(pc) }()
	tb.Cleanup(func() { pc.Close(); ua.Close() })
	if err := awaitServing(ua, "udp", addr.String()); err != nil {
		tb.Fatal(err)
	}
	return addr.String()
}

// call places one call from the phone to a number out the trunk: INVITE,
// the 407 answered with digest, 200, ACK, then BYE.
func (rig *callRig) call(ctx context.Context, number string) error {
	d, err := rig.answeredCall(ctx, rig.sw.Addr("udp"), number)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Bye(ctx); err != nil {
		return fmt.Errorf("bye: %w", err)
	}
	return nil
}

// The switch sends to the trunk from its UDP listener, so the trunk's
// answers reach the socket with the large receive buffer, not an
// ephemeral one with the kernel's default that drops them under load.
func TestCallsToTheTrunkLeaveFromTheUDPListener(t *testing.T) {
	rig := newCallRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rig.call(ctx, "+14155550199"); err != nil {
		t.Fatal(err)
	}
	src := <-rig.inviteSources
	if want := rig.sw.Addr("udp"); src != want {
		t.Errorf("INVITE to the trunk came from %s, want the switch's UDP listener %s", src, want)
	}
}

// BenchmarkCall places whole calls in process: a phone's INVITE answered
// with digest, through the switch with media anchored, to the trunk, 200,
// ACK and BYE over loopback. allocs/op, ns/op and cpu-ns/op are per call
// (both sides' sipgo included), so a regression in the call path shows here.
func BenchmarkCall(b *testing.B) { benchmarkCall(b, newCallRig(b)) }

// BenchmarkCallRinging is BenchmarkCall with the trunk's 180 Ringing
// relayed to the phone before the 200, as in bench/sipp_load.sh.
func BenchmarkCallRinging(b *testing.B) { benchmarkCall(b, newCallRigRinging(b, true)) }

func benchmarkCall(b *testing.B, rig *callRig) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := rig.call(ctx, "+14155550199"); err != nil { // warm up
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := cputime.Process()
	b.ResetTimer()
	for b.Loop() {
		if err := rig.call(ctx, "+14155550199"); err != nil {
			b.Fatal(err)
		}
	}
	// CPU per call, every goroutine and the collector included: steadier
	// than ns/op when other processes share the cores.
	b.ReportMetric(cputime.PerOp(cpu, b.N), "cpu-ns/op")
}

// startRigSwitch starts a switch on a rig's config, with media on ports
// from minPort to 39999 and its CDRs thrown away.
func startRigSwitch(tb testing.TB, yaml string, minPort int, quiet *slog.Logger) *Switch {
	tb.Helper()
	cfg, err := config.Parse([]byte(yaml), "rig.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	// Idle pairs kept for the whole range, as serve does.
	pool, err := media.NewPool(netip.MustParseAddr("127.0.0.1"), minPort, 39999, media.WithLogger(quiet),
		media.WithIdlePairs((39999-minPort+1)/2))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = pool.Close() })
	sw, err := New(cfg, Options{Organization: organizationOf(tb, cfg), CDRs: discardCDRs{}, Logger: quiet, Media: pool})
	if err != nil {
		tb.Fatal(err)
	}
	if err := sw.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return sw
}
