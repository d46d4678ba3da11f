package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// subcommand checks the word a command with one subcommand starts with
// (`consent withdraw ...`): without arguments it prints the usage line and
// gives exitUsage, with -h or --help the usage line and exitOK, with another
// word an error naming the one it wants (exitUsage). ok is true when args
// start with sub; rest is what follows it.
func subcommand(env *cliEnv, args []string, name, sub, usage string) (rest []string, code int, ok bool) {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(env.stderr, "Usage: allmyleads %s\n", usage)
		if len(args) == 0 {
			return nil, exitUsage, false
		}
		return nil, exitOK, false
	}
	if args[0] != sub {
		return nil, failf(env.stderr, exitUsage, "%s: unknown subcommand %q (want %s)", name, args[0], sub), false
	}
	return args[1:], 0, true
}

// contactFlag is a record command's required --contact: a phone number or a URN.
type contactFlag struct {
	fs  *flag.FlagSet
	raw *string
}

// addContactFlag registers the required --contact.
func addContactFlag(fs *flag.FlagSet) contactFlag {
	return contactFlag{fs: fs, raw: fs.String("contact", "", "the contact: a phone number (+447700900100) or a URN (whatsapp-bsuid:US.1234, web:ID) (required)")}
}

// urn is the --contact as a canonical URN once the flags are parsed (a
// phone number means the WhatsApp contact). Without --contact, or with
// arguments left over, it prints the usage and gives exitUsage; a contact
// that is neither is an error (exitUsage). ok is false when the command
// must stop with code.
func (c contactFlag) urn(env *cliEnv) (urn string, code int, ok bool) {
	if *c.raw == "" || c.fs.NArg() > 0 {
		c.fs.Usage()
		return "", exitUsage, false
	}
	urn, err := core.NormalizeURN(*c.raw)
	if err != nil {
		return "", failf(env.stderr, exitUsage, "--contact: %v", err), false
	}
	return urn, 0, true
}

// openRecords loads the configuration of the record command name (see
// loadFor) and gives it its store (see openRecordStore); args are the
// command's arguments, forwarded to a running server. Call release when
// done. Any error is for exitOf: a configuration that does not load is the
// user's input (exit 1).
func (o *commonOpts) openRecords(ctx context.Context, env *cliEnv, name string, args []string) (cfg Config, st recordStore, release func() error, err error) {
	cfg, err = o.loadFor(env)
	if err != nil {
		return cfg, nil, nil, &errExit{exitInput, err}
	}
	st, release, err = openRecordStore(ctx, &cfg, env, append([]string{name}, args...))
	return cfg, st, release, err
}

// listing is what the listing commands (leads, quotes) share: their flag
// set with --status, --since and --format, checked alike, and the list
// written alike.
type listing struct {
	name   string
	fs     *flag.FlagSet
	opts   *commonOpts
	status *string
	since  *string
	format *string
}

// newListing makes the flag set of the listing command name; statusHelp
// describes its --status.
func newListing(env *cliEnv, name, usage, statusHelp string) *listing {
	fs := newFlagSet(env, name, usage)
	return &listing{
		name:   name,
		fs:     fs,
		opts:   addCommonFlags(fs, false),
		status: fs.String("status", "", statusHelp),
		since:  fs.String("since", "", "only "+name+" created on or after this date (2025-12-06)"),
		format: fs.String("format", "table", "output: table, json or csv"),
	}
}

// parse parses args and checks them: no arguments beyond the flags, a
// --since date and a known --format. It gives the --since time; ok is false
// when the command must stop with code.
func (l *listing) parse(env *cliEnv, args []string) (since time.Time, code int, ok bool) {
	if code, ok := parseFlags(l.fs, args); !ok {
		return since, code, false
	}
	if l.fs.NArg() > 0 {
		return since, failf(env.stderr, exitUsage, "%s: unexpected argument %q", l.name, l.fs.Arg(0)), false
	}
	since, err := parseSince(*l.since)
	if err != nil {
		return since, failf(env.stderr, exitUsage, "%v", err), false
	}
	if err := checkFormat(*l.format); err != nil {
		return since, failf(env.stderr, exitUsage, "%v", err), false
	}
	return since, 0, true
}

// csv reports whether the list is written as CSV, whose columns are raw
// values (amounts in minor units) under snake_case names.
func (l *listing) csv() bool { return *l.format == "csv" }

// write prints the list in the chosen format: rows under header (csvHeader
// for CSV), or v as JSON.
func (l *listing) write(env *cliEnv, header, csvHeader []string, rows [][]string, v any) int {
	if l.csv() {
		header = csvHeader
	}
	if err := writeRows(env.stdout, *l.format, header, rows, v); err != nil {
		return failf(env.stderr, exitRuntime, "%s: %v", l.name, err)
	}
	return exitOK
}

// addActorFlag registers --actor: who runs an administrative command, for
// the audit log.
func addActorFlag(fs *flag.FlagSet, env *cliEnv) *string {
	def := "cli"
	if u := env.getenv("USER"); u != "" {
		def = "cli:" + u
	}
	return fs.String("actor", def, "who runs this, for the audit log")
}

// parseSince reads --since: a date (2006-01-02, midnight UTC) or an RFC 3339 time.
func parseSince(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want a date like 2025-12-06 or a time like 2025-12-06T10:00:00Z", s)
}

// zeroDecimal lists ISO 4217 currencies without minor units.
var zeroDecimal = map[string]bool{"JPY": true, "KRW": true, "VND": true, "CLP": true, "ISK": true, "UGX": true, "XAF": true, "XOF": true, "PYG": true, "RWF": true}

// money formats an amount in minor units: 410493 EUR -> "4104.93 EUR".
func money(minor int64, currency string) string {
	if zeroDecimal[currency] {
		return fmt.Sprintf("%d %s", minor, currency)
	}
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return strings.TrimSpace(fmt.Sprintf("%s%d.%02d %s", sign, minor/100, minor%100, currency))
}

// dateOf formats a time as a date, or "" for the zero time.
func dateOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

// checkFormat validates --format.
func checkFormat(f string) error {
	switch f {
	case "table", "json", "csv":
		return nil
	}
	return fmt.Errorf("--format %q: want table, json or csv", f)
}

// writeRows prints a list as a table or CSV (header first), or v as JSON.
func writeRows(w io.Writer, format string, header []string, rows [][]string, v any) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write(header)
		cw.WriteAll(rows)
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}
