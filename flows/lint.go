package flows

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// LintOptions connects the linter to what lives outside this package.
type LintOptions struct {
	// Plugin checks a `plugin:` reference (FILE.FUNCTION); an error means it
	// is missing and is reported at its line. Nil skips plugin checks.
	Plugin func(ref string) error
	// Condition compiles a `when` expression; an error is reported at its
	// line. Nil falls back to a plain Lua parse.
	Condition func(expr string) error
	// Builtins are extra template path prefixes that need no step to save
	// them, besides contact.* and config.*.
	Builtins []string
	// StartFlow names the flow new conversations start in: the engine's
	// start flow, DefaultStartFlow unless configured otherwise. A set
	// without it is an error, as the engine would refuse to run it. Empty
	// skips the check, for linting some of a folder's files.
	StartFlow string
	// EngineTexts are the names of the engine's own texts, which a
	// translation's engine: section may give; nil skips the check.
	EngineTexts []string
	// Templates are the business's approved WhatsApp templates; when set,
	// an after entry's template must be one of them. Nil skips the check.
	Templates []string
}

// builtinPrefixes are the template paths the engine always provides.
func builtinPrefixes() []string { return []string{"contact", "config"} }

// builtinExamples are known built-in paths, offered in "did you mean" hints.
func builtinExamples() []string {
	return []string{"contact.name", "contact.phone", "config.business_name", "config.privacy_url", "config.currency"}
}

// Lint checks a loaded set as a whole: targets of next, accept, decline,
// on_error, else, options and branches (with the flow's steps as a hint);
// links; start steps; the start flow (opts.StartFlow); unreachable steps
// (warnings); cycles that never wait for the customer; `when` conditions
// (operators from other languages, unquoted words, values a choice step
// never saves); plugin references; and template paths that no step saves.
// A missing step or variable is reported once per file, at its first use.
// Loading already reported what a file shows on its own; a full lint is the
// loading diagnostics plus these. The result is sorted.
//
// When files of the set gave no flow (set.Broken), what they might provide
// is unknown: links to a flow that could be theirs and variables that no
// loaded step saves are not reported, and a note for each such file says
// that the other files were not fully checked.
func Lint(set *Set, opts LintOptions) Diagnostics {
	l := &linter{set: set, opts: opts}
	if set == nil {
		return nil
	}
	l.partial = len(set.Broken) > 0
	if len(set.Order) > 0 {
		for _, f := range set.Broken {
			l.notef(Pos{File: f}, "links to its flow and the variables it saves are checked once it loads",
				"other files were not fully checked because %s %s", f, set.broken[f].why)
		}
	}
	checkStartFlow(&l.collector, set, opts.StartFlow)
	l.collectSaved()
	l.collectChoices()
	for _, name := range set.Order {
		if f := set.Flows[name]; f != nil {
			l.flow(f)
		}
	}
	l.cycles()
	l.translations()
	l.foldRepeats()
	l.diags.Sort()
	return l.diags
}

// repeat is an error reported once for a name that is missing in several
// places of a file: the places after the first.
type repeat struct {
	first int // index of the diagnostic
	lines []int
}

// errorOnce reports an error about a missing name (a step, a variable) at
// its first place in a file only: one misspelt id or save gives one error,
// which lists the other lines that name it (foldRepeats).
func (l *linter) errorOnce(key string, pos Pos, hint, format string, args ...any) {
	key = pos.File + "\x00" + key
	if r, ok := l.repeats[key]; ok {
		if !slices.Contains(r.lines, pos.Line) && pos.Line != l.diags[r.first].Pos.Line {
			r.lines = append(r.lines, pos.Line)
		}
		return
	}
	if l.repeats == nil {
		l.repeats = map[string]*repeat{}
	}
	l.repeats[key] = &repeat{first: len(l.diags)}
	l.errorf(pos, hint, format, args...)
}

// foldRepeats adds to each error reported once the other lines that name
// the same missing thing.
func (l *linter) foldRepeats() {
	for _, r := range l.repeats {
		if len(r.lines) == 0 {
			continue
		}
		slices.Sort(r.lines)
		nums := make([]string, len(r.lines))
		for i, n := range r.lines {
			nums[i] = fmt.Sprint(n)
		}
		l.diags[r.first].Message += fmt.Sprintf("; %s %s name it too", plural(len(nums), "line", "lines"), joinAnd(nums))
	}
}

