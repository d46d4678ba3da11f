// Command allmyleads runs and develops AllMyLeads quote bots: the terminal
// chat, the WhatsApp server, the flow linter, the plugin tools and the
// business's record and privacy commands. Each subcommand lives in its own
// file; this file only dispatches.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Exit codes, as STYLE.md fixes them.
const (
	exitOK      = 0
	exitInput   = 1 // the user's input is wrong: lint errors, a failing plugin test
	exitUsage   = 2
	exitRuntime = 3
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) int
}

// cliEnv carries the process's streams, so commands are testable.
type cliEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// shared is the running server's store when a record command runs
	// inside the server for a client of its admin socket (admin.go); nil
	// when the command opens the database itself.
	shared *sharedStore
	// cwd is the folder relative paths are resolved against (abs): the
	// admin socket client's; "" means this process's.
	cwd string
	// locker is the shared store a record command opened itself
	// (Postgres), whose contact locks exclusive takes.
	locker core.ContactLocker
	// logs is where logs go; nil means stderr. The terminal chat sets it
	// (chat_log.go), so logs never land in its transcript.
	logs io.Writer
}

func commands() []command {
	return []command{
		{"chat", "talk to the bot in the terminal (what `make run` does)", runChat},
		{"serve", "run the WhatsApp Cloud API webhook server", runServe},
		{"flow", "lint flow files or print the flow language's JSON Schema", runFlow},
		{"plugin", "run a Lua plugin function or its tests", runPlugin},
		{"extract", "try one extraction from images or text", runExtract},
		{"leads", "list leads", runLeads},
		{"quotes", "list quotes", runQuotes},
		{"quote", "change a quote (mark-paid)", runQuote},
		{"export", "export everything held about a contact as JSON", runExport},
		{"correct", "correct a contact's data", runCorrect},
		{"erase", "erase a contact's personal data", runErase},
		{"consent", "withdraw a contact's consent", runConsent},
		{"handoff", "hand a contact back to the bot after a person helped them", runHandoff},
		{"retention", "delete what is past its retention period", runRetention},
		{"keygen", "print a new encryption key", runKeygen},
		{"rekey", "re-encrypt the database under a new key", runRekey},
		{"backup", "write a consistent copy of the database", runBackup},
		{"compact", "rewrite the database file with its live records only", runCompact},
		{"token", "create, list or revoke owner API tokens", runToken},
		{"owner", "set the console's owner password", runOwner},
		{"webhooks", "send a signed sample event to a webhook receiver", runWebhooks},
	}
}

func main() {
	env := &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	ctx, stop := signalContext()
	defer stop()
	os.Exit(run(ctx, env, os.Args[1:]))
}

// signalContext is cancelled by the first SIGINT or SIGTERM; a second one
// exits at once.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ch
		cancel()
		<-ch
		fmt.Fprintln(os.Stderr, "second signal: exiting now")
		os.Exit(exitRuntime)
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

func run(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) == 0 {
		usage(env.stderr)
		return exitUsage
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" {
		if len(args) > 1 {
			return run(ctx, env, []string{args[1], "-h"})
		}
		usage(env.stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, env, args[1:])
		}
	}
	fmt.Fprintf(env.stderr, "allmyleads: unknown command %q\n\n", name)
	usage(env.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "allmyleads: WhatsApp lead and quote bots from YAML flows and Lua pricing.")
	fmt.Fprintln(w, "\nUsage: allmyleads COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `allmyleads COMMAND -h` for a command's flags.")
}

// errUsage marks an error in how a command was called (exit 2).
var errUsage = errors.New("usage")
