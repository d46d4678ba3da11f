package main

import (
	"context"
	"fmt"
)

// notYet answers for a command whose issue has not landed yet.
func notYet(name string) func(context.Context, *cliEnv, []string) int {
	return func(_ context.Context, env *cliEnv, _ []string) int {
		fmt.Fprintf(env.stderr, "allmyleads %s: not built yet\n", name)
		return exitRuntime
	}
}
