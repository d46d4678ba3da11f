// Package golden checks test output against golden files and rewrites them
// when the tests run with -update (`go test ./... -update`).
//
// It is test support only: import it from _test.go files, never from the
// product's code, since importing it registers the -update flag on the
// process's command line. Packages that use it must not define an -update
// flag of their own.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Update is the -update flag: when set, Check writes the golden files
// instead of comparing with them.
var Update = flag.Bool("update", false, "rewrite golden files from the current output")

// Check compares got with the golden file at path (relative to the test's
// package folder). With -update it writes got there instead, creating the
// folder. A difference fails the test with a line diff that names the file.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("update golden file: %v", err)
			return
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("update golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (`go test -update` creates it)", err)
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (`go test -update` refreshes it if the change is right):\n%s", path, diff(path, want, got))
	}
}

// diff describes how got differs from want line by line, in the manner of
// a unified diff: "-" lines are the golden file's (named by path), "+"
// lines the output's, with up to three lines of context around each change.
func diff(path string, want, got []byte) string {
	a, b := splitLines(want), splitLines(got)
	ops := diffLines(a, b)
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ output\n", path)
	const context = 3
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		// A hunk: the changes from i on that are no more than 2*context
		// lines of equal text apart, with context around them.
		start := max(i-context, 0)
		end := i
		for j := i; j < len(ops); j++ {
			if ops[j].kind != ' ' {
				end = j + 1
			} else if j-end >= 2*context {
				break
			}
		}
		end = min(end+context, len(ops))
		fmt.Fprintf(&sb, "@@ golden line %d, output line %d @@\n", ops[start].a+1, ops[start].b+1)
		for _, op := range ops[start:end] {
			sb.WriteByte(op.kind)
			sb.WriteByte(' ')
			sb.WriteString(op.text)
			sb.WriteByte('\n')
		}
		i = end
	}
	return sb.String()
}

// noNewline marks a last line without a newline, as diff does.
const noNewline = " (no newline at end)"

// splitLines cuts text into lines; a last line without a newline says so,
// so that the newline alone can show as a difference.
func splitLines(text []byte) []string {
	if len(text) == 0 {
		return nil
	}
	lines := strings.Split(string(text), "\n")
	if lines[len(lines)-1] == "" {
		return lines[:len(lines)-1]
	}
	lines[len(lines)-1] += noNewline
	return lines
}

// op is one line of a diff: kind ' ' (in both), '-' (only in a) or '+'
// (only in b), with the line's index in a and in b where it is or would be.
type op struct {
	kind byte
	a, b int
	text string
}

// maxCells bounds the table of the longest common subsequence: beyond it
// the differing middle shows as all removed, then all added.
const maxCells = 4 << 20

// diffLines gives the edit script from a to b: a longest common
// subsequence of the lines after the common beginning and end.
func diffLines(a, b []string) []op {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []op
	for i := 0; i < pre; i++ {
		ops = append(ops, op{' ', i, i, a[i]})
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if (len(ma)+1)*(len(mb)+1) > maxCells {
		for i, l := range ma {
			ops = append(ops, op{'-', pre + i, pre, l})
		}
		for j, l := range mb {
			ops = append(ops, op{'+', pre + len(ma), pre + j, l})
		}
	} else {
		ops = append(ops, lcsOps(ma, mb, pre)...)
	}
	for k := 0; k < suf; k++ {
		i, j := len(a)-suf+k, len(b)-suf+k
		ops = append(ops, op{' ', i, j, a[i]})
	}
	return ops
}

// lcsOps is the edit script from a to b by the longest common subsequence;
// off is where a and b start in the whole texts.
func lcsOps(a, b []string, off int) []op {
	n, m := len(a), len(b)
	// l[i][j] is the length of the LCS of a[i:] and b[j:].
	l := make([][]int, n+1)
	for i := range l {
		l[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, op{' ', off + i, off + j, a[i]})
			i, j = i+1, j+1
		case i < n && (j == m || l[i+1][j] >= l[i][j+1]):
			ops = append(ops, op{'-', off + i, off + j, a[i]})
			i++
		default:
			ops = append(ops, op{'+', off + i, off + j, b[j]})
			j++
		}
	}
	return ops
}
