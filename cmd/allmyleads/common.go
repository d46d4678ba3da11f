package main

import (
	"flag"
	"fmt"
	"io"
)

// commonOpts are the flags every command that touches state, flows or
// plugins takes, so they mean the same everywhere.
type commonOpts struct {
	config  string
	db      string
	flows   string
	plugins string
}

// addCommonFlags registers --config and --db, and with withCode also
// --flows and --plugins.
func addCommonFlags(fs *flag.FlagSet, withCode bool) *commonOpts {
	o := &commonOpts{}
	fs.StringVar(&o.config, "config", "", "configuration file (default ./allmyleads.yaml when present)")
	fs.StringVar(&o.db, "db", "", "database file (default data/allmyleads.db)")
	if withCode {
		fs.StringVar(&o.flows, "flows", "", "folder of flow files to use instead of the shipped flows")
		fs.StringVar(&o.plugins, "plugins", "", "folder of Lua plugins to use instead of the shipped ones (default ./plugins when present)")
	}
	return o
}

// load reads the configuration and applies the flags over it.
func (o *commonOpts) load(env *cliEnv) (Config, error) {
	cfg, err := LoadConfig(o.config, env.getenv)
	if err != nil {
		return cfg, err
	}
	if o.db != "" {
		cfg.Store.Path = o.db
		cfg.Store.Driver = driverBbolt // --db names a bbolt file, whatever the configuration says
	}
	if o.flows != "" {
		cfg.Flows.Dir = o.flows
	}
	if o.plugins != "" {
		cfg.Plugins.Dir = o.plugins
	}
	return cfg, nil
}

// newFlagSet makes a flag set whose errors and -h go to the command's
// stderr, with a usage line.
func newFlagSet(env *cliEnv, name, usageLine string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: allmyleads %s\n\nFlags:\n", usageLine)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; it returns (code, false) when the command must
// stop: 0 after -h, 2 on a usage error.
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK, false
		}
		return exitUsage, false
	}
	return 0, true
}

// dispatch runs one of a command's subcommands, with the same help and
// usage errors for every command that has subcommands.
func dispatch(env *cliEnv, name string, args []string, usage func(io.Writer), subs map[string]func([]string) int) int {
	if len(args) == 0 {
		usage(env.stderr)
		return exitUsage
	}
	if run, ok := subs[args[0]]; ok {
		return run(args[1:])
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(env.stdout)
		return exitOK
	}
	fmt.Fprintf(env.stderr, "allmyleads %s: unknown subcommand %q\n\n", name, args[0])
	usage(env.stderr)
	return exitUsage
}

// failf prints an error for the user and returns the exit code.
func failf(w io.Writer, code int, format string, a ...any) int {
	fmt.Fprintf(w, "allmyleads: "+format+"\n", a...)
	return code
}
