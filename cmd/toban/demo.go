package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/tobanbot/toban/demo"
)

// demoCLI runs `toban demo [--addr HOST:PORT]`: the real bot wired to the
// in-repo fakes, and a page to use it.
func demoCLI(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("toban demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address of the demo page (loopback by default: the page acts as anyone on the team)")
	logLevel := fs.String("log-level", "warn", "the bot's log level on stderr: trace, debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "toban demo: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if _, err := zerolog.ParseLevel(*logLevel); err != nil || *logLevel == "" {
		fmt.Fprintf(stderr, "toban demo: --log-level must be one of trace, debug, info, warn, error; got %q\n", *logLevel)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	fmt.Fprintln(stdout, "toban demo: starting the bot against a fake Slack and a fake PagerDuty (no account needed; tokens in your environment are ignored)…")
	run, err := startDemo(ctx, *addr, *logLevel, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "toban demo:", err)
		return 1
	}
	fmt.Fprintf(stdout, "toban demo: open http://%s/ in a browser (Ctrl-C stops it)\n", run.Addr)
	if err := run.Wait(); err != nil {
		fmt.Fprintln(stderr, "toban demo:", err)
		return 1
	}
	return 0
}

// demoRun is a running demo: fakes, bot and page.
type demoRun struct {
	Demo *demo.Demo
	Main *Main
	Addr string // where the page is served
	errs chan error
	done func()
}

// Wait blocks until the context given to startDemo ends, then stops
// everything and removes the demo's database.
func (r *demoRun) Wait() error {
	err := <-r.errs
	r.done()
	return err
}

// startDemo starts the fakes, the bot exactly as `toban run` does (Main
// with the demo's environment and clock, logging at logLevel to logOut),
// seeds the team's state through Slack, and serves the page on addr.
func startDemo(ctx context.Context, addr, logLevel string, logOut io.Writer) (*demoRun, error) {
	d := demo.New(time.Now, zerolog.New(logOut).Level(zerolog.WarnLevel).With().Timestamp().
		Str("service", "toban").Str("component", "demo").Logger())
	dir, err := os.MkdirTemp("", "toban-demo-")
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("temporary database folder: %w", err)
	}
	cleanup := func() {
		d.Close()
		os.RemoveAll(dir)
	}
	env := d.Env(filepath.Join(dir, "toban.db"))
	env["TOBAN_LOG_LEVEL"] = logLevel
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("demo configuration: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("--addr: %w", err)
	}
	m := NewMain(cfg, logOut)
	m.Clock = d.Clock
	ctx, cancel := context.WithCancel(ctx)
	if err := m.Open(ctx); err != nil {
		cancel()
		ln.Close()
		m.Close()
		cleanup()
		return nil, err
	}
	r := &demoRun{Demo: d, Main: m, Addr: ln.Addr().String(), errs: make(chan error, 2)}
	botDone := make(chan error, 1)
	go func() { botDone <- m.Run(ctx) }()
	r.done = func() {
		cancel()
		<-botDone
		m.Close()
		cleanup()
	}
	connectCtx, cancelConnect := context.WithTimeout(ctx, 15*time.Second)
	defer cancelConnect()
	if err := d.Slack.WaitConnected(connectCtx, 1); err != nil {
		ln.Close()
		r.done()
		return nil, fmt.Errorf("the bot did not connect to the fake Slack: %w", err)
	}
	if err := d.Seed(ctx); err != nil {
		ln.Close()
		r.done()
		return nil, fmt.Errorf("seed the demo: %w", err)
	}
	go func() {
		err := d.Serve(ctx, ln)
		if err == nil && ctx.Err() == nil {
			err = errors.New("the demo page stopped")
		}
		r.errs <- err
	}()
	return r, nil
}
