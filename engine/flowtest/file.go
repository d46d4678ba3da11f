// Package flowtest runs scripted conversations against flows, for the
// people who edit them: `allmyleads flow test` reads *.test.yaml files,
// plays each against the flows with a fake clock, the offline extractor and
// a throwaway store, and says at which line a conversation went otherwise
// than the file expects. `allmyleads chat --record` writes such a file from
// a conversation typed in the terminal (Recorder).
//
// A test file:
//
//	name: a silent customer is reminded once, then carries on
//	contact: "+447700900100"          # optional; also language, start, now
//	steps:
//	  - customer: hi                   # the customer sends this text
//	  - bot: Welcome to                # a bot message since the last customer/wait step contains this
//	  - photo: sample about 40 m2      # a photo (a file beside the test, or the built-in sample) and a caption
//	  - wait: 3h                       # time passes; due reminders fire
//	  - bot_not: Still there           # no bot message since the last customer/wait step contains this
//	  - expect: { lead.email: zed@example.org, quote.total: 3327.50 }
//
// It imports the engine and the offline extractor; the store is the
// caller's (Options.Open), so the package links no database.
package flowtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/flows"
)

// DefaultNow is when a test's clock starts unless the file says `now`: a
// Monday morning, so working hours and quiet hours read naturally.
var DefaultNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// DefaultContact is the customer of a test that names none.
const DefaultContact = "+15550100"

// SamplePhoto is what `photo: sample` sends.
const SamplePhoto = "sample"

// The kinds of step a test has.
const (
	StepCustomer = "customer"
	StepBot      = "bot"
	StepBotNot   = "bot_not"
	StepPhoto    = "photo"
	StepWait     = "wait"
	StepExpect   = "expect"
)

func stepKinds() []string {
	return []string{StepCustomer, StepBot, StepBotNot, StepPhoto, StepWait, StepExpect}
}

func topKeys() []string { return []string{"name", "contact", "language", "start", "now", "steps"} }

// File is one parsed test file.
type File struct {
	Path     string    // as diagnostics name it
	Name     string    // what the test checks, in words
	Contact  string    // the customer's URN
	Language string    // the customer's language, as contact.language
	Start    string    // the flow a conversation starts in ("" = the configured one)
	StartPos int       // the line of start
	Now      time.Time // when the clock starts
	Steps    []Step

	// ReadFile reads a photo named relative to the test file.
	ReadFile func(name string) ([]byte, error)
}

// Step is one line of a test.
type Step struct {
	Kind    string
	Line    int
	Text    string        // customer, bot, bot_not; photo: the caption
	Photo   string        // photo: the file, or "sample"
	Wait    time.Duration // wait
	Expect  []Expect      // expect, in file order
	photoOK []byte        // photo: the bytes, read at load
}

// Expect is one variable an expect step checks.
type Expect struct {
	Path  string
	Value any // a string, number, bool, or nil (the variable is not set)
	Line  int
}

// Problem is a mistake in a test file, at a line.
type Problem struct {
	Path string
	Line int
	Msg  string
}

func (p Problem) Error() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.Path, p.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", p.Path, p.Line, p.Msg)
}

// Problems are every mistake found in a file, in line order.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// parser collects the problems of one file.
type parser struct {
	path  string
	probs Problems
}

func (p *parser) errorf(line int, format string, a ...any) {
	p.probs = append(p.probs, Problem{Path: p.path, Line: line, Msg: fmt.Sprintf(format, a...)})
}

// Parse reads a test file. readFile reads photos named in it (relative to
// the file); nil allows only the sample photo. The error is Problems.
func Parse(path string, data []byte, readFile func(name string) ([]byte, error)) (*File, error) {
	p := &parser{path: path}
	f := p.parse(data, readFile)
	if len(p.probs) > 0 {
		sort.SliceStable(p.probs, func(i, j int) bool { return p.probs[i].Line < p.probs[j].Line })
		return nil, p.probs
	}
	return f, nil
}

