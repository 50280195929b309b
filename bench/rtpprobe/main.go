package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

const (
	ptime       = 20 * time.Millisecond
	payloadSize = 160 // 20 ms of PCMU
)

// start is the probe's clock: send times in the payload are nanoseconds
// since start (monotonic).
var start = time.Now()

// stream is one RTP stream on its own socket; its echoes come back to it.
type stream struct {
	conn *net.UDPConn
	dst  *net.UDPAddr
	ssrc uint32
	seq  uint16

	payload []byte // u-law silence after the 8-byte send time
	buf     []byte

	sent     int
	rtts     []time.Duration // written by read, read after it returns
	received int
}

func newStream() (*stream, error) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	payload := make([]byte, payloadSize)
	for i := range payload {
		payload[i] = 0xff
	}
	return &stream{conn: conn, ssrc: rand.Uint32(), seq: uint16(rand.Uint32()), payload: payload, buf: make([]byte, 1500)}, nil
}

func (s *stream) port() int { return s.conn.LocalAddr().(*net.UDPAddr).Port }

// send writes the next packet with the current time in its payload.
func (s *stream) send() {
	s.seq++
	pkt := rtp.Packet{
		Header: rtp.Header{
			Version:        2,
			PayloadType:    0, // PCMU
			SequenceNumber: s.seq,
			Timestamp:      uint32(s.sent) * payloadSize,
			SSRC:           s.ssrc,
		},
		Payload: s.payload,
	}
	binary.BigEndian.PutUint64(s.payload, uint64(time.Since(start)))
	b, err := pkt.MarshalTo(s.buf)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := s.conn.WriteToUDP(s.buf[:b], s.dst); err == nil {
		s.sent++
	}
}

// read times the echoes until the socket is closed.
func (s *stream) read() {
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, _, err := s.conn.ReadFromUDP(buf)
		now := time.Since(start)
		if err != nil {
			return
		}
		if pkt.Unmarshal(buf[:n]) != nil || pkt.SSRC != s.ssrc || len(pkt.Payload) < 8 {
			continue
		}
		s.received++
		s.rtts = append(s.rtts, now-time.Duration(binary.BigEndian.Uint64(pkt.Payload)))
	}
}

// caller places the switched streams' calls.
type caller struct {
	ua      *sipgo.UserAgent
	dialogs *sipgo.DialogClientCache
	target  sip.Uri
	user    string
	pass    string
}

func newCaller(switchAddr, to, user, pass string) (*caller, error) {
	ap, err := netip.ParseAddrPort(switchAddr)
	if err != nil {
		return nil, fmt.Errorf("-switch: %w", err)
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		return nil, err
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		return nil, err
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		return nil, err
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	c := &caller{
		ua:      ua,
		dialogs: sipgo.NewDialogClientCache(cli, sip.ContactHeader{Address: sip.Uri{User: user, Host: "127.0.0.1", Port: port}}),
		target:  sip.Uri{User: to, Host: ap.Addr().String(), Port: int(ap.Port())},
		user:    user,
		pass:    pass,
	}
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := c.dialogs.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		}
	})
	go func() { _ = srv.ServeUDP(pc) }()
	return c, nil
}

const offer = "v=0\r\no=probe 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n"

// call places one call offering s's port and points s at the switch's
// port from the answer.
func (c *caller) call(ctx context.Context, s *stream) (*sipgo.DialogClientSession, error) {
	from := &sip.FromHeader{Address: sip.Uri{User: c.user, Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	d, err := c.dialogs.Invite(ctx, c.target, fmt.Appendf(nil, offer, s.port()),
		sip.NewHeader("Content-Type", "application/sdp"), from)
	if err != nil {
		return nil, err
	}
	if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: c.user, Password: c.pass}); err != nil {
		return nil, err
	}
	if err := d.Ack(ctx); err != nil {
		return nil, err
	}
	s.dst, err = answerAddr(d.InviteResponse.Body())
	return d, err
}

