package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/allmyleads/allmyleads/channels/console"
	"github.com/allmyleads/allmyleads/engine/core"
)

// runChat talks to the bot in the terminal through the same engine,
// store and outbox as WhatsApp. With piped input each line is one customer
// message, so a whole conversation can be scripted.
func runChat(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "chat", "chat [--contact +15550100] [--name NAME] [--start FLOW] [--record FILE.test.yaml] [--log FILE] [--db PATH] [--flows DIR] [--plugins DIR]")
	opts := addCommonFlags(fs, true)
	contact := fs.String("contact", defaultChatContact, "the customer: a phone number (E.164; +15550100 and 15550100 are the same WhatsApp contact) or a URN such as console:ana")
	recordTo := fs.String("record", "", "write the conversation as a test file for `allmyleads flow test` (bot lines become checks)")
	name := fs.String("name", "", "the customer's WhatsApp profile name")
	start := fs.String("start", "", "the flow a new conversation starts in (default from config: greeting)")
	logTo := fs.String("log", "", "write logs to this file (- for stderr); without it the chat shows none, unless ALLMYLEADS_LOG sets a level (then on stderr)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	logged, closeLogs, err := chatLogs(env, *logTo) // never in the transcript (chat_log.go)
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}
	defer closeLogs()
	env = logged
	urn, err := core.NormalizeURN(*contact)
	if err != nil {
		return failf(env.stderr, exitUsage, "--contact: %v", err)
	}
	cfg, err := opts.load(env)
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}
	if *start != "" {
		cfg.Engine.StartFlow = *start
	}
	clock := &chatClock{}
	rt, err := newRuntimeAt(ctx, cfg, env, nil, clock.Now)
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}
	defer rt.Close()
	timers := newChatTimers(rt, clock)
	var rec *chatRecording
	if *recordTo != "" {
		rec = newChatRecording(*recordTo, *contact, clock.Now())
		if s, err := rt.store.Session(ctx, urn); err == nil && s != nil && !s.Ended {
			fmt.Fprintf(env.stderr, "allmyleads: %s has a conversation in progress; the test will start from the beginning (use a new --db or --contact to record from hello)\n", urn)
		}
	}
	if err := rt.channels.Register(console.Terminal{Out: env.stdout}); err != nil {
		return failf(env.stderr, exitRuntime, "chat: %v", err)
	}
	interactive := isTerminal(env.stdin)
	if interactive {
		fmt.Fprintf(env.stdout, "Chatting with %s as %s. Type a message; /photo PATH [caption] sends an image (/photo alone sends a sample), /wait 3h lets time pass, /help lists the commands, /quit leaves.\n", cfg.Business.Name, urn)
		fmt.Fprintln(env.stdout, extractorNote(cfg))
		if *logTo != "" && *logTo != "-" {
			fmt.Fprintf(env.stdout, "Logs go to %s.\n", *logTo)
		}
	}
	co := console.Options{
		In: env.stdin, Out: env.stdout, Contact: urn, Name: *name,
		Handler: rt.router, Outbox: rt.store, Reminder: rt.engine, Echo: !interactive, Prompt: interactive,
		MaxImageBytes: int64(cfg.OpenAI.MaxImageBytes), Clock: clock.Now, Due: timers.due, Wait: timers.wait,
	}
	if rec != nil {
		co.Record = rec
	}
	err = console.Run(ctx, co)
	if rec != nil {
		if serr := rec.save(); serr != nil {
			return failf(env.stderr, exitRuntime, "chat: %v", serr)
		}
		fmt.Fprintf(env.stderr, "allmyleads: recorded the conversation in %s; run it with: allmyleads flow test %s\n", *recordTo, *recordTo)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return failf(env.stderr, exitRuntime, "chat: %v", err)
	}
	return exitOK
}

// defaultChatContact is the customer a chat speaks as without --contact.
const defaultChatContact = "+15550100"

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