func (p *parser) parse(data []byte, readFile func(string) ([]byte, error)) *File {
	f := &File{Path: p.path, Now: DefaultNow, ReadFile: readFile}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorf(1, "empty file: a test has a name and steps")
			return nil
		}
		p.errorf(yamlLine(err), "not valid YAML: %s", yamlMsg(err))
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.errorf(root.Line, `a test starts with "name:" and "steps:"`)
		return nil
	}
	contact := DefaultContact
	contactLine := 0
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seen[k.Value] {
			p.errorf(k.Line, "%s is given twice", k.Value)
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "name":
			f.Name = p.text(v, "name")
		case "contact":
			contact, contactLine = p.text(v, "contact"), v.Line
		case "language":
			f.Language = p.text(v, "language")
		case "start":
			f.Start, f.StartPos = p.text(v, "start"), v.Line
		case "now":
			if s := p.text(v, "now"); s != "" {
				t, err := time.Parse(time.RFC3339, s)
				if err != nil {
					p.errorf(v.Line, "now: %q is not a time: write it as 2026-03-02T09:00:00Z", s)
				}
				f.Now = t.UTC()
			}
		case "steps":
			p.steps(f, v, readFile)
		default:
			hint := ""
			if c := flows.Closest(k.Value, topKeys()); c != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", c)
				seen[c] = true // reported here, not as missing
			} else if contains(stepKinds(), k.Value) {
				hint = " (steps go in the list under steps:)"
			}
			p.errorf(k.Line, "unknown key %q%s", k.Value, hint)
		}
	}
	if !seen["name"] {
		p.errorf(root.Line, `missing name: say what the test checks, e.g. "name: a silent customer is reminded"`)
	}
	if !seen["steps"] {
		p.errorf(root.Line, "missing steps: the conversation to play")
	}
	urn, err := core.NormalizeURN(contact)
	if err != nil {
		p.errorf(contactLine, "contact: %q is not a phone number or a contact URN", contact)
	}
	f.Contact = urn
	return f
}

func (p *parser) text(v *yaml.Node, what string) string {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || strings.TrimSpace(v.Value) == "" {
		p.errorf(v.Line, "%s: want text", what)
		return ""
	}
	return v.Value
}

func (p *parser) steps(f *File, n *yaml.Node, readFile func(string) ([]byte, error)) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		p.errorf(n.Line, `steps: want a list, e.g. "- customer: hi" then "- bot: Welcome"`)
		return
	}
	for _, item := range n.Content {
		if item.Kind != yaml.MappingNode || len(item.Content) != 2 {
			p.errorf(item.Line, "a step is one of %s, e.g. \"- customer: hi\"", strings.Join(stepKinds(), ", "))
			continue
		}
		k, v := item.Content[0], item.Content[1]
		s := Step{Kind: k.Value, Line: k.Line}
		switch k.Value {
		case StepCustomer, StepBot, StepBotNot:
			s.Text = p.text(v, k.Value)
		case StepPhoto:
			s.Photo, s.Text = p.photo(v, readFile, &s)
		case StepWait:
			if txt := p.text(v, "wait"); txt != "" {
				d, err := flows.ParseDuration(txt)
				switch {
				case err != nil:
					p.errorf(v.Line, "wait: %v", err)
				case d <= 0:
					p.errorf(v.Line, "wait: %s: time only moves forward", txt)
				}
				s.Wait = d
			}
		case StepExpect:
			s.Expect = p.expect(v)
		default:
			hint := ""
			if c := flows.Closest(k.Value, stepKinds()); c != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", c)
			}
			p.errorf(k.Line, "unknown step %q%s: want one of %s", k.Value, hint, strings.Join(stepKinds(), ", "))
			continue
		}
		f.Steps = append(f.Steps, s)
	}
}

func (p *parser) photo(v *yaml.Node, readFile func(string) ([]byte, error), s *Step) (name, caption string) {
	txt := p.text(v, "photo")
	if txt == "" {
		return "", ""
	}
	name, caption, _ = strings.Cut(strings.TrimSpace(txt), " ")
	caption = strings.TrimSpace(caption)
	if name == SamplePhoto {
		s.photoOK = samplePhoto()
		return name, caption
	}
	if readFile == nil {
		p.errorf(v.Line, "photo: %s: only the built-in sample photo is available here (photo: sample CAPTION)", name)
		return name, caption
	}
	data, err := readFile(name)
	if err != nil {
		p.errorf(v.Line, "photo: cannot read %s (%v); name a file beside the test, or write photo: sample", name, unwrapPath(err))
		return name, caption
	}
	s.photoOK = data
	return name, caption
}

func (p *parser) expect(v *yaml.Node) []Expect {
	if v.Kind != yaml.MappingNode || len(v.Content) == 0 {
		p.errorf(v.Line, "expect: want variables and values, e.g. { lead.email: ana@example.com }")
		return nil
	}
	var out []Expect
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		if val.Kind != yaml.ScalarNode {
			p.errorf(val.Line, "expect: %s: want one value (text, a number, true or false, or null for not set)", k.Value)
			continue
		}
		var x any
		if err := val.Decode(&x); err != nil {
			p.errorf(val.Line, "expect: %s: %v", k.Value, err)
			continue
		}
		out = append(out, Expect{Path: k.Value, Value: x, Line: k.Line})
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// yamlLine and yamlMsg read yaml.v3's "yaml: line N: msg".
func yamlLine(err error) int {
	var n int
	if _, e := fmt.Sscanf(strings.TrimPrefix(err.Error(), "yaml: "), "line %d:", &n); e == nil {
		return n
	}
	return 1
}

func yamlMsg(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if i := strings.Index(msg, ": "); strings.HasPrefix(msg, "line ") && i > 0 {
		return msg[i+2:]
	}
	return msg
}

func unwrapPath(err error) error {
	var pe interface{ Unwrap() error }
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return pe.Unwrap()
	}
	return err
}
