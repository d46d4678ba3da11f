package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/flowtest"
	"github.com/allmyleads/allmyleads/engine/store"
	"github.com/allmyleads/allmyleads/flows"
)

// runFlowTest is `allmyleads flow test`: it plays scripted conversations
// (*.test.yaml) against the flows with a fake clock, the offline extractor
// and a throwaway store. Failures print FILE:LINE: what was expected and
// what the bot sent; exit 1 when a test fails, 2 when a test file is
// malformed, 0 when all pass.
func runFlowTest(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "flow test", "flow test [--flows DIR] [--plugins DIR] [--config FILE] [-v] [FILE.test.yaml|DIR ...]")
	configFile := fs.String("config", "", "configuration file (default ./allmyleads.yaml when present): the business's name, texts and quiet hours")
	flowsDir := fs.String("flows", "", "folder of flow files (default: the shipped flows); its tests/ folder holds the tests")
	pluginDir := fs.String("plugins", "", "folder of Lua plugins (default ./plugins when present, else the shipped ones)")
	verbose := fs.Bool("v", false, "also name the tests that pass")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	cfg, err := LoadConfig(*configFile, env.getenv)
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}
	if *flowsDir != "" {
		cfg.Flows.Dir = *flowsDir
	}
	if *pluginDir != "" {
		cfg.Plugins.Dir = *pluginDir
	}
	host, err := openPlugins(cfg, newLogger(env))
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}
	defer host.Close()
	set, err := loadFlows(cfg.Flows.Dir, cfg.Engine.StartFlow, host)
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}

	files, problems := testFiles(cfg.Flows.Dir, fs.Args())
	for _, p := range problems {
		fmt.Fprintln(env.stdout, p)
	}
	if len(files) == 0 && len(problems) == 0 {
		where := filepath.Join(cfg.Flows.Dir, "tests")
		if cfg.Flows.Dir == "" {
			where = "the shipped tests"
		}
		fmt.Fprintf(env.stderr, "allmyleads flow test: no *.test.yaml files in %s\n", where)
	}
	opts := flowtest.Options{Flows: set, Plugins: host, Config: engineConfig(cfg), Open: throwawayStore}
	passed, failed := 0, 0
	for _, f := range files {
		res, err := flowtest.Run(ctx, f, opts)
		if err != nil {
			var p flowtest.Problem
			if errors.As(err, &p) {
				fmt.Fprintln(env.stdout, p)
				problems = append(problems, p)
				continue
			}
			return failf(env.stderr, exitRuntime, "flow test: %v", err)
		}
		switch {
		case res.Passed():
			passed++
			if *verbose {
				fmt.Fprintf(env.stdout, "ok   %s (%s)\n", f.Name, f.Path)
			}
		default:
			failed++
			if *verbose {
				fmt.Fprintf(env.stdout, "FAIL %s (%s)\n", f.Name, f.Path)
			}
			fmt.Fprintln(env.stdout, res)
		}
	}
	summary := fmt.Sprintf("%d passed, %d failed", passed, failed)
	if len(problems) > 0 {
		summary += fmt.Sprintf(", %d malformed", countFiles(problems))
	}
	fmt.Fprintln(env.stderr, summary)
	switch {
	case len(problems) > 0:
		return exitUsage
	case failed > 0:
		return exitInput
	}
	return exitOK
}

// testFiles reads the tests named by args (files, or folders of
// *.test.yaml), or else those of the flows folder's tests/, or the shipped
// ones. Malformed files come back as problems.
func testFiles(flowsDir string, args []string) ([]*flowtest.File, []error) {
	var files []*flowtest.File
	var problems []error
	add := func(display string, data []byte, read func(string) ([]byte, error)) {
		f, err := flowtest.Parse(display, data, read)
		if err != nil {
			var ps flowtest.Problems
			if errors.As(err, &ps) {
				for _, p := range ps {
					problems = append(problems, p)
				}
				return
			}
			problems = append(problems, err)
			return
		}
		files = append(files, f)
	}
	osFile := func(path string) {
		data, err := os.ReadFile(path)
		if err != nil {
			problems = append(problems, flowtest.Problem{Path: path, Msg: fmt.Sprintf("cannot read the test: %v", unwrapPathErr(err))})
			return
		}
		dir := filepath.Dir(path)
		add(path, data, func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name)) })
	}
	osDir := func(dir string) {
		names, _ := filepath.Glob(filepath.Join(dir, "*.test.yaml"))
		sort.Strings(names)
		for _, n := range names {
			osFile(n)
		}
	}
	switch {
	case len(args) > 0:
		for _, a := range args {
			if st, err := os.Stat(a); err == nil && st.IsDir() {
				osDir(a)
				continue
			}
			osFile(a)
		}
	case flowsDir != "":
		osDir(filepath.Join(flowsDir, "tests"))
	default:
		shipped := flows.ShippedTests()
		names, _ := fs.Glob(shipped, "*.test.yaml")
		sort.Strings(names)
		for _, n := range names {
			data, err := fs.ReadFile(shipped, n)
			if err != nil {
				problems = append(problems, err)
				continue
			}
			add("flows/tests/"+n, data, func(name string) ([]byte, error) { return fs.ReadFile(shipped, name) })
		}
	}
	return files, problems
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// countFiles counts the files with problems.
func countFiles(problems []error) int {
	files := map[string]bool{}
	for _, p := range problems {
		var fp flowtest.Problem
		if errors.As(p, &fp) {
			files[fp.Path] = true
		} else {
			files[p.Error()] = true
		}
	}
	return len(files)
}

// throwawayStore opens a store in a temporary folder, removed on close.
func throwawayStore(clock func() time.Time) (flowtest.Backend, core.Rights, func() error, error) {
	dir, err := os.MkdirTemp("", "allmyleads-flowtest-")
	if err != nil {
		return nil, nil, nil, err
	}
	key, err := store.GenerateKey()
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, nil, err
	}
	st, err := store.Open(store.Options{Path: filepath.Join(dir, "test.db"), Key: key, Clock: clock, NoSync: true})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, nil, err
	}
	closeFn := func() error {
		err := st.Close()
		return errors.Join(err, os.RemoveAll(dir))
	}
	return st, st.ChatRights(), closeFn, nil
}