type linter struct {
	collector
	set         *Set
	opts        LintOptions
	saved       map[string]bool
	savedList   []string // for hints
	flowNames   []string
	partial     bool               // files gave no flow: links and variables may be theirs
	choices     map[string]*Step   // the first choice step saving at each path
	moreChoices []*Step            // other choice steps saving at a path in choices
	repeats     map[string]*repeat // missing names reported once per file
}

func (l *linter) collectSaved() {
	l.saved = map[string]bool{}
	add := func(p string) {
		if !l.saved[p] {
			l.saved[p] = true
			l.savedList = append(l.savedList, p)
		}
	}
	for _, name := range l.set.Order {
		f := l.set.Flows[name]
		if f == nil {
			continue
		}
		l.flowNames = append(l.flowNames, name)
		for _, s := range f.Steps {
			if s == nil {
				continue
			}
			for _, p := range s.Saves() {
				add(p)
			}
		}
	}
}

// resolves reports whether a template path has a provider: a built-in
// prefix, or a step that saves the path or one of its prefixes.
func (l *linter) resolves(p string, extra []string) bool {
	root, _, _ := strings.Cut(p, ".")
	for _, b := range builtinPrefixes() {
		if root == b {
			return true
		}
	}
	for _, b := range l.opts.Builtins {
		b = strings.TrimSuffix(strings.TrimSuffix(b, "*"), ".")
		if b != "" && (p == b || strings.HasPrefix(p, b+".")) {
			return true
		}
	}
	if slices.Contains(extra, p) || slices.Contains(extra, root) {
		return true
	}
	for q := p; ; {
		if l.saved[q] {
			return true
		}
		i := strings.LastIndexByte(q, '.')
		if i < 0 {
			return false
		}
		q = q[:i]
	}
}

func (l *linter) flow(f *Flow) {
	switch {
	case f.Start == End:
		l.errorf(f.Keys["start"], "name the first step, or leave start out", "flow %s: start: %q would end the conversation at once", f.Name, End)
	case f.Start != "" && f.stepIndex(f.Start) < 0:
		ids := stepIDs(f)
		l.errorf(f.Keys["start"], targetHint(f.Start, f.Name, ids[:len(ids)-1], false), "flow %s: start: no step %q", f.Name, f.Start)
	}
	for i, s := range f.Steps {
		if s == nil {
			continue
		}
		label := stepLabel(s, i)
		l.targets(f, s, label)
		l.step(s, label)
	}
	l.faqs(f)
	l.unreachable(f)
}

func stepIDs(f *Flow) []string {
	ids := make([]string, 0, len(f.Steps)+1)
	for _, s := range f.Steps {
		if s != nil && s.ID != "" {
			ids = append(ids, s.ID)
		}
	}
	return append(ids, End)
}

// target is one place a step can go, as written in the file.
type target struct {
	key string
	id  string
	pos Pos
}

// targetsOf lists the explicit targets a step names.
func targetsOf(s *Step) []target {
	var out []target
	add := func(key, id string, pos Pos) {
		if id != "" {
			out = append(out, target{key, id, pos})
		}
	}
	add("next", s.Next, s.KeyPos("next"))
	add("on_error", s.OnError, s.KeyPos("on_error"))
	add("accept", s.Accept, s.KeyPos("accept"))
	add("decline", s.Decline, s.KeyPos("decline"))
	add("else", s.Else, s.KeyPos("else"))
	for _, o := range s.Options {
		add(fmt.Sprintf("option %q: next", o.ID), o.Next, o.Pos)
	}
	for i, b := range s.If {
		add(fmt.Sprintf("if: branch %d: next", i+1), b.Next, b.NextPos)
	}
	add("skip", s.Skip, s.KeyPos("skip"))
	add("unknown", s.Unknown, s.KeyPos("unknown"))
	for i, a := range s.After {
		add(fmt.Sprintf("after: entry %d: next", i+1), a.Next, a.NextPos)
	}
	add("on_expiry", s.OnExpiry, s.KeyPos("on_expiry"))
	return out
}

