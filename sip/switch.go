package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/calls"
	"github.com/dialtone/dialtone/config"
	orgdir "github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/media"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
)

// CDRWriter stores leg records. Started marks a leg as up so a crash can be
// recovered as "interrupted"; Ended writes the final CDR durably.
type CDRWriter interface {
	Started(cdr *billing.CDR)
	Ended(cdr *billing.CDR) error
}

// Meter authorizes chargeable legs and renews their credit
// (calls.Meter): the call loop's, in package calls.
type Meter = calls.Meter

// Options are the switch's collaborators.
type Options struct {
	Logger *slog.Logger
	CDRs   CDRWriter
	Meter  Meter // nil: no credit control
	// Organization is who is who, what rings where and the forwarding
	// of each user, as they are now; required. The switch only reads it
	// (its HA1 must be DigestHA1 of sip.domain).
	Organization *orgdir.Organization
	// Media anchors RTP (nil: media flows directly between the parties).
	Media *media.Pool
	// DataDir is where recordings are written.
	DataDir string
	// Registrations keeps registrations across restarts (nil: in memory).
	Registrations RegistrationStore
}

// Switch is a running softswitch.
type Switch struct {
	cfg   *config.Config
	log   *slog.Logger
	cdrs  CDRWriter
	meter Meter
	ua    *sipgo.UserAgent
	srv   *sipgo.Server
	cli   *sipgo.Client
	org   *orgdir.Organization
	dir   atomic.Pointer[directory] // the view of org's Directory (directory.go)
	reg   *registrar
	// regWriter writes registration changes to the store (nil: none).
	regWriter *registrationWriter
	auth      *digestAuth
	guard     *authGuard
	metrics   *Metrics
	edge      *edgeWatch // floods at the network edge: counted, summarized

	// dialog UAs per transport, so Contact says how to reach us back.
	dialogUA map[string]*sipgo.DialogUA
	// cli sends over UDP from the UDP listener, tcpCli over TCP (clients.go).
	tcpCli *sipgo.Client

	uas sync.Map // server-dialog id -> *calls.CallLeg (legs whose INVITE we received)
	uac sync.Map // client-dialog id -> *calls.CallLeg (legs whose INVITE we sent)

	userCallsMu sync.Mutex
	userCalls   map[string]int

	media   *media.Pool
	mediaIP string
	dataDir string

	voicemail calls.Voicemail // nil: no voicemail (SetVoicemail)

	announcement atomic.Pointer[[]int16] // the recording announcement; swapped on reload
	mwi          mwiSubs

	t1        time.Duration // RFC 3261 T1: the ACK of a 2xx is awaited 64×T1
	admission *admission    // sip.max_setup_calls

	calls     sync.WaitGroup
	active    atomic.Int64
	callsByID sync.Map     // call id -> *calls.Call, while answered (on-demand recording)
	drainMu   sync.RWMutex // orders calls.Add before calls.Wait
	draining  bool

	agentJoin atomic.Pointer[calls.AgentJoin] // *55 calls: the call engine's hook (leg_agent.go)

	listeners []func() error
	addrs     map[string]string // transport -> bound host:port
	ctx       context.Context
	cancel    context.CancelFunc
}

// New builds a switch from a validated config.
func New(cfg *config.Config, opts Options) (*Switch, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.CDRs == nil {
		return nil, errors.New("new switch: a CDR writer is required")
	}
	if opts.Organization == nil {
		return nil, errors.New("new switch: an organization is required")
	}
	realm := cfg.SIP.Domain
	sw := &Switch{
		cfg:       cfg,
		log:       opts.Logger,
		cdrs:      opts.CDRs,
		meter:     opts.Meter,
		org:       opts.Organization,
		reg:       newRegistrar(),
		auth:      newDigestAuth(realm, cfg.SIP.NonceTTL.Duration),
		guard:     newAuthGuard(cfg.SIP.AuthFailLimit, cfg.SIP.AuthBlock.Duration),
		userCalls: map[string]int{},
		media:     opts.Media,
		dataDir:   opts.DataDir,
		dialogUA:  map[string]*sipgo.DialogUA{},
		addrs:     map[string]string{},
	}
	sw.t1 = cfg.SIP.T1.Duration
	if sw.t1 <= 0 {
		sw.t1 = defaultT1
	}
	if opts.Registrations != nil {
		sw.regWriter = newRegistrationWriter(opts.Registrations, sw.log)
		sw.reg.sink = sw.regWriter
		if err := sw.loadRegistrations(opts.Registrations); err != nil {
			return nil, err
		}
	}
	sw.mwi.subs = map[string]*mwiSub{}
	sw.setAnnouncement(cfg)
	if opts.Media != nil {
		sw.mediaIP = opts.Media.IP().String()
	}
	sw.metrics = newMetrics(sw.reg, opts.Media)
	sw.edge = &edgeWatch{metrics: sw.metrics}
	sw.admission = newAdmission(cfg.SIP.MaxSetupCalls)
	sw.metrics.extra = append(sw.metrics.extra, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "dialtone_calls_setting_up", Help: "Calls being set up (admitted, not yet ringing or answered); sip.max_setup_calls bounds it.",
	}, func() float64 { return float64(sw.admission.settingUp()) }))
	return sw, nil
}

