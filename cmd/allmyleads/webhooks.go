package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/allmyleads/allmyleads/owner/notify"
)

// runWebhooks checks the business's webhook receivers: `webhooks test URL`
// posts a signed sample event (a lead.created about a made-up customer,
// marked "test") with the secret configured for URL, or --secret.
func runWebhooks(ctx context.Context, env *cliEnv, args []string) int {
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "Usage: allmyleads webhooks test URL [--secret SECRET] [--config FILE]")
		fmt.Fprintln(w, "       allmyleads webhooks list [--config FILE]")
	}
	return dispatch(env, "webhooks", args, usage, map[string]func([]string) int{
		"test": func(rest []string) int { return webhooksTest(ctx, env, rest) },
		"list": func(rest []string) int { return webhooksList(env, rest) },
	})
}

func webhooksTest(ctx context.Context, env *cliEnv, rest []string) int {
	fs := newFlagSet(env, "webhooks test", "webhooks test URL [--secret SECRET] [--config FILE]")
	opts := addCommonFlags(fs, false)
	secret := fs.String("secret", "", "sign with this secret (default: the secret configured for URL)")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the receiver")
	target, rest := nameFirst(rest)
	if code, ok := parseFlags(fs, rest); !ok {
		return code
	}
	if target == "" && fs.NArg() > 0 {
		target = fs.Arg(0)
	}
	if !isHTTPURL(target) {
		fs.Usage()
		return failf(env.stderr, exitUsage, "webhooks test: give the receiver's http(s) URL")
	}
	cfg, err := opts.load(env)
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}
	w := notify.Webhook{URL: target, Secret: *secret}
	for _, c := range webhooks(cfg) {
		if c.URL == target && w.Secret == "" {
			w.Secret = c.Secret
		}
	}
	if w.Secret == "" {
		return failf(env.stderr, exitInput, "webhooks test: %s is not in the configuration's webhooks; give --secret", target)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	body, status, err := notify.SendTest(ctx, &http.Client{}, w, time.Now())
	pretty, _ := json.MarshalIndent(body, "", "  ")
	fmt.Fprintf(env.stdout, "POST %s\n%s: %s\n%s\n", target, notify.HeaderEvent, body.Type, pretty)
	if err != nil {
		return failf(env.stderr, exitRuntime, "webhooks test: %v", err)
	}
	fmt.Fprintf(env.stdout, "the receiver answered %d: delivered\n", status)
	return exitOK
}

func webhooksList(env *cliEnv, rest []string) int {
	fs := newFlagSet(env, "webhooks list", "webhooks list [--config FILE]")
	opts := addCommonFlags(fs, false)
	if code, ok := parseFlags(fs, rest); !ok {
		return code
	}
	cfg, err := opts.load(env)
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}
	if len(cfg.Webhooks) == 0 {
		fmt.Fprintln(env.stdout, "no webhooks configured (the webhooks section of allmyleads.yaml)")
		return exitOK
	}
	for _, w := range webhooks(cfg) {
		events := "every event"
		if len(w.Events) > 0 {
			b, _ := json.Marshal(w.Events)
			events = string(b)
		}
		fmt.Fprintf(env.stdout, "%s\t%s\n", w.URL, events)
	}
	return exitOK
}