func (l *linter) targets(f *Flow, s *Step, label string) {
	for _, t := range targetsOf(s) {
		if t.id == End || f.stepIndex(t.id) >= 0 {
			continue
		}
		hint := targetHint(t.id, f.Name, stepIDs(f), l.set.Flow(t.id) != nil)
		l.errorOnce("step\x00"+f.Name+"\x00"+t.id, t.pos, hint, "%s: %s: no step %q in flow %s", label, t.key, t.id, f.Name)
	}
	if s.Kind == KindLink && s.Link != "" && l.set.Flow(s.Link) == nil && !l.set.mightHold(s.Link) {
		names := append(slices.Clone(l.flowNames), l.set.brokenNames()...)
		l.errorf(s.KeyPos("link"), flowHint(s.Link, names), "%s: link: no flow %q", label, s.Link)
	}
}

func (l *linter) step(s *Step, label string) {
	if s.Kind == KindPlugin && s.Plugin != "" && l.opts.Plugin != nil {
		if err := l.opts.Plugin(s.Plugin); err != nil {
			l.errorf(s.KeyPos("plugin"), "", "%s: plugin: %v", label, err)
		}
	}
	for i, b := range s.If {
		if b.When != "" && !b.mangled {
			l.condition(b, fmt.Sprintf("%s: if: branch %d: when", label, i+1))
		}
	}
	if s.Extract != nil && s.Extract.From != "" && !l.partial && !l.resolves(s.Extract.From, nil) {
		l.errorOnce("path\x00"+s.Extract.From, s.Extract.FromPos, l.pathHint(s.Extract.From), "%s: extract: from: no step saves %s", label, s.Extract.From)
	}
	l.paths(s, label, string(s.Kind), s.Text, nil)
	l.paths(s, label, "error", s.Error, nil)
	l.paths(s, label, "confirm", s.Confirm, []string{"field", "value", "name"})
	l.lintAfter(s, label)
	_, saves := s.Keys["save"]
	if s.Kind == KindAsk && !saves {
		l.warnf(s.KeyPos("ask"), "add save: lead.SOMETHING", "%s: the answer is not saved", label)
	}
	if s.Kind == KindPhotos && !saves {
		l.warnf(s.KeyPos("photos"), "add save: project.photos", "%s: the photos are not saved", label)
	}
	l.wayOut(s, label)
}

func (l *linter) paths(s *Step, label, key string, t *Template, extra []string) {
	if t == nil {
		return
	}
	for _, p := range t.Paths() {
		if !l.partial && !l.resolves(p, extra) {
			l.errorOnce("path\x00"+p, t.Pos, l.pathHint(p), "%s: %s: {{ %s }}: no step saves %s and it is not built in", label, key, p, p)
		}
	}
}

// condition checks one `when`: that it compiles (with a plain-words fix
// for operators from other languages), that words compared are quoted,
// that the variables it reads are saved, and that what a choice step
// saves is compared with its option ids.
func (l *linter) condition(b Branch, what string) {
	check := l.opts.Condition
	if check == nil {
		check = ParseCondition
	}
	if err := check(b.When); err != nil {
		if !l.operatorError(b, what) {
			l.errorf(b.Pos, "", "%s: %v", what, err)
		}
		return
	}
	tokens := luaTokens(b.When)
	var bare []luaToken
	if !l.partial {
		bare = l.bareWords(tokens)
	}
	for _, w := range bare {
		l.errorf(whenPos(b, w.at), "write it as "+whenLine(quoteWords(b.When, bare)),
			"%s: %s is not in quotes, so Lua reads it as a variable, which no step saves", what, w.text)
	}
	l.whenPaths(b, what, bare)
	l.optionValues(b, tokens, what)
}

// whenPaths checks the variables a condition reads as template paths are
// checked; a path also resolves when a step saves something under it
// (`lead ~= nil` holds once lead.name is saved). Words already reported
// as missing their quotes are skipped.
func (l *linter) whenPaths(b Branch, what string, bare []luaToken) {
	if l.partial {
		return
	}
	seen := map[string]bool{}
	for _, cp := range conditionPaths(b.When) {
		if seen[cp.path] || l.resolves(cp.path, nil) || l.savedUnder(cp.path) ||
			slices.ContainsFunc(bare, func(t luaToken) bool { return t.at == cp.at }) {
			continue
		}
		seen[cp.path] = true
		l.errorOnce("path\x00"+cp.path, whenPos(b, cp.at), l.pathHint(cp.path), "%s: no step saves %s and it is not built in", what, cp.path)
	}
}