// Reload follows a new config that the Organization has just applied
// (directory.Organization.Reload: users, numbers, groups, trunks, roles,
// forwarding): it reads the recording announcement and drops the
// registrations of users removed or over max_contacts, and keeps the
// rest. The switch follows the Organization's Directory with the settings
// of the same config, recording (record_all and the users' and numbers'
// record) and sip: call settings (ring_timeout, max_call_duration,
// transfer_recall, forward_caller_id, the voicemail settings and
// greetings, register_max_expires, max_contacts, max_forks), without
// dropping calls in progress or the registrations of users it keeps;
// calls started from now on follow the new config (voicemail limits:
// messages begun from now on), calls already up keep their state. The
// SIP domain, listen addresses, user_agent, nonce_ttl, auth_fail_limit,
// auth_block and the TCP limits need a restart.
func (sw *Switch) Reload(cfg *config.Config) error {
	was, now := sw.cfg.SIP, cfg.SIP
	if now.Domain != was.Domain || now.UDP != was.UDP || now.TCP != was.TCP || now.UserAgent != was.UserAgent ||
		now.NonceTTL != was.NonceTTL || now.AuthFailLimit != was.AuthFailLimit || now.AuthBlock != was.AuthBlock ||
		now.T1 != was.T1 || now.MaxSetupCalls != was.MaxSetupCalls {
		sw.log.Warn("reload: sip domain, udp, tcp, user_agent, nonce_ttl, auth_fail_limit, auth_block, t1 and max_setup_calls change only on restart")
	}
	if now.TCPReadTimeout != was.TCPReadTimeout || now.TCPIdleTimeout != was.TCPIdleTimeout ||
		now.TCPMaxPerSource != was.TCPMaxPerSource || now.TCPMaxConns != was.TCPMaxConns {
		sw.log.Warn("reload: sip tcp_read_timeout, tcp_idle_timeout, tcp_max_per_source and tcp_max_conns change only on restart")
	}
	sw.setAnnouncement(cfg)
	if n := sw.pruneRegistrations(); n > 0 {
		sw.log.Info("reload: registrations dropped (user removed, or over max_contacts)", "contacts", n)
	}
	sw.log.Info("config reloaded", "users", len(cfg.Users), "numbers", len(cfg.Numbers), "trunks", len(cfg.Trunks))
	return nil
}

// Metrics returns the switch's Prometheus collectors.
func (sw *Switch) Metrics() *Metrics { return sw.metrics }

// Addr returns the bound address of a transport ("udp" or "tcp").
func (sw *Switch) Addr(transport string) string { return sw.addrs[transport] }

