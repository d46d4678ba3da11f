package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

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