// savedUnder reports whether some step saves a path below p.
func (l *linter) savedUnder(p string) bool {
	for _, s := range l.savedList {
		if strings.HasPrefix(s, p+".") {
			return true
		}
	}
	return false
}

func (l *linter) pathHint(p string) string {
	cands := append(slices.Clone(l.savedList), builtinExamples()...)
	return didYouMean(p, cands)
}

// edge is a jump to a step (an index), with where the jump is written.
type edge struct {
	to  int
	pos Pos
}

// successors returns where a step can go next within its flow. A target of
// `end` or of a missing step is left out; links lead out of the flow and
// are not followed here.
func successors(f *Flow, i int) []edge {
	s := f.Steps[i]
	var out []edge
	add := func(id string, pos Pos) {
		if id == "" || id == End {
			return
		}
		if j := f.stepIndex(id); j >= 0 {
			out = append(out, edge{j, pos})
		}
	}
	// fall is where the step goes by default: next, or the step below.
	fall := func() {
		if s.Next != "" {
			add(s.Next, s.KeyPos("next"))
		} else if i+1 < len(f.Steps) {
			out = append(out, edge{i + 1, s.Pos})
		}
	}
	for _, a := range s.After { // a silent customer moves on
		add(a.Next, a.NextPos)
	}
	add(s.OnExpiry, s.KeyPos("on_expiry"))
	switch s.Kind {
	case KindHandoff, KindLink:
		return nil
	case KindIf:
		for _, b := range s.If {
			add(b.Next, b.NextPos)
		}
		if s.Else != "" {
			add(s.Else, s.KeyPos("else"))
		} else {
			fall()
		}
		return out
	case KindConfirmQuote, KindConsent:
		if s.Accept != "" {
			add(s.Accept, s.KeyPos("accept"))
		}
		if s.Decline != "" {
			add(s.Decline, s.KeyPos("decline"))
		}
		if s.Accept == "" || s.Decline == "" {
			fall()
		}
		return out
	}
	fall()
	add(s.OnError, s.KeyPos("on_error"))
	add(s.Skip, s.KeyPos("skip"))       // a customer without photos
	add(s.Unknown, s.KeyPos("unknown")) // "I don't know"
	for _, o := range s.Options {
		add(o.Next, o.Pos)
	}
	return out
}

// unreachable warns about steps nothing leads to from the flow's start. A
// misspelt target (reported as an error) counts as going to the step it
// most likely meant, so one typo does not also flag that step; when a
// target matches nothing at all, the flow's reachability is unknown and no
// warnings are given.
func (l *linter) unreachable(f *Flow) {
	if len(f.Steps) == 0 {
		return
	}
	start := 0
	if f.Start != "" {
		if start = f.stepIndex(f.Start); start < 0 {
			return // reported as a bad start
		}
	}
	ids := stepIDs(f)
	seen := make([]bool, len(f.Steps))
	queue := []int{start}
	seen[start] = true
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		s := f.Steps[i]
		if s == nil {
			continue
		}
		next := successors(f, i)
		for _, t := range targetsOf(s) {
			if t.id == End || f.stepIndex(t.id) >= 0 {
				continue
			}
			guess := guessTarget(t.id, ids)
			if guess == "" {
				return
			}
			if j := f.stepIndex(guess); j >= 0 {
				next = append(next, edge{to: j})
			}
		}
		for _, e := range next {
			if !seen[e.to] {
				seen[e.to] = true
				queue = append(queue, e.to)
			}
		}
	}
	for i, s := range f.Steps {
		if !seen[i] && s != nil {
			l.warnf(s.Pos, "go to it with next, or remove it", "%s: never reached", stepLabel(s, i))
		}
	}
}

// node is one step of the whole set, for the cycle check.
type node struct {
	flow *Flow
	i    int
}

// frame is one step on the cycle check's depth-first stack.
type frame struct {
	n     int    // node index
	edges []edge // where it goes
	k     int    // next edge to follow
}