// answerAddr is the audio address in an SDP answer.
func answerAddr(body []byte) (*net.UDPAddr, error) {
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(body); err != nil {
		return nil, fmt.Errorf("answer SDP: %w", err)
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "audio" {
			continue
		}
		ci := sd.ConnectionInformation
		if md.ConnectionInformation != nil {
			ci = md.ConnectionInformation
		}
		if ci == nil || ci.Address == nil {
			return nil, errors.New("answer SDP: no connection address")
		}
		ip := net.ParseIP(ci.Address.Address)
		if ip == nil {
			return nil, fmt.Errorf("answer SDP: address %q", ci.Address.Address)
		}
		return &net.UDPAddr{IP: ip, Port: md.MediaName.Port.Value}, nil
	}
	return nil, errors.New("answer SDP: no audio")
}

// percentile is the nearest-rank q-quantile of sorted d.
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(d)))) - 1
	return d[max(i, 0)]
}

func report(name string, streams []*stream) {
	var sent, received int
	var rtts []time.Duration
	for _, s := range streams {
		sent += s.sent
		received += s.received
		rtts = append(rtts, s.rtts...)
	}
	slices.Sort(rtts)
	us := func(d time.Duration) int64 { return d.Microseconds() }
	fmt.Printf("%s sent=%d received=%d p50_us=%d p99_us=%d max_us=%d\n", name, sent, received,
		us(percentile(rtts, 0.50)), us(percentile(rtts, 0.99)), us(percentile(rtts, 1)))
}

func main() {
	echo := flag.String("echo", "", "sipp uas -rtp_echo address, host:port (required)")
	switchAddr := flag.String("switch", "", "the switch's SIP UDP address, host:port; adds switched streams")
	to := flag.String("to", "+14155550199", "number the switched calls dial")
	user := flag.String("user", "1001", "digest user for the switched calls")
	pass := flag.String("password", "alice-secret", "digest password")
	n := flag.Int("streams", 4, "streams per path")
	delay := flag.Duration("delay", 0, "start sending this long after the probe starts (its calls are placed before)")
	duration := flag.Duration("duration", 5*time.Second, "how long to send")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("rtpprobe: ")
	echoAddr, err := net.ResolveUDPAddr("udp4", *echo)
	if err != nil || *echo == "" {
		log.Fatalf("-echo %q: %v", *echo, err)
	}

	var direct, switched []*stream
	for range *n {
		s, err := newStream()
		if err != nil {
			log.Fatal(err)
		}
		s.dst = echoAddr
		direct = append(direct, s)
	}
	var calls []*sipgo.DialogClientSession
	if *switchAddr != "" {
		c, err := newCaller(*switchAddr, *to, *user, *pass)
		if err != nil {
			log.Fatal(err)
		}
		defer c.ua.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		for range *n {
			s, err := newStream()
			if err != nil {
				log.Fatal(err)
			}
			d, err := c.call(ctx, s)
			if err != nil {
				// Measure with the calls that did go through.
				log.Printf("call through the switch: %v", err)
				s.conn.Close()
				continue
			}
			calls = append(calls, d)
			switched = append(switched, s)
		}
		cancel()
	}

	time.Sleep(time.Until(start.Add(*delay)))
	var readers sync.WaitGroup
	for _, s := range slices.Concat(direct, switched) {
		readers.Go(s.read)
	}

	// Pair i sends on its own ticker, offset so the pairs spread over the
	// 20 ms; direct and switched alternate going first.
	var senders sync.WaitGroup
	stop := time.Now().Add(*duration)
	for i := range direct {
		senders.Go(func() {
			time.Sleep(ptime * time.Duration(i) / time.Duration(len(direct)))
			t := time.NewTicker(ptime)
			defer t.Stop()
			for k := 0; time.Now().Before(stop); k++ {
				pair := []*stream{direct[i]}
				if i < len(switched) {
					pair = append(pair, switched[i])
					if k%2 == 1 {
						slices.Reverse(pair)
					}
				}
				for _, s := range pair {
					s.send()
				}
				<-t.C
			}
		})
	}
	senders.Wait()
	time.Sleep(500 * time.Millisecond) // the last echoes
	for _, s := range slices.Concat(direct, switched) {
		s.conn.Close()
	}
	readers.Wait()

	report("direct", direct)
	if len(switched) > 0 {
		report("switched", switched)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, d := range calls {
		if err := d.Bye(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "rtpprobe: bye:", err)
		}
		d.Close()
	}
}