// Start binds the listeners and serves until Shutdown.
func (sw *Switch) Start(ctx context.Context) error {
	sw.ctx, sw.cancel = context.WithCancel(context.Background())
	host := ""
	var udpConn net.PacketConn
	var tcpLn net.Listener
	var err error
	if sw.cfg.SIP.UDP != "" {
		if udpConn, err = net.ListenPacket("udp", sw.cfg.SIP.UDP); err != nil {
			return fmt.Errorf("listen udp %s: %w", sw.cfg.SIP.UDP, err)
		}
		if uc, ok := udpConn.(*net.UDPConn); ok {
			_ = uc.SetReadBuffer(8 << 20) // absorb bursts at high call rates
		}
		sw.addrs["udp"] = udpConn.LocalAddr().String()
		host, _, _ = net.SplitHostPort(sw.addrs["udp"])
	}
	if sw.cfg.SIP.TCP != "" {
		if tcpLn, err = net.Listen("tcp", sw.cfg.SIP.TCP); err != nil {
			if udpConn != nil {
				udpConn.Close()
			}
			return fmt.Errorf("listen tcp %s: %w", sw.cfg.SIP.TCP, err)
		}
		sw.addrs["tcp"] = tcpLn.Addr().String()
		if host == "" {
			host, _, _ = net.SplitHostPort(sw.addrs["tcp"])
		}
	}

	setTransactionTimers(sw.t1)
	if udpConn != nil {
		// Admission control reads the socket itself (the arrival stamps),
		// under the edge's wrapper that notes each datagram's source.
		udpConn = newOverloadConn(udpConn, sw)
	}
	udpConn, tcpLn, edgeLog := sw.guardEdge(udpConn, tcpLn)
	sw.ua, err = sipgo.NewUA(sipgo.WithUserAgent(sw.cfg.SIP.UserAgent), sipgo.WithUserAgentHostname(host),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(edgeLog)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(edgeLog)))
	if err != nil {
		return fmt.Errorf("new user agent: %w", err)
	}
	if sw.srv, err = sipgo.NewServer(sw.ua, sipgo.WithServerLogger(sw.log)); err != nil {
		return fmt.Errorf("new server: %w", err)
	}
	if err := sw.newClients(host); err != nil {
		return err
	}
	for transport, addr := range sw.addrs {
		h, p, _ := net.SplitHostPort(addr)
		port, _ := strconv.Atoi(p)
		contact := sip.ContactHeader{Address: sip.Uri{User: "dialtone", Host: h, Port: port}}
		if transport == "tcp" {
			contact.Address.UriParams = sip.NewParams()
			contact.Address.UriParams.Add("transport", "tcp")
		}
		sw.dialogUA[transport] = &sipgo.DialogUA{Client: sw.client(transport), ContactHDR: contact, RewriteContact: true}
	}

	sw.srv.OnRegister(onlySIP2(sw.afterRegister(sw.handleRegister)))
	sw.srv.OnInvite(onlySIP2(sw.handleInvite))
	sw.srv.OnAck(onlySIP2(sw.handleAck))
	sw.srv.OnBye(onlySIP2(sw.handleBye))
	sw.srv.OnRefer(onlySIP2(sw.handleRefer))
	sw.srv.OnUpdate(onlySIP2(sw.handleUpdate))
	sw.srv.OnSubscribe(onlySIP2(sw.handleSubscribe))
	sw.srv.OnInfo(onlySIP2(sw.handleInfo))
	sw.srv.OnMessage(onlySIP2(sw.handleMessage))
	sw.srv.OnCancel(onlySIP2(func(req *sip.Request, tx sip.ServerTransaction) {
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
	}))
	sw.srv.OnOptions(onlySIP2(func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
		res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, REFER, NOTIFY, UPDATE, SUBSCRIBE, INFO, MESSAGE"))
		res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
		_ = tx.Respond(res)
	}))
	sw.srv.OnNoRoute(onlySIP2(func(req *sip.Request, tx sip.ServerTransaction) {
		respond(tx, req, sip.StatusMethodNotAllowed, "Method Not Allowed")
	}))

	if udpConn != nil {
		go func() {
			if err := sw.srv.ServeUDP(udpConn); err != nil && sw.ctx.Err() == nil {
				sw.log.Error("udp listener stopped", "error", err)
			}
		}()
		sw.listeners = append(sw.listeners, udpConn.Close)
		if err := awaitServing(sw.ua, "udp", sw.addrs["udp"]); err != nil {
			return err
		}
	}
	if tcpLn != nil {
		go func() {
			if err := sw.srv.ServeTCP(tcpLn); sw.ctx.Err() == nil {
				sw.log.Error("tcp listener stopped", "error", err)
			}
		}()
		sw.listeners = append(sw.listeners, tcpLn.Close)
	}
	if sw.regWriter != nil {
		sw.regWriter.start()
	}
	go sw.housekeeping()
	go logEdgeSummaries(sw.log, &sw.edge.tally, edgeSummaryInterval, sw.ctx.Done())
	sw.log.Info("switch listening", "udp", sw.addrs["udp"], "tcp", sw.addrs["tcp"], "domain", sw.cfg.SIP.Domain)
	return nil
}

func (sw *Switch) housekeeping() {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-sw.ctx.Done():
			return
		case <-t.C:
			sw.reg.expire()
		}
	}
}

