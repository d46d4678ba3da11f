package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/allmyleads/allmyleads/plugins"
)

// runPlugin is `allmyleads plugin`: call a Lua plugin function with a JSON
// ctx, or run the plugins' *_test.lua tests.
func runPlugin(ctx context.Context, env *cliEnv, args []string) int {
	return dispatch(env, "plugin", args, pluginUsage, map[string]func([]string) int{
		"run":  func(a []string) int { return runPluginRun(ctx, env, a) },
		"test": func(a []string) int { return runPluginTest(ctx, env, a) },
	})
}

func pluginUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: allmyleads plugin run FILE [--fn NAME] [--input INPUT.json] [--plugins DIR] [--timeout D] [--config FILE]")
	fmt.Fprintln(w, "       allmyleads plugin test [DIR] [--timeout D] [-v]")
	fmt.Fprintln(w, "\nrun calls a function of a plugin (FILE is a plugin name such as pricing, or a")
	fmt.Fprintln(w, "path to a .lua file whose folder then holds the plugins) with the JSON object")
	fmt.Fprintln(w, "{\"lead\", \"project\", \"vars\", \"config\"} as ctx, and prints the result as JSON. A")
	fmt.Fprintln(w, "quote is printed as computed by the host, with `total` in major units beside")
	fmt.Fprintln(w, "`total_minor`. A quote's inputs can be fed back with --input to reproduce it.")
	fmt.Fprintln(w, "test runs every *_test.lua of DIR (default: the shipped plugins): each global")
	fmt.Fprintln(w, "function test_* is a test. Tests run without the configuration's plugins.config;")
	fmt.Fprintln(w, "a test gives ctx.config itself. Both exit 1 on any error or failing test.")
}

// parseInterleaved parses flags that may come before or after positional
// arguments (`plugin run pricing --fn quote`).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var pos []string
	for {
		if code, ok := parseFlags(fs, args); !ok {
			return nil, code, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, 0, true
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func runPluginRun(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "plugin run", "plugin run FILE [--fn NAME] [--input INPUT.json] [--plugins DIR] [--timeout D] [--config FILE]")
	fn := fs.String("fn", "quote", "function to call")
	input := fs.String("input", "", "JSON file holding ctx: {\"lead\", \"project\", \"vars\", \"config\"}; - reads stdin (default {})")
	dirFlag := fs.String("plugins", "", "folder of Lua plugins (default ./plugins when present, over the shipped ones)")
	timeout := fs.Duration("timeout", 0, "time the call may take (default plugins.timeout of the configuration, 2s)")
	configFile := fs.String("config", "", "configuration file (default ./allmyleads.yaml when present)")
	pos, code, ok := parseInterleaved(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	fnSet := false
	fs.Visit(func(f *flag.Flag) { fnSet = fnSet || f.Name == "fn" })

	cfg, err := LoadConfig(*configFile, env.getenv)
	if err != nil {
		return failf(env.stderr, exitInput, "plugin run: %v", err)
	}
	dir, name, function, err := pluginTarget(pos[0], *dirFlag, *fn, fnSet, cfg)
	if err != nil {
		code := exitInput
		if errors.Is(err, errUsage) {
			code = exitUsage
		}
		return failf(env.stderr, code, "plugin run: %v", err)
	}
	vars, inputConfig, err := readPluginInput(env, *input)
	if err != nil {
		return failf(env.stderr, exitInput, "plugin run: %v", err)
	}
	pc := map[string]any{"currency": cfg.Business.Currency}
	maps.Copy(pc, cfg.Plugins.Config)
	maps.Copy(pc, inputConfig)
	limit := cfg.Plugins.Timeout.D()
	if *timeout > 0 {
		limit = *timeout
	}
	host, err := plugins.Open(plugins.Options{
		Dir: dir, Shipped: plugins.ShippedFS(), Timeout: limit, Config: pc,
		Logger: slog.New(slog.NewTextHandler(env.stderr, nil)),
	})
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitInput
	}
	defer host.Close()

	ref := name + "." + function
	res, err := host.Call(ctx, ref, plugins.Input{Contact: "cli", Vars: vars})
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitInput
	}
	out := res.Value
	if q := res.Quote; q != nil {
		m := q.Map()
		m["plugin"], m["source_hash"] = q.Plugin, q.SourceHash
		m["total_text"] = plugins.FormatMoney(q.Total, q.Currency)
		out = m
	}
	if err := writeJSON(env.stdout, out); err != nil {
		return failf(env.stderr, exitRuntime, "plugin run: %v", err)
	}
	return exitOK
}

