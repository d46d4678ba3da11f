package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/allmyleads/allmyleads/channels/whatsapp"
	"github.com/allmyleads/allmyleads/owner/notify"
)

// shutdownGrace bounds each stage of a graceful stop: HTTP requests in
// flight, turns in flight, and the last sends.
const shutdownGrace = 10 * time.Second

// runServe runs the WhatsApp Cloud API webhook server until SIGINT or
// SIGTERM, then stops accepting, finishes in-flight work, sends what it can
// and closes the database.
func runServe(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "serve", "serve [--addr 127.0.0.1:8080] [--config FILE] [--db PATH] [--flows DIR] [--plugins DIR]")
	opts := addCommonFlags(fs, true)
	addr := fs.String("addr", "", "address to listen on (default from config: 127.0.0.1:8080; :8080 for every interface)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return failf(env.stderr, exitUsage, "serve: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := opts.load(env)
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}
	if *addr != "" {
		cfg.Server.Addr = *addr
	}
	srv, err := startServer(ctx, cfg, env, serverOptions{})
	if err != nil {
		var le *listenError
		if errors.As(err, &le) {
			return failf(env.stderr, exitRuntime, "%v", err)
		}
		return failf(env.stderr, exitInput, "%v", err)
	}
	fmt.Fprintf(env.stderr, "allmyleads: serving the WhatsApp webhook on http://%s%s (health: /healthz, /readyz)\n", srv.ln.Addr(), whatsapp.WebhookPath)
	fmt.Fprintln(env.stderr, "allmyleads: "+consoleNote(srv.ln.Addr().String()))
	fmt.Fprintln(env.stderr, "allmyleads: "+webNote(cfg, srv.ln.Addr().String()))
	fmt.Fprintln(env.stderr, "allmyleads: "+extractorNote(cfg))
	fmt.Fprintf(env.stderr, "allmyleads: record commands (leads, export, erase, backup...) reach this server through %s\n", adminSocketPath(cfg.Store.Path))
	if err := srv.wait(ctx); err != nil {
		return failf(env.stderr, exitRuntime, "serve: %v", err)
	}
	fmt.Fprintln(env.stderr, "allmyleads: stopped")
	return exitOK
}

// serverOptions adjust a server for tests and the bench command.
type serverOptions struct {
	listener    net.Listener                   // nil: listen on cfg.Server.Addr
	noWorkers   bool                           // store webhooks but process nothing (a crash right after the 200)
	tune        func(*whatsapp.ChannelOptions) // worker tuning
	quiet       bool                           // no lifecycle lines on stderr
	noRetention bool                           // do not run the daily retention (timers still fire)
	clock       func() time.Time               // the engine's clock (nil: the real one), for tests of timers
	webhooks    func(*notify.DelivererOptions) // webhook deliverer tuning
}

// server is a running serve: the runtime, the WhatsApp channel and the
// HTTP server.
type server struct {
	rt        *runtime
	ch        *whatsapp.Channel
	http      *http.Server
	ln        net.Listener
	env       *cliEnv
	opts      serverOptions
	served    chan error // the HTTP server's end
	stopWork  context.CancelFunc
	worked    chan error    // the channel workers' end
	retained  chan struct{} // the scheduler's end: due timers and the daily retention (serve_retention.go)
	stopAdmin func()        // closes the admin socket
}

// listenError is a failure to listen on the address (exit 3, not 1).
type listenError struct{ err error }

func (e *listenError) Error() string { return e.err.Error() }
func (e *listenError) Unwrap() error { return e.err }

