package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dialtone/dialtone/api"
	"github.com/dialtone/dialtone/billing"
	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/directory"
	"github.com/dialtone/dialtone/media"
	"github.com/dialtone/dialtone/sip"
	"github.com/dialtone/dialtone/voicemail"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func cmdServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file (default: the embedded demo config)")
	data := fs.String("data", "", "data directory (default: the config's data_dir)")
	logFormat := fs.String("log-format", "text", "text or json")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	grace := fs.Duration("shutdown-grace", 30*time.Second, "on SIGTERM, how long calls in progress may go on before they are hung up")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	logWarnings(log, cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, dataDir(*data, cfg), *grace, log, stdout); err != nil {
		log.Error("serve", "error", err)
		return 1
	}
	return 0
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}

// serve runs the switch until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, cfg *config.Config, dir string, grace time.Duration, log *slog.Logger, stdout io.Writer) error {
	openFiles := raiseOpenFiles(cfg, log)
	startMemoryPolicy(ctx, log, cfg.MemoryLimit)
	db, err := openDB(dir, false)
	if err != nil {
		return err
	}
	defer db.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	meter, err := newMeter(ctx, db, cfg, log, reg)
	if err != nil {
		return err
	}
	var charger *billing.Meter // rates and charges each leg as its CDR is stored
	if meter != nil {
		charger = meter.m
	}
	cdrs, err := billing.OpenCDRStore(db, charger, log)
	if err != nil {
		return err
	}
	defer cdrs.Close()
	reg.MustRegister(cdrCommitMetrics(cdrs)...)

	orgOpts := directory.OrganizationOptions{HA1: sip.DigestHA1(cfg.SIP.Domain), Numbers: numberStore{db},
		Forwarding: forwardingStore{db}, Logger: log}
	if meter != nil {
		orgOpts.NumbersChanged = meter.syncNumbers
	}
	org, err := directory.NewOrganization(cfg, orgOpts)
	if err != nil {
		return err
	}
	opts := sip.Options{Logger: log, CDRs: cdrs, Organization: org, DataDir: dir, Registrations: registrationStore{db}}
	if *cfg.Media.Anchor {
		pool, err := newMediaPool(cfg, log, openFiles)
		if err != nil {
			return err
		}
		defer pool.Close()
		opts.Media = pool
	}
	if meter != nil {
		opts.Meter = meter.m.Credit()
	}
	sw, err := sip.New(cfg, opts)
	if err != nil {
		return err
	}
	reg.MustRegister(sw.Metrics().Collectors()...)
	mailboxes := voicemail.New(voicemail.Options{Store: voicemailStore{db}, DataDir: dir, Users: sw, Notify: sw, Logger: log})
	sw.SetVoicemail(mailboxes)
	if meter != nil {
		meter.start(ctx, org.AllNumbers())
	}
	if err := sw.Start(ctx); err != nil {
		return err
	}
	running := new(atomic.Pointer[config.Config])
	running.Store(cfg)
	outbox := newOutbox(ctx, db, running, log)
	dial, err := newDialer(ctx, db, running, sw, org, outbox, dir, log)
	if err != nil {
		_ = sw.Shutdown(context.Background())
		return err
	}
	reg.MustRegister(dial.Collectors()...)
	texts, err := newMessaging(ctx, db, running, sw, org, meter, outbox, log, reg)
	if err != nil {
		_ = sw.Shutdown(context.Background())
		return err
	}

	var httpSrv *http.Server
	httpAddr := ""
	auth := api.NewAuth(cfg)
	if cfg.HTTP.MetricsListen != "" {
		stopMetrics, err := serveMetrics(cfg.HTTP.MetricsListen, reg, log)
		if err != nil {
			_ = sw.Shutdown(context.Background())
			return err
		}
		defer stopMetrics()
	}
	if cfg.HTTP.Listen != "" {
		svc := api.Services{DB: db, DataDir: dir, Switch: sw, Organization: org, Dialer: dial, Texts: texts, Voicemail: mailboxes}
		if meter != nil {
			svc.Meter = &api.Meter{Credit: meter.m.Credit(), Ledger: meter.m.Ledger(), Rentals: meter.m.Rentals()}
		}
		if cfg.HTTP.MetricsListen == "" {
			svc.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
		}
		srv, err := api.New(auth, svc)
		if err != nil {
			_ = sw.Shutdown(context.Background())
			return err
		}
		if err := mountConsole(ctx, srv, auth, running, log); err != nil {
			_ = sw.Shutdown(context.Background())
			return err
		}
		ln, err := net.Listen("tcp", cfg.HTTP.Listen)
		if err != nil {
			_ = sw.Shutdown(context.Background())
			return fmt.Errorf("listen http %s: %w", cfg.HTTP.Listen, err)
		}
		httpAddr = ln.Addr().String()
		httpSrv = &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("http server", "error", err)
			}
		}()
	}
	printWelcome(stdout, cfg, sw, meter, httpAddr, dir)

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-hup:
			if next := reload(ctx, cfg, org, sw, meter, auth, log); next != nil {
				cfg = next
				running.Store(next)
			}
		}
	}
	log.Info("shutting down: no new calls; waiting for calls in progress", "grace", grace)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	// Shutdown returns once every leg's CDR is written (or gives up and
	// says so); only then may the CDR store close.
	shutdownErr := sw.Shutdown(shutdownCtx)
	if httpSrv != nil {
		hctx, hcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer hcancel()
		_ = httpSrv.Shutdown(hctx)
	}
	cdrs.Close()
	if meter != nil {
		meter.stop()
	}
	if shutdownErr != nil {
		return shutdownErr
	}
	log.Info("stopped")
	return nil
}