// admit counts a new call in, unless the switch is shutting down; the
// caller must call sw.calls.Done when admitted.
func (sw *Switch) admit() bool {
	sw.drainMu.RLock()
	defer sw.drainMu.RUnlock()
	if sw.draining {
		return false
	}
	sw.calls.Add(1)
	return true
}

// Shutdown stops taking new calls and waits for calls in progress to end.
// When ctx expires first it hangs every call up (BYE with a short timeout,
// so a peer that never answers cannot hold it) and waits until each leg's
// CDR is written, with their real times, before it closes the listeners:
// the CDR store may be closed when it returns. It returns an error only if
// calls were still ending after shutdownHangupLimit.
func (sw *Switch) Shutdown(ctx context.Context) error {
	sw.drainMu.Lock()
	sw.draining = true
	sw.drainMu.Unlock()
	done := make(chan struct{})
	go func() { sw.calls.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		sw.log.Warn("shutdown: hanging up calls still in progress", "calls", sw.active.Load())
		sw.cancel()
		select {
		case <-done:
			sw.log.Info("shutdown: every call hung up and its CDRs written")
		case <-time.After(shutdownHangupLimit):
			err = fmt.Errorf("shutdown: %d calls still ending after %s; their open legs are recovered as interrupted on the next start",
				sw.active.Load(), shutdownHangupLimit)
		}
	}
	sw.cancel()
	for _, closeFn := range sw.listeners {
		_ = closeFn()
	}
	if sw.ua != nil {
		_ = sw.ua.Close()
	}
	if sw.regWriter != nil {
		if werr := sw.regWriter.close(); werr != nil {
			sw.log.Error("shutdown: registrations not saved", "error", werr)
		}
	}
	return err
}

// respond answers a request outside any dialog.
func respond(tx sip.ServerTransaction, req *sip.Request, code int, phrase string, headers ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, phrase, nil)
	for _, h := range headers {
		res.AppendHeader(h)
	}
	_ = tx.Respond(res)
}

// sourceHost is the IP a request came from.
func sourceHost(req *sip.Request) string {
	h, _, err := net.SplitHostPort(req.Source())
	if err != nil {
		return req.Source()
	}
	return h
}