// cycles reports every loop through steps that never wait for the
// customer: following it, the engine would run forever. Each loop is
// reported once, where it closes.
func (l *linter) cycles() {
	var nodes []node
	base := map[*Flow]int{}
	for _, name := range l.set.Order {
		f := l.set.Flows[name]
		if f == nil {
			continue
		}
		base[f] = len(nodes)
		for i := range f.Steps {
			nodes = append(nodes, node{f, i})
		}
	}
	id := func(f *Flow, i int) int { return base[f] + i }
	next := func(n node) []edge {
		s := n.flow.Steps[n.i]
		if s == nil || s.Waits() {
			return nil
		}
		if s.Kind == KindLink {
			to := l.set.Flow(s.Link)
			if to == nil || len(to.Steps) == 0 {
				return nil
			}
			start := 0
			if to.Start != "" {
				if start = to.stepIndex(to.Start); start < 0 {
					return nil
				}
			}
			return []edge{{id(to, start), s.KeyPos("link")}}
		}
		es := successors(n.flow, n.i)
		for k := range es {
			es[k].to = id(n.flow, es[k].to)
		}
		return es
	}
	const (
		white = iota
		grey
		black
	)
	color := make([]uint8, len(nodes))
	var stack []frame
	onStack := func(n int) int {
		for k := len(stack) - 1; k >= 0; k-- {
			if stack[k].n == n {
				return k
			}
		}
		return -1
	}
	for root := range nodes {
		if color[root] != white {
			continue
		}
		color[root] = grey
		stack = append(stack[:0], frame{n: root, edges: next(nodes[root])})
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.k == len(top.edges) {
				color[top.n] = black
				stack = stack[:len(stack)-1]
				continue
			}
			e := top.edges[top.k]
			top.k++
			switch color[e.to] {
			case white:
				if nodes[e.to].flow.Steps[nodes[e.to].i].Waits() {
					color[e.to] = black
					continue
				}
				color[e.to] = grey
				stack = append(stack, frame{n: e.to, edges: next(nodes[e.to])})
			case grey:
				l.loop(nodes, stack[onStack(e.to):], e)
			}
		}
	}
}

// loop reports one cycle: path is the stack from the step the edge returns
// to up to the step where it closes.
func (l *linter) loop(nodes []node, path []frame, e edge) {
	last := nodes[path[len(path)-1].n]
	s := last.flow.Steps[last.i]
	label := stepLabel(s, last.i)
	name := func(n node) string {
		st := n.flow.Steps[n.i]
		if n.flow != last.flow {
			return n.flow.Name + "/" + st.ID
		}
		return st.ID
	}
	if len(path) == 1 {
		l.errorf(e.pos, "let it wait for the customer, or go elsewhere", "%s: loops to itself without waiting for the customer", label)
		return
	}
	names := make([]string, 0, len(path)+1)
	for _, fr := range path {
		names = append(names, name(nodes[fr.n]))
	}
	names = append(names, names[0])
	l.errorf(e.pos, "put a step that waits for the customer in the loop, or break it",
		"%s: goes back to %q without waiting for the customer: %s would loop forever",
		label, name(nodes[path[0].n]), strings.Join(names, " → "))
}

// ParseCondition checks that expr parses as one Lua expression, as a `when`
// must. It does not run it; the plugin host compiles conditions for real.
func ParseCondition(expr string) error {
	if strings.TrimSpace(expr) == "" {
		return errors.New("empty condition")
	}
	chunk, err := parse.Parse(strings.NewReader("return "+expr+"\n"), "when")
	if err != nil {
		var pe *parse.Error
		if errors.As(err, &pe) {
			if pe.Token == "" || pe.Pos.Line == parse.EOF {
				return fmt.Errorf("not a Lua expression: %s at the end", strings.TrimSpace(pe.Message))
			}
			return fmt.Errorf("not a Lua expression: %s near %q", strings.TrimSpace(pe.Message), pe.Token)
		}
		return fmt.Errorf("not a Lua expression: %s", strings.TrimSpace(err.Error()))
	}
	if len(chunk) != 1 {
		return errors.New("not a Lua expression: write one condition, not statements")
	}
	ret, ok := chunk[0].(*ast.ReturnStmt)
	if !ok || len(ret.Exprs) != 1 {
		return errors.New("not a Lua expression: write one condition, not a list")
	}
	return nil
}
