package plugins

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestPatternsMatchLua51 runs testdata/patterns/corpus.lua, cases of
// string.find, match, gmatch and gsub, in the sandbox and compares what it
// prints with what the reference interpreter printed for the same file
// (lua51.golden, written by `lua5.1 corpus.lua`).
func TestPatternsMatchLua51(t *testing.T) {
	src, err := os.ReadFile("testdata/patterns/corpus.lua")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/patterns/lua51.golden")
	if err != nil {
		t.Fatal(err)
	}
	h := openDir(t, map[string]string{"corpus.lua": string(src)}, Options{Timeout: time.Minute})
	res, err := call(t, h, "corpus.run", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := res.Value.(string)
	gotLines, wantLines := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gotLines), len(wantLines)); i++ {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Errorf("line %d:\n got  %s\n want %s", i+1, g, w)
		}
	}
}
