package e2e

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// transferorPhone is a minimal softphone built on sipgo for the one flow
// sipp cannot script in one process: answer a call, place a consultation
// call, then REFER the first call to the second with Replaces.
type transferorPhone struct {
	t        *testing.T
	ua       *sipgo.UserAgent
	srv      *sipgo.Server
	cli      *sipgo.Client
	incoming *sipgo.DialogServerCache
	outgoing *sipgo.DialogClientCache
	answered chan *sipgo.DialogServerSession

	mu       sync.Mutex
	notifies []string
	byes     int
}

const phoneSDP = "v=0\r\no=bob 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

func newTransferorPhone(t *testing.T, port int) *transferorPhone {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	p := &transferorPhone{t: t, ua: ua, answered: make(chan *sipgo.DialogServerSession, 1)}
	p.srv, _ = sipgo.NewServer(ua)
	p.cli, _ = sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	contact := sip.ContactHeader{Address: sip.Uri{User: "bob", Host: "127.0.0.1", Port: port}}
	p.incoming = sipgo.NewDialogServerCache(p.cli, contact)
	p.outgoing = sipgo.NewDialogClientCache(p.cli, contact)
	p.srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		d, err := p.incoming.ReadInvite(req, tx)
		if err != nil {
			return
		}
		if err := d.RespondSDP([]byte(fmt.Sprintf(phoneSDP, freePort(t)))); err == nil {
			p.answered <- d
		}
		<-d.Context().Done()
	})
	p.srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = p.incoming.ReadAck(req, tx) })
	p.srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		p.mu.Lock()
		p.byes++
		p.mu.Unlock()
		if err := p.incoming.ReadBye(req, tx); err == nil {
			return
		}
		if err := p.outgoing.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		}
	})
	p.srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		p.mu.Lock()
		p.notifies = append(p.notifies, strings.TrimSpace(string(req.Body())))
		p.mu.Unlock()
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.srv.ServeUDP(pc) }()
	t.Cleanup(func() { pc.Close(); ua.Close() })
	return p
}

// register registers the phone from its own listening port, so the
// switch sends calls there.
func (p *transferorPhone) register(t *testing.T, sw *switchProc, user, password string, port int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Host: "127.0.0.1", Port: sw.sipPort})
	req.AppendHeader(&sip.FromHeader{Address: sip.Uri{User: user, Host: "127.0.0.1"}, Params: sip.NewParams()})
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{User: user, Host: "127.0.0.1"}})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{User: "bob", Host: "127.0.0.1", Port: port}})
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	res, err := p.cli.Do(ctx, req)
	if err == nil && res.StatusCode == 401 {
		res, err = p.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password})
	}
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("register %s: %v %v", user, res, err)
	}
}

// takeInboundCall has the carrier call bob's number +14155550101 and hold
// for holdMS; the phone (registered as bob) answers. It returns the
// answered dialog, and the carrier's sipp result when the carrier is done.
func (p *transferorPhone) takeInboundCall(t *testing.T, sw *switchProc, holdMS int) (*sipgo.DialogServerSession, <-chan sippResult) {
	t.Helper()
	caller := make(chan sippResult, 1)
	go func() { caller <- inboundToBob(t, sw, holdMS) }()
	select {
	case d := <-p.answered:
		return d, caller
	case <-time.After(10 * time.Second):
		t.Fatal("bob's phone never rang")
		return nil, nil
	}
}