// authenticate checks digest credentials on a request from a phone and
// answers the challenge or refusal itself; it returns the user only when
// the request may proceed.
func (sw *Switch) authenticate(req *sip.Request, tx sip.ServerTransaction, proxy bool) *user {
	host := sourceHost(req)
	authHeader, challengeHeader, code, phrase := "Authorization", "WWW-Authenticate", 401, "Unauthorized"
	if proxy {
		authHeader, challengeHeader, code, phrase = "Proxy-Authorization", "Proxy-Authenticate", 407, "Proxy Authentication Required"
	}
	challenge := func(stale bool) {
		res := sip.NewResponseFromRequest(req, code, phrase, nil)
		res.AppendHeader(sip.NewHeader(challengeHeader, sw.auth.challenge(stale)))
		tagStateless(req, res)
		_ = tx.Respond(res)
		// The challenge is answered statelessly, as a proxy's auth module
		// does: the transaction ends now instead of being kept 64×T1 for
		// the ACK and then T4 with a goroutine parked on the ACK nobody
		// reads (every call had one: 8 KB and the INVITE for 5 s). A
		// challenge lost on the way is no loss: the phone retransmits its
		// request and gets a new one. Its ACK is dropped as it arrives, by
		// the To tag (stateless_ack.go).
		tx.Terminate()
	}
	var value string
	if h := req.GetHeader(authHeader); h != nil {
		value = h.Value()
	}
	creds, credsErr := parseCredentials(value)
	// The account at stake: the credentials' user, or before the phone
	// has any, the identity it claims.
	name := claimedUser(req)
	if credsErr == nil {
		name = creds.Username
	}
	u := sw.directory().User(name)
	account := ""
	if u != nil {
		account = u.Extension
	}
	if reason := sw.guard.check(host, account, account != "" && sw.reg.boundFrom(account, host)); reason != notBlocked {
		sw.metrics.Blocked.WithLabelValues(string(reason)).Inc()
		sw.log.Debug("authentication refused: blocked", "reason", reason, "source", req.Source(), "account", account, "method", req.Method)
		respond(tx, req, sip.StatusForbidden, "Forbidden", sip.NewHeader("Reason", `SIP;cause=403;text="too many failed authentications"`))
		return nil
	}
	if errors.Is(credsErr, errNoCredentials) {
		challenge(false)
		return nil
	}
	if credsErr != nil {
		respond(tx, req, sip.StatusBadRequest, "Bad Request")
		return nil
	}
	ha1 := sw.auth.unknownHA1(creds.Username)
	if u != nil {
		ha1 = u.HA1[creds.Username]
	}
	err := sw.auth.verify(creds, digestRequest{method: string(req.Method), uri: req.Recipient.String(), tx: transactionOf(req)}, ha1)
	replay := errors.Is(err, errWrongURI) || errors.Is(err, errNonceReused)
	switch {
	case errors.Is(err, errStaleNonce) && u != nil:
		sw.log.Debug("stale nonce: challenged again", "source", req.Source(), "username", creds.Username, "method", req.Method)
		challenge(true)
		return nil
	case replay && u != nil:
		reason := replayURI
		if errors.Is(err, errNonceReused) {
			reason = replayNonceCount
		}
		sw.metrics.AuthReplays.WithLabelValues(reason).Inc()
		sw.countFailure(host, account, false)
		sw.log.Warn("digest credentials replayed", "source", req.Source(), "username", creds.Username, "method", req.Method, "uri", req.Recipient.String(), "error", err)
		if reason == replayNonceCount {
			// A phone racing two requests on one nonce looks the same; a
			// fresh nonce lets it go on, and a replayer cannot answer it.
			challenge(true)
		} else {
			respond(tx, req, sip.StatusForbidden, "Forbidden", sip.NewHeader("Reason", `SIP;cause=403;text="credentials are for another request"`))
		}
		return nil
	case err != nil || u == nil:
		sw.metrics.AuthFailures.Inc()
		sw.countFailure(host, account, true)
		sw.log.Info("authentication failed", "source", req.Source(), "username", creds.Username, "method", req.Method)
		respond(tx, req, sip.StatusForbidden, "Forbidden")
		return nil
	}
	// The To (REGISTER) or From (INVITE, MESSAGE) user must be the
	// authenticated one, or anyone could act as anyone with their own password.
	claimed := claimedUser(req)
	if cu := sw.directory().User(claimed); cu != u && !claimsOwnNumber(req, u, claimed) {
		sw.log.Info("identity mismatch", "source", req.Source(), "username", creds.Username, "claimed", claimed)
		respond(tx, req, sip.StatusForbidden, "Forbidden", sip.NewHeader("Reason", `SIP;cause=403;text="credentials do not match the identity"`))
		return nil
	}
	sw.guard.succeed(host, account)
	return u
}

// Replay reasons, as metrics labels.
const (
	replayURI        = "uri"
	replayNonceCount = "nonce-count"
)

// countFailure tells the guard of a failed authentication and logs and
// counts the blocks it begins.
func (sw *Switch) countFailure(host, account string, guess bool) {
	for _, r := range sw.guard.fail(host, account, guess) {
		sw.metrics.Blocks.WithLabelValues(string(r)).Inc()
		if r == blockedAddress {
			sw.log.Warn("blocking source after repeated authentication failures", "source", host, "for", sw.cfg.SIP.AuthBlock.Duration)
		} else {
			sw.log.Warn("locking account after repeated authentication failures; addresses where it authenticated recently keep working",
				"account", account, "last_source", host, "for", sw.cfg.SIP.AuthBlock.Duration)
		}
	}
}

// claimedUser is the identity a request claims: the From user of an
// INVITE, the To user (the address of record) of anything else.
func claimedUser(req *sip.Request) string {
	if req.IsInvite() || req.Method == sip.MESSAGE {
		return req.From().Address.User
	}
	return req.To().Address.User
}

// transactionOf names the request's transaction, so its retransmissions
// can be told from another request reusing its credentials.
func transactionOf(req *sip.Request) string {
	b := make([]byte, 0, 160)
	if v := req.Via(); v != nil {
		branch, _ := v.Params.Get("branch")
		b = append(append(append(append(b, branch...), '|'), v.Host...), ':')
		b = append(strconv.AppendInt(b, int64(v.Port), 10), '|')
	}
	if id := req.CallID(); id != nil {
		b = append(b, id.Value()...)
	}
	if cs := req.CSeq(); cs != nil {
		b = strconv.AppendUint(append(b, '|'), uint64(cs.SeqNo), 10)
		b = append(append(b, ' '), cs.MethodName...)
	}
	b = append(append(b, '|'), req.Source()...)
	return string(b)
}