// newMediaPool makes the RTP port pool on the media IP: the configured
// one, else the SIP listen address. The pool keeps the sockets of ended
// calls bound for later ones (media.WithIdlePairs), as many pairs as the
// range holds, but never more descriptors than half of what the open
// files limit leaves after sip.tcp_max_conns.
func newMediaPool(cfg *config.Config, log *slog.Logger, openFiles uint64) (*media.Pool, error) {
	ipText := cfg.Media.IP
	if ipText == "" {
		listen := cfg.SIP.UDP
		if listen == "" {
			listen = cfg.SIP.TCP
		}
		ipText, _, _ = net.SplitHostPort(listen)
	}
	ip, err := netip.ParseAddr(ipText)
	if err != nil || ip.IsUnspecified() {
		return nil, fmt.Errorf("media: set media.ip to the address phones reach the switch at (SIP listens on %q)", ipText)
	}
	pool, err := media.NewPool(ip, cfg.Media.PortMin, cfg.Media.PortMax,
		media.WithMediaTimeout(cfg.Media.Timeout.Duration), media.WithLogger(log),
		media.WithOwnAddresses(sipListenIPs(cfg)...),
		media.WithIdlePairs(idleMediaPairs(cfg, openFiles)))
	if err != nil {
		return nil, fmt.Errorf("media port pool: %w", err)
	}
	return pool, nil
}

// idleMediaPairs is how many port pairs the media pool keeps bound between
// calls: the whole range (the pool caps it), unless the descriptors they
// take would be over half of what the open files limit leaves after the
// TCP connections; 0 (an unknown limit) keeps the whole range.
func idleMediaPairs(cfg *config.Config, openFiles uint64) int {
	pairs := (cfg.Media.PortMax - cfg.Media.PortMin + 1) / 2
	if openFiles == 0 {
		return pairs
	}
	left := int64(openFiles) - int64(cfg.SIP.TCPMaxConns)
	return int(min(int64(pairs), max(left/4, 0))) // two descriptors a pair, half of what is left
}

// sipListenIPs are the addresses SIP listens on: SDP pointing at one of
// them with a media port would make the relay send to itself.
func sipListenIPs(cfg *config.Config) []netip.Addr {
	var ips []netip.Addr
	for _, listen := range []string{cfg.SIP.UDP, cfg.SIP.TCP} {
		host, _, err := net.SplitHostPort(listen)
		if err != nil {
			continue
		}
		if ip, err := netip.ParseAddr(host); err == nil {
			ips = append(ips, ip)
		}
	}
	return ips
}

// reload re-reads the config file on SIGHUP and returns the config it
// applied, or nil. A config with any error is refused whole, and so is
// one that would release every number (config.CheckReload): the switch
// keeps running on the one it has.
func reload(ctx context.Context, running *config.Config, org *directory.Organization, sw *sip.Switch, meter *meterAdapter, auth *api.Auth, log *slog.Logger) *config.Config {
	path := running.Path
	if path == config.DemoPath {
		log.Warn("reload: the embedded demo config does not change; start with --config FILE to reload")
		return nil
	}
	cfg, err := loadConfigFile(path)
	if err != nil {
		log.Error("reload refused: the config has errors; still running on the previous one", "error", err)
		return nil
	}
	if err := config.CheckReload(running, cfg); err != nil {
		log.Error("reload refused: still running on the previous config", "error", err)
		return nil
	}
	logWarnings(log, cfg)
	if meter != nil {
		if err := meter.reload(cfg); err != nil {
			log.Error("reload refused: billing", "error", err)
			return nil
		}
	}
	// Before the switch logs the reload: from then on a revoked token is
	// refused and a new one works.
	auth.Reload(cfg)
	if cfg.MemoryLimit.String() != running.MemoryLimit.String() || cfg.MemoryLimit.Set() != running.MemoryLimit.Set() {
		applyMemoryLimit(log, cfg.MemoryLimit)
	}
	// The organization first: the switch follows its directory, and drops
	// the registrations of the users it no longer has. It tells the meter
	// the numbers, before the switch logs the reload.
	org.Reload(ctx, cfg)
	if err := sw.Reload(cfg); err != nil {
		log.Error("reload switch", "error", err)
	}
	return cfg
}

// logWarnings logs what the config accepts but should not have (weak
// passwords).
func logWarnings(log *slog.Logger, cfg *config.Config) {
	for _, w := range cfg.Warnings {
		log.Warn("config", "warning", w)
	}
}

// serveMetrics serves /metrics without a token on an address of its own
// (http.metrics_listen), for a scraper on a private network.
func serveMetrics(addr string, reg *prometheus.Registry, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen metrics %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "error", err)
		}
	}()
	log.Info("metrics without a token", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}

func orNone(s string) string {
	if s == "" {
		return "off"
	}
	return s
}