// dial places an authenticated call from the phone as user to target and
// returns its answered dialog.
func (p *transferorPhone) dial(t *testing.T, sw *switchProc, user, password, target string) *sipgo.DialogClientSession {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	from := &sip.FromHeader{Address: sip.Uri{User: user, Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	d, err := p.outgoing.Invite(ctx, sip.Uri{User: target, Host: "127.0.0.1", Port: sw.sipPort},
		[]byte(fmt.Sprintf(phoneSDP, freePort(t))), sip.NewHeader("Content-Type", "application/sdp"), from)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: user, Password: password}); err != nil {
		t.Fatalf("call from %s to %s: %v", user, target, err)
	}
	if err := d.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAttendedTransferJoinsTheConsultationCall(t *testing.T) {
	t.Parallel()
	t.Run("to a user: three charged legs", func(t *testing.T) {
		t.Parallel()
		legs := attendedTransfer(t, "1003")
		assertTransferLegs(t, legs,
			"inbound/trunk/pstn-inbound/direct/answered/",
			"outbound/phone/access/direct/answered/1002",
			"inbound/phone/client/transfer/answered/1002",
			"outbound/phone/client/transfer/answered/1003")
		if got := strings.Join(charged(t, legs), " "); strings.Count(got, "client=") != 2 || !strings.Contains(got, "pstn-inbound=") {
			t.Fatalf("want three charged legs, got %s", got)
		}
	})
	t.Run("to an outside number: two charged legs", func(t *testing.T) {
		t.Parallel()
		legs := attendedTransfer(t, "+14155550199")
		assertTransferLegs(t, legs,
			"inbound/trunk/pstn-inbound/direct/answered/",
			"outbound/phone/access/direct/answered/1002",
			"inbound/phone/access/transfer/answered/1002",
			"outbound/trunk/pstn-outbound/transfer/answered/1002")
		if got := strings.Join(charged(t, legs), " "); got != "pstn-inbound=0.01 pstn-outbound=0.02" {
			t.Fatalf("charges: %s", got)
		}
	})
}

// attendedTransfer runs the whole flow: the carrier calls bob, bob
// consults target, bob transfers the carrier's call to the target with
// Replaces; it returns the CDRs.
func attendedTransfer(t *testing.T, target string) []cdr {
	t.Helper()
	sw := startSwitch(t, switchOpts{})
	bobPort, carolPort := freePort(t), freePort(t)
	bob := newTransferorPhone(t, bobPort)
	bob.register(t, sw, "1002", "bob-secret", bobPort)
	var carol func() sippResult
	if strings.HasPrefix(target, "+") {
		carol = startSipp(t, "-sn", "uas", "-p", strconv.Itoa(sw.trunk), "-m", "1")
	} else {
		sw.registerFor(t, target, "carol-secret", carolPort)
		carol = startSipp(t, "-sn", "uas", "-p", strconv.Itoa(carolPort), "-m", "1")
	}

	// The carrier calls bob's number and holds for 6 s.
	first, caller := bob.takeInboundCall(t, sw, 6000)

	// Bob consults carol.
	consult := bob.dial(t, sw, "1002", "bob-secret", target)

	// Bob transfers the caller to carol, replacing the consultation dialog.
	sendRefer(t, sw, first, target, consult)

	if r := <-caller; r.code != 0 {
		t.Fatalf("caller: %d\n%s", r.code, r.out)
	}
	if r := carol(); r.code != 0 {
		t.Fatalf("carol: %d\n%s", r.code, r.out)
	}
	bob.mu.Lock()
	notifies, byes := strings.Join(bob.notifies, " | "), bob.byes
	bob.mu.Unlock()
	if !strings.Contains(notifies, "SIP/2.0 100 Trying") || !strings.Contains(notifies, "SIP/2.0 200 OK") {
		t.Errorf("NOTIFYs to the transferor: %s", notifies)
	}
	if byes != 2 {
		t.Errorf("the switch must hang up both of bob's dialogs: %d BYEs", byes)
	}
	return sw.cdrs(4)
}

// sendRefer transfers the call of dialog d (the transferor's side) to
// target: blind, or attended when replacing is the consultation dialog
// (RFC 3891 Replaces). The switch must accept it (202).
func sendRefer(t *testing.T, sw *switchProc, d *sipgo.DialogServerSession, target string, replacing *sipgo.DialogClientSession) {
	t.Helper()
	if res, err := referResponse(sw, d, target, replacing); err != nil || res.StatusCode != 202 {
		t.Fatalf("REFER to %s: %v %v", target, res, err)
	}
}

// referResponse sends the REFER of sendRefer and returns the switch's
// response.
func referResponse(sw *switchProc, d *sipgo.DialogServerSession, target string, replacing *sipgo.DialogClientSession) (*sip.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	referTo := fmt.Sprintf("<sip:%s@127.0.0.1:%d>", target, sw.sipPort)
	if replacing != nil {
		fromTag, _ := replacing.InviteRequest.From().Params.Get("tag")
		toTag, _ := replacing.InviteResponse.To().Params.Get("tag")
		replaces := url.QueryEscape(fmt.Sprintf("%s;to-tag=%s;from-tag=%s", replacing.InviteRequest.CallID().Value(), toTag, fromTag))
		referTo = fmt.Sprintf("<sip:%s@127.0.0.1:%d?Replaces=%s>", target, sw.sipPort, replaces)
	}
	refer := sip.NewRequest(sip.REFER, d.InviteRequest.Contact().Address)
	refer.AppendHeader(sip.NewHeader("Refer-To", referTo))
	return d.Do(ctx, refer)
}
