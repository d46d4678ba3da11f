package flows

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Set is a group of flows loaded together: links between them resolve
// within the set.
type Set struct {
	Flows map[string]*Flow
	Order []string // flow names in load order
	Files []string // the files read, as diagnostics name them, in order
}

// Flow returns the flow with the given name, or nil.
func (s *Set) Flow(name string) *Flow {
	if s == nil {
		return nil
	}
	return s.Flows[name]
}

// loader reads files into a set; one validator serves the whole load.
type loader struct {
	collector
	set  *Set
	tags *tagChecker
	seen map[string]bool
}

func newLoader() *loader {
	return &loader{set: &Set{Flows: map[string]*Flow{}}, seen: map[string]bool{}}
}

// file parses one file and adds its flow to the set.
func (l *loader) file(display string, data []byte) {
	if l.seen[display] {
		return
	}
	l.seen[display] = true
	l.set.Files = append(l.set.Files, display)
	d := &decoder{file: display, tags: l.tags}
	f := d.parse(data)
	l.tags = d.tags
	l.diags = append(l.diags, d.diags...)
	if f == nil {
		return
	}
	if prev, dup := l.set.Flows[f.Name]; dup {
		l.errorf(f.Pos, "flow names are unique across files", "flow %q is already defined at %s", f.Name, prev.Pos)
		return
	}
	l.set.Flows[f.Name] = f
	l.set.Order = append(l.set.Order, f.Name)
}

func (l *loader) done() (*Set, Diagnostics) {
	l.diags.Sort()
	return l.set, l.diags
}

// isFlowFile reports whether a file name has a flow file's extension.
func isFlowFile(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// LoadDir loads every *.yaml and *.yml file in dir (not its subfolders),
// named in diagnostics by their path.
func LoadDir(dir string) (*Set, Diagnostics) {
	l := newLoader()
	l.dir(dir)
	return l.done()
}

func (l *loader) dir(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		l.errorf(Pos{File: dir}, "", "read flows: %v", unwrapPathError(err))
		return
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() || !isFlowFile(e.Name()) {
			continue
		}
		n++
		l.osFile(filepath.Join(dir, e.Name()))
	}
	if n == 0 {
		l.warnf(Pos{File: dir}, "flow files end in .yaml or .yml", "no flow files in %s", dir)
	}
}

func (l *loader) osFile(name string) {
	data, err := os.ReadFile(name)
	if err != nil {
		l.errorf(Pos{File: name}, "", "read flow: %v", unwrapPathError(err))
		return
	}
	l.file(name, data)
}

// unwrapPathError drops the path from an *fs.PathError, which the
// diagnostic already names.
func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// LoadFS loads every *.yaml and *.yml file in dir of fsys (not its
// subfolders). displayPrefix is put before each file name in diagnostics,
// e.g. "flows/".
func LoadFS(fsys fs.FS, dir string, displayPrefix string) (*Set, Diagnostics) {
	l := newLoader()
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		l.errorf(Pos{File: displayPrefix + dir}, "", "read flows: %v", unwrapPathError(err))
		return l.done()
	}
	for _, e := range entries {
		if e.IsDir() || !isFlowFile(e.Name()) {
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		display := displayPrefix + e.Name()
		if err != nil {
			l.errorf(Pos{File: display}, "", "read flow: %v", unwrapPathError(err))
			continue
		}
		l.file(display, data)
	}
	return l.done()
}

// LoadFiles loads the given files and folders (each folder's *.yaml and
// *.yml files) into one set, as `allmyleads flow lint PATH...` does. A file
// given by name is read whatever its extension.
func LoadFiles(paths ...string) (*Set, Diagnostics) {
	l := newLoader()
	for _, p := range paths {
		info, err := os.Stat(p)
		switch {
		case err != nil:
			l.errorf(Pos{File: p}, "", "read flows: %v", unwrapPathError(err))
		case info.IsDir():
			l.dir(p)
		default:
			l.osFile(p)
		}
	}
	return l.done()
}

//go:embed *.yaml
var shipped embed.FS

// Shipped returns the flows that ship in the binary, files at the root.
func Shipped() fs.FS { return shipped }

// LoadShipped loads the shipped flows, named flows/NAME.yaml in diagnostics.
func LoadShipped() (*Set, Diagnostics) { return LoadFS(shipped, ".", "flows/") }

// String names the set's flows, for logs.
func (s *Set) String() string {
	if s == nil {
		return "no flows"
	}
	return fmt.Sprintf("%d flows (%s)", len(s.Order), strings.Join(s.Order, ", "))
}
