package flows

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// Set is a group of flows loaded together: links between them resolve
// within the set.
type Set struct {
	Flows map[string]*Flow
	Order []string // flow names in load order
	Files []string // the files read, as diagnostics name them, in order
	// Broken lists the files that gave no flow (YAML syntax errors, not a
	// flow, unreadable). Their flows are missing from Flows, so Lint does
	// not report links and variables that they might provide.
	Broken []string
	// Translations are the flows' texts in other languages
	// (translations/LANG.yaml beside the flows), by language.
	Translations []*Translation

	broken map[string]brokenFile
	texts  map[*Template]map[string]*Template // translations by the text they translate, then language
}

// brokenFile is what is known of a file that gave no flow.
type brokenFile struct {
	why  string // "has syntax errors", "holds no flow", "could not be read"
	name string // its flow's name when its text shows it, else ""
}

// markBroken records a file that gave no flow; data is its text, if read.
func (s *Set) markBroken(file, why string, data []byte) {
	if s.broken == nil {
		s.broken = map[string]brokenFile{}
	}
	if _, dup := s.broken[file]; dup {
		return
	}
	s.Broken = append(s.Broken, file)
	s.broken[file] = brokenFile{why: why, name: flowNameIn(data)}
}

var flowLineRE = regexp.MustCompile(`(?m)^flow:[ \t]*(["']?)([A-Za-z0-9_][A-Za-z0-9_-]*)(["']?)[ \t]*(#.*)?\r?$`)

// flowNameIn finds the flow name in the raw text of a file that does not
// parse: exactly one "flow: NAME" line at the top level, else "".
func flowNameIn(data []byte) string {
	ms := flowLineRE.FindAllSubmatch(data, 2)
	if len(ms) != 1 || string(ms[0][1]) != string(ms[0][3]) {
		return ""
	}
	return string(ms[0][2])
}

// mightHold reports whether a flow name that is not in the set could be
// the flow of a file that gave none.
func (s *Set) mightHold(name string) bool {
	for _, f := range s.Broken {
		if b := s.broken[f]; b.name == "" || b.name == name {
			return true
		}
	}
	return false
}

// brokenNames are the flow names read from the text of broken files.
func (s *Set) brokenNames() []string {
	var out []string
	for _, f := range s.Broken {
		if b := s.broken[f]; b.name != "" {
			out = append(out, b.name)
		}
	}
	return out
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
		why := "holds no flow"
		if d.syntax {
			why = "has syntax errors"
		}
		l.set.markBroken(display, why, data)
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
	l.set.indexTranslations()
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
	l.loadTranslations(dir)
}

// MaxFileSize bounds a flow file: a flow of a few hundred steps is tens of
// kilobytes, and a file of many megabytes (a mistake, or an alias bomb)
// would take hundreds of megabytes to parse.
const MaxFileSize = 1 << 20

func (l *loader) osFile(name string) {
	if info, err := os.Stat(name); err == nil && info.Size() > MaxFileSize {
		l.tooLarge(name, info.Size())
		return
	}
	data, err := os.ReadFile(name)
	if err != nil {
		l.errorf(Pos{File: name}, "", "read flow: %v", unwrapPathError(err))
		l.set.markBroken(name, "could not be read", nil)
		return
	}
	l.file(name, data)
}

// tooLarge reports a flow file over MaxFileSize, unread.
func (l *loader) tooLarge(name string, size int64) {
	l.errorf(Pos{File: name}, "split it into several flow files (link: moves from one to the next)",
		"flow file is %.1f MB; a flow file may be at most %d KB", float64(size)/(1<<20), MaxFileSize>>10)
	l.set.markBroken(name, "too large", nil)
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
		display := displayPrefix + e.Name()
		if info, err := e.Info(); err == nil && info.Size() > MaxFileSize {
			l.tooLarge(display, info.Size())
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			l.errorf(Pos{File: display}, "", "read flow: %v", unwrapPathError(err))
			l.set.markBroken(display, "could not be read", nil)
			continue
		}
		l.file(display, data)
	}
	l.loadTranslationsFS(fsys, dir, displayPrefix)
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

//go:embed *.yaml translations/*.yaml
var shipped embed.FS

// Shipped returns the flows that ship in the binary, files at the root.
func Shipped() fs.FS { return shipped }

// LoadShipped loads the shipped flows, named flows/NAME.yaml in diagnostics.
func LoadShipped() (*Set, Diagnostics) { return LoadFS(shipped, ".", "flows/") }

// Load loads the flows of dir, or the shipped flows when dir is "": what
// every command's --flows flag means. WithStartFlow adds the check that the
// engine's start flow is among them.
func Load(dir string, opts ...LoadOption) (*Set, Diagnostics) {
	var o loadOptions
	for _, opt := range opts {
		opt(&o)
	}
	var set *Set
	var diags Diagnostics
	if dir == "" {
		set, diags = LoadShipped()
	} else {
		set, diags = LoadDir(dir)
	}
	if o.startFlow != "" {
		c := collector{diags: diags}
		checkStartFlow(&c, set, o.startFlow)
		diags = c.diags
		diags.Sort()
	}
	return set, diags
}

// String names the set's flows, for logs.
func (s *Set) String() string {
	if s == nil {
		return "no flows"
	}
	return fmt.Sprintf("%d flows (%s)", len(s.Order), strings.Join(s.Order, ", "))
}