// pluginTarget resolves FILE: a path to a .lua file (its folder holds the
// plugins), a plugin name, or a plugin reference FILE.FUNCTION.
func pluginTarget(file, dirFlag, fn string, fnSet bool, cfg Config) (dir, name, function string, err error) {
	function = fn
	if strings.HasSuffix(file, ".lua") || strings.ContainsRune(file, '/') || strings.ContainsRune(file, filepath.Separator) {
		info, err := os.Stat(file)
		if err != nil {
			return "", "", "", err
		}
		if info.IsDir() {
			return "", "", "", fmt.Errorf("%s is a folder: give a .lua file or a plugin name", file)
		}
		if dirFlag != "" {
			return "", "", "", fmt.Errorf("%w: give a path to a .lua file or --plugins DIR with a plugin name, not both", errUsage)
		}
		return filepath.Dir(file), strings.TrimSuffix(filepath.Base(file), ".lua"), function, nil
	}
	name = file
	if before, after, ok := strings.Cut(file, "."); ok && !fnSet {
		name, function = before, after
	}
	if dirFlag != "" {
		cfg.Plugins.Dir = dirFlag
	}
	return pluginsDir(cfg), name, function, nil
}

// readPluginInput reads the JSON ctx of `plugin run` ("" = {}).
func readPluginInput(env *cliEnv, path string) (vars, config map[string]any, err error) {
	var raw []byte
	switch path {
	case "":
		raw = []byte("{}")
	case "-":
		path = "stdin"
		raw, err = io.ReadAll(env.stdin)
	default:
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read input: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, nil, fmt.Errorf("%s: %s", path, jsonErrorAt(raw, err))
	}
	if dec.More() {
		return nil, nil, fmt.Errorf("%s: more than one JSON value", path)
	}
	if obj == nil {
		return nil, nil, fmt.Errorf("%s: want a JSON object {\"lead\", \"project\", \"vars\", \"config\"}", path)
	}
	vars, config, err = plugins.SplitInput(obj)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return vars, config, nil
}

// jsonErrorAt words a JSON decoding error with its line and column.
func jsonErrorAt(raw []byte, err error) string {
	var offset int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		offset = se.Offset
	case errors.As(err, &te):
		offset = te.Offset
		if te.Field == "" {
			return "want a JSON object {\"lead\", \"project\", \"vars\", \"config\"}, got " + te.Value
		}
	case errors.Is(err, io.ErrUnexpectedEOF):
		offset = int64(len(bytes.TrimRight(raw, " \t\r\n")))
		err = errors.New("unexpected end of JSON")
	}
	if offset < 0 || offset > int64(len(raw)) {
		return err.Error()
	}
	before := raw[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("%d:%d: %v", line, col, err)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runPluginTest(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "plugin test", "plugin test [DIR] [--timeout D] [-v]")
	timeout := fs.Duration("timeout", plugins.DefaultTimeout, "time one plugin call may take; a test may take 10 times as long")
	verbose := fs.Bool("v", false, "show what the plugins log(...) while the tests run")
	pos, code, ok := parseInterleaved(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		fs.Usage()
		return exitUsage
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	opts := plugins.Options{Shipped: plugins.ShippedFS(), Timeout: *timeout, Logger: slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: level}))}
	var files []string
	if len(pos) == 1 {
		opts.Dir = pos[0]
		entries, err := os.ReadDir(opts.Dir)
		if err != nil {
			return failf(env.stderr, exitUsage, "plugin test: %v", err)
		}
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), "_test.lua") {
				files = append(files, e.Name())
			}
		}
		if len(files) == 0 {
			return failf(env.stderr, exitInput, "plugin test: no *_test.lua files in %s", opts.Dir)
		}
		slices.Sort(files)
	}
	host, err := plugins.Open(opts)
	if err != nil {
		fmt.Fprintln(env.stderr, err)
		return exitInput
	}
	defer host.Close()
	results, err := host.RunTests(ctx, files...)
	if err != nil {
		return failf(env.stderr, exitRuntime, "plugin test: %v", err)
	}
	passed, failed := 0, 0
	for _, r := range results {
		if r.Passed {
			passed++
			fmt.Fprintf(env.stdout, "PASS %s:%s\n", r.File, r.Name)
			printOutput(env.stdout, r.Output)
			continue
		}
		failed++
		loc := r.Err.File
		if r.Err.Line > 0 {
			loc = fmt.Sprintf("%s:%d", r.Err.File, r.Err.Line)
		}
		if r.Name == "" {
			fmt.Fprintf(env.stdout, "FAIL %s: %s\n", loc, r.Err.Msg)
		} else {
			fmt.Fprintf(env.stdout, "FAIL %s: %s: %s\n", loc, r.Name, r.Err.Msg)
		}
		printOutput(env.stdout, r.Output)
	}
	fmt.Fprintf(env.stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 || len(results) == 0 {
		return exitInput
	}
	return exitOK
}

// printOutput writes what a plugin test printed, indented under its line.
func printOutput(w io.Writer, out string) {
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if line != "" {
			fmt.Fprintf(w, "    | %s\n", line)
		}
	}
}