// startServer listens (first, so a busy port fails before the database is
// touched), opens the runtime, wires the WhatsApp channel to it and starts
// the HTTP server and the channel's workers.
func startServer(ctx context.Context, cfg Config, env *cliEnv, so serverOptions) (*server, error) {
	ln := so.listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", cfg.Server.Addr); err != nil {
			return nil, &listenError{fmt.Errorf("listen on %s: %w", cfg.Server.Addr, err)}
		}
	}
	rt, err := newRuntimeAt(cfg, env, nil, so.clock)
	if err != nil {
		ln.Close()
		return nil, err
	}
	// Record commands (leads, export, erase, backup...) run against this
	// process's store through the admin socket while it holds the file.
	stopAdmin, err := startAdmin(ctx, cfg, rt.store, rt.engine, env)
	if err != nil {
		ln.Close()
		rt.Close()
		return nil, &listenError{err}
	}
	// serve_alerts.go: the owner's cards and commands, the webhooks.
	al, err := startAlerts(cfg, rt, so.webhooks)
	if err != nil {
		stopAdmin()
		ln.Close()
		rt.Close()
		return nil, err
	}
	wa := cfg.WhatsApp
	co := whatsapp.ChannelOptions{
		Settings: whatsapp.Settings{
			Token: wa.Token, PhoneNumberID: wa.PhoneNumberID, AppSecret: wa.AppSecret, VerifyToken: wa.VerifyToken,
			APIBase: wa.APIBase, RatePerSecond: wa.RatePerSecond,
			WindowTemplate: wa.WindowTemplate, TemplateLanguage: wa.TemplateLanguage,
		},
		Backend: rt.store, Dispatcher: al.dispatcher(rt), Quarantine: rt.engine.Quarantine, Ready: rt.store.Ping,
		Tag: rt.store.ContactKey, Logger: rt.logger, Hooks: whatsappHooks(rt.metrics),
	}
	co.Hooks.GaveUp = al.gaveUp(rt)
	if so.tune != nil {
		so.tune(&co)
	}
	ch := whatsapp.NewChannel(co)
	if missing := co.Missing(); len(missing) > 0 && !so.quiet {
		fmt.Fprintf(env.stderr, "allmyleads: WhatsApp is not fully configured: set %s (environment or the whatsapp section of the config file).\n"+
			"allmyleads: the server starts anyway; %s\n", strings.Join(missing, ", "), missingEffect(missing))
	}
	rt.setNotify(ch.Wake)
	handler, closeOwner, err := serveHandler(cfg, rt, ch, env)
	if err != nil {
		stopAdmin()
		ln.Close()
		rt.Close()
		return nil, err
	}
	// serve_web.go: the web chat and /metrics beside the webhook and the console.
	front, err := openFrontDoor(cfg, rt, ch, handler)
	if err == nil {
		front.workers = append(front.workers, al.deliverer.Run)
	}
	if err != nil {
		closeOwner()
		stopAdmin()
		ln.Close()
		rt.Close()
		return nil, err
	}
	hs := &http.Server{
		Handler:           front.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	front.attach(hs)
	s := &server{rt: rt, ch: ch, http: hs, ln: ln, env: env, opts: so, served: make(chan error, 1), worked: make(chan error, 1), retained: make(chan struct{}), stopAdmin: stopAdmin}
	hs.RegisterOnShutdown(closeOwner) // end the console's event streams
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	s.stopWork = stopWork
	go s.schedule(workCtx)
	if so.noWorkers {
		s.worked <- nil
	} else {
		go func() { s.worked <- front.Run(workCtx) }()
	}
	go func() { s.served <- hs.Serve(ln) }()
	return s, nil
}

// missingEffect says what the missing settings mean for a running server.
func missingEffect(missing []string) string {
	var effects []string
	for _, m := range missing {
		switch m {
		case "WHATSAPP_APP_SECRET":
			effects = append(effects, "webhook POSTs are answered 503")
		case "WHATSAPP_VERIFY_TOKEN":
			effects = append(effects, "the verification handshake is answered 503")
		case "WHATSAPP_TOKEN", "WHATSAPP_PHONE_NUMBER_ID":
			if !strings.Contains(strings.Join(effects, " "), "nothing is processed") {
				effects = append(effects, "nothing is processed or sent (stored webhooks and queued replies wait)")
			}
		}
	}
	return strings.Join(effects, "; ") + "."
}

// wait serves until ctx is cancelled (or the listener fails), then shuts
// down gracefully.
func (s *server) wait(ctx context.Context) error {
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-s.served:
		if errors.Is(serveErr, http.ErrServerClosed) {
			serveErr = nil
		}
	}
	return errors.Join(serveErr, s.shutdown())
}

func (s *server) stage(msg string) {
	if !s.opts.quiet {
		fmt.Fprintln(s.env.stderr, "allmyleads: "+msg)
	}
}

// shutdown stops accepting webhooks and finishes their requests, lets the
// turns in flight commit, stops the engine, sends what is due, and closes
// the database. What cannot finish in time stays in the inbox and outbox
// for the next start.
func (s *server) shutdown() error {
	var errs []error
	s.stage("stopping: no new webhooks, finishing requests in flight")
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	if err := s.http.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("http shutdown: %w", err))
	}
	cancel()
	s.stage("stopping: finishing messages in flight")
	s.stopWork()
	if err := <-s.worked; err != nil {
		errs = append(errs, err)
	}
	<-s.retained
	s.rt.router.Close()
	s.stage("stopping: sending what is queued")
	ctx, cancel = context.WithTimeout(context.Background(), shutdownGrace)
	if err := s.ch.Flush(ctx); err != nil {
		s.stage(fmt.Sprintf("not everything was sent (%v); it stays queued for the next start", err))
	}
	cancel()
	s.stopAdmin()
	s.stage("stopping: closing the database")
	if err := s.rt.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close: %w", err))
	}
	return errors.Join(errs...)
}
