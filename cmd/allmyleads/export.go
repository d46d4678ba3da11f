package main

import (
	"context"
	"fmt"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store"
)

// runExport writes everything held about a contact as one JSON document
// (format allmyleads-export/v1), with the photos beside it when --out is
// given, and audits the export.
func runExport(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "export", "export --contact PHONE [--out FILE] [--schema] [--actor NAME] [--db PATH] [--config FILE]")
	opts := addCommonFlags(fs, false)
	contact := addContactFlag(fs)
	out := fs.String("out", "", "write the JSON to FILE and the photos to FILE's name + -media/ (default: JSON to stdout, photos listed only)")
	schema := fs.Bool("schema", false, "print the export format's JSON Schema and exit")
	actor := addActorFlag(fs, env)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *schema {
		env.stdout.Write(store.ExportSchema())
		return exitOK
	}
	urn, code, ok := contact.urn(env)
	if !ok {
		return code
	}
	_, st, release, err := opts.openRecords(ctx, env, "export", args)
	if err != nil {
		return exitOf(env, err)
	}
	defer release()
	e, err := st.Export(ctx, urn)
	if err != nil {
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	if e.Empty() {
		fmt.Fprintf(env.stderr, "allmyleads: nothing is held about %s\n", urn)
	}
	if *out == "" {
		data, err := e.JSON()
		if err != nil {
			return failf(env.stderr, exitRuntime, "export: %v", err)
		}
		env.stdout.Write(append(data, '\n'))
		if len(e.Media) > 0 {
			fmt.Fprintf(env.stderr, "allmyleads: %d photos or files are listed; use --out FILE to write them too\n", len(e.Media))
		}
	} else {
		files, err := e.WriteExport(env.abs(*out))
		if err != nil {
			return failf(env.stderr, exitRuntime, "%v", err)
		}
		for _, f := range files {
			fmt.Fprintln(env.stdout, f)
		}
	}
	if err := st.Audit(ctx, core.AuditEntry{Actor: *actor, Action: "export", Contact: st.ContactKey(urn)}); err != nil {
		return failf(env.stderr, exitRuntime, "%v", err)
	}
	return exitOK
}
