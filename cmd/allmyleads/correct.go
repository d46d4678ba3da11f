package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store"
	"github.com/allmyleads/allmyleads/flows"
)

// setFlags collects repeated --set PATH=VALUE flags.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, ",") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

// runCorrect corrects a contact's data: each --set PATH=VALUE is validated
// by the flows' own rule for that variable (the ask step that saves it) and
// by the store's check, then written to the contact record and the
// conversation alike.
func runCorrect(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "correct", "correct --contact PHONE --set lead.email=new@example.com [--set ...] [--actor NAME] [--db PATH] [--config FILE] [--flows DIR]")
	opts := addCommonFlags(fs, true)
	contact := addContactFlag(fs)
	var sets setFlags
	fs.Var(&sets, "set", "PATH=VALUE to correct, repeatable; PATH is one of "+strings.Join(store.CorrectableFields(), ", "))
	actor := addActorFlag(fs, env)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if len(sets) == 0 {
		fs.Usage()
		return exitUsage
	}
	urn, code, ok := contact.urn(env)
	if !ok {
		return code
	}
	type change struct{ path, value string }
	var changes []change
	for _, s := range sets {
		path, value, ok := strings.Cut(s, "=")
		if !ok {
			return failf(env.stderr, exitUsage, "--set %q: want PATH=VALUE", s)
		}
		changes = append(changes, change{strings.TrimSpace(path), value})
	}
	cfg, err := opts.loadFor(env)
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}
	set, err := loadFlows(cfg.Flows.Dir, "", nil)
	if err != nil {
		return failf(env.stderr, exitInput, "%v", err)
	}
	// Check every value before changing anything.
	for _, c := range changes {
		if _, err := store.CheckCorrection(c.path, c.value); err != nil {
			return failf(env.stderr, exitInput, "%v", err)
		}
		if err := checkFlowRule(set, c.path, strings.TrimSpace(c.value)); err != nil {
			return failf(env.stderr, exitInput, "%v", err)
		}
	}
	st, release, err := openRecordStore(ctx, &cfg, env, append([]string{"correct"}, args...))
	if err != nil {
		return exitOf(env, err)
	}
	defer release()
	for _, c := range changes {
		if err := exclusive(env, urn, func() error { return st.Correct(ctx, urn, c.path, c.value, *actor) }); err != nil {
			if errors.Is(err, core.ErrNotFound) {
				return failf(env.stderr, exitInput, "nothing is held about %s", urn)
			}
			if errors.Is(err, store.ErrInvalidValue) {
				return failf(env.stderr, exitInput, "%v", err)
			}
			return failf(env.stderr, exitRuntime, "%v", err)
		}
		fmt.Fprintf(env.stdout, "corrected %s\n", c.path)
	}
	return exitOK
}

// checkFlowRule validates a value with the validate tags of every ask step
// that saves the variable, and names the step when it fails.
func checkFlowRule(set *flows.Set, path, value string) (err error) {
	v := flows.NewValidator()
	for _, name := range set.Order {
		f := set.Flow(name)
		for i := range f.Steps {
			st := f.Steps[i]
			if st.Save != path || st.Validate == "" {
				continue
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						err = fmt.Errorf("%s: step %q: validate %q: %v", st.Pos, st.ID, st.Validate, r)
					}
				}()
				if verr := v.Var(value, st.Validate); verr != nil {
					err = fmt.Errorf("%s: %q fails the rule %q of step %q (%s)", path, value, st.Validate, st.ID, st.Pos)
				}
			}()
			if err != nil {
				return err
			}
		}
	}
	return nil
}
