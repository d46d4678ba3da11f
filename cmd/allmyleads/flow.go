package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/flows"
	"github.com/allmyleads/allmyleads/plugins"
)

// runFlow is `allmyleads flow`: lint flow files or print the language's
// JSON Schema.
func runFlow(ctx context.Context, env *cliEnv, args []string) int {
	return dispatch(env, "flow", args, flowUsage, map[string]func([]string) int{
		"lint":   func(a []string) int { return runFlowLint(ctx, env, a) },
		"schema": func(a []string) int { return runFlowSchema(env, a) },
		"test":   func(a []string) int { return runFlowTest(ctx, env, a) },
	})
}

func flowUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: allmyleads flow lint [--plugins DIR] [--flows DIR] [PATH...]")
	fmt.Fprintln(w, "       allmyleads flow schema [--translations]")
	fmt.Fprintln(w, "       allmyleads flow test [--flows DIR] [--plugins DIR] [FILE.test.yaml ...]")
	fmt.Fprintln(w, "\nlint checks flow files (default: the shipped flows) and prints one line per")
	fmt.Fprintln(w, "problem, FILE:LINE:COL: error|warning: message. It exits 1 when there are errors.")
	fmt.Fprintln(w, "schema prints the JSON Schema of flow files (with --translations, of the")
	fmt.Fprintln(w, "translations/LANG.yaml files beside them), for completion in an editor.")
	fmt.Fprintln(w, "test plays scripted conversations (*.test.yaml; default: DIR/tests, or the shipped")
	fmt.Fprintln(w, "tests) with a fake clock; it exits 1 when a test fails, 2 when a test file is malformed.")
}

func runFlowLint(_ context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "flow lint", "flow lint [--plugins DIR] [--flows DIR] [PATH...]")
	pluginsDir := fs.String("plugins", "", "folder of Lua plugins to check plugin: references against")
	flowsDir := fs.String("flows", "", "folder of flow files to lint (same as giving it as a PATH)")
	start := fs.String("start", flows.DefaultStartFlow, "the flow conversations start in: a folder (or the shipped set) without it is an error")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	paths := fs.Args()
	if *flowsDir != "" {
		paths = append([]string{*flowsDir}, paths...)
	}

	var set *flows.Set
	var diags flows.Diagnostics
	if len(paths) == 0 {
		set, diags = flows.LoadShipped()
	} else {
		set, diags = flows.LoadFiles(paths...)
	}

	opts, closeOpts, err := lintOptions(*pluginsDir)
	if err != nil {
		return failf(env.stderr, exitUsage, "flow lint: %v", err)
	}
	defer closeOpts()
	if len(paths) <= 1 && (len(paths) == 0 || isDir(paths[0])) {
		opts.StartFlow = *start // a whole set: it must hold the start flow
	}

	diags = append(diags, flows.Lint(set, opts)...)
	diags.Sort()
	for _, d := range diags {
		fmt.Fprintln(env.stdout, d.String())
	}
	errs, warns := diags.Count()
	fmt.Fprintf(env.stderr, "%d %s, %d %s in %d %s\n",
		errs, flowPlural(errs, "error", "errors"),
		warns, flowPlural(warns, "warning", "warnings"),
		len(set.Files), flowPlural(len(set.Files), "file", "files"))
	if errs > 0 {
		return exitInput
	}
	return exitOK
}

// lintOptions connects the linter to the plugin host for pluginsDir (the
// shipped plugins when empty): plugin references must name a function that
// exists and `when` conditions must compile. The returned function releases
// the host.
func lintOptions(pluginsDir string) (flows.LintOptions, func(), error) {
	if pluginsDir != "" {
		info, err := os.Stat(pluginsDir)
		if err != nil {
			return flows.LintOptions{}, func() {}, fmt.Errorf("--plugins: %w", err)
		}
		if !info.IsDir() {
			return flows.LintOptions{}, func() {}, fmt.Errorf("--plugins: %s is not a folder", pluginsDir)
		}
	}
	host, err := plugins.Open(plugins.Options{Dir: pluginsDir, Shipped: plugins.ShippedFS()})
	if err != nil {
		return flows.LintOptions{}, func() {}, fmt.Errorf("plugins: %w", err)
	}
	return pluginLintOptions(host, ""), func() { host.Close() }, nil
}

// isDir reports whether path is a folder.
func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// pluginLintOptions checks plugin references and `when` conditions with the
// plugin host, for `flow lint` and for every command that loads flows.
func pluginLintOptions(host *plugins.Host, startFlow string) flows.LintOptions {
	return flows.LintOptions{
		StartFlow:   startFlow,
		EngineTexts: engine.TextKeys(), // a translation's engine: section
		Plugin:      host.Has,
		Condition: func(expr string) error {
			_, err := plugins.CompileCondition(expr)
			return err
		},
	}
}

func runFlowSchema(env *cliEnv, args []string) int {
	fs := newFlagSet(env, "flow schema", "flow schema [--translations]")
	translations := fs.Bool("translations", false, "print the schema of translation files (translations/LANG.yaml) instead")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "allmyleads flow schema: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	schema := flows.Schema()
	if *translations {
		schema = flows.TranslationSchema()
	}
	if _, err := env.stdout.Write(schema); err != nil {
		return failf(env.stderr, exitRuntime, "flow schema: %v", err)
	}
	return exitOK
}

func flowPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
