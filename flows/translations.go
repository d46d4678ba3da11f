package flows

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Flows are written once, in SourceLanguage, and translated per language
// in translations/LANG.yaml beside them, keyed by flow, step id and field:
//
//	language: es
//	flows:
//	  greeting:
//	    welcome: "¡Hola! 👋 ..."            # a step's text in short
//	  consent:
//	    ask_consent:
//	      consent: "Antes de empezar: ..."  # the kind key: the step's text
//	      accept_title: Sí, de acuerdo
//	      decline_title: No, gracias
//	  collect_details:
//	    ask_email:
//	      ask: "¿Cuál es tu correo electrónico?"
//	      error: "Eso no parece un correo electrónico."
//	    confirm_phone:
//	      choice: "¿Te llamamos a este número?"
//	      options: { "yes": "Sí, a este", "no": "No, a otro" }
//	faq:
//	  greeting:                              # the flow whose faq: it translates
//	    weekends: "Sí, trabajamos los sábados."   # or { answer: ..., match: [sábado] }
//	engine:
//	  opted_out: "Te has dado de baja..."    # the engine's own texts, by name
//
// A text without a translation is sent as written; lint warns about it,
// naming the step, and about translations that nothing uses.

// SourceLanguage is the language flows are written in (ISO 639-1).
const SourceLanguage = "en"

// TranslationsDir is the folder beside the flows that holds translations.
const TranslationsDir = "translations"

// Translation is one language's texts for a set of flows.
type Translation struct {
	Lang string
	File string
	Pos  Pos // where its language is named (or the file's start)

	// Engine holds the engine's own texts by their configuration name
	// (opted_out, handoff...), with where each stands.
	Engine    map[string]string
	EnginePos map[string]Pos

	flows   map[string]*flowText
	faq     map[string]map[string]*faqText
	keys    map[string]Pos // the file's top-level keys
	faqPos  map[string]Pos // each flow's key under faq:
	unknown bool           // the file did not load as a translation
}

// flowText is one flow's step translations.
type flowText struct {
	pos   Pos
	steps map[string]*stepText
}

// stepText is one step's translations.
type stepText struct {
	pos     Pos
	fields  map[string]*Template  // the kind key's text, error, confirm
	titles  map[string]string     // accept_title, decline_title
	options map[string]OptionText // by option id
	labels  map[string]string     // extract fields' descriptions, by field name
	after   []*Template           // the texts of the step's after entries, in order
	keys    map[string]Pos
}

// OptionText is the translation of a choice option.
type OptionText struct {
	Title       string
	Description string
	Pos         Pos
}

// faqText is the translation of a FAQ entry.
type faqText struct {
	answer *Template
	match  []string
	pos    Pos
}

// translationKeys are a translation file's top-level keys.
func translationKeys() []string { return []string{"language", "flows", "faq", "engine"} }

// stepTextKeys are the fields of a step a translation may give, besides
// the kind key.
func stepTextKeys() []string {
	return []string{"error", "confirm", "accept_title", "decline_title", "options", "fields", "after"}
}

var langRE = regexp.MustCompile(`^[a-z]{2}$`)

// parseTranslation decodes one translation file. Its language comes from
// `language:` or, without one, the file's name.
func parseTranslation(file string, data []byte, tags *tagChecker) (*Translation, Diagnostics) {
	d := &decoder{file: file, tags: tags}
	d.src = data
	d.specs = Kinds()
	tr := &Translation{
		File: file, Pos: Pos{File: file, Line: 1, Col: 1},
		Engine: map[string]string{}, EnginePos: map[string]Pos{},
		flows: map[string]*flowText{}, faq: map[string]map[string]*faqText{},
		keys: map[string]Pos{}, faqPos: map[string]Pos{},
	}
	tr.Lang = strings.TrimSuffix(path.Base(filepath.ToSlash(file)), path.Ext(file))
	root, ok := d.document(data)
	if !ok {
		tr.unknown = true
		return tr, d.diags
	}
	if root.Kind != yaml.MappingNode {
		d.errorf(d.pos(root), `start with "language: es" and "flows:"`, "a translation file is a mapping with language and flows, got %s", describe(root))
		tr.unknown = true
		return tr, d.diags
	}
	ps := d.pairs(root)
	respell(ps, translationKeys(), func(p pair, meant string) {
		d.errorf(d.pos(p.k), fmt.Sprintf("did you mean %q?", meant), "unknown key %q", p.key)
	})
	for _, p := range ps {
		tr.keys[p.key] = d.pos(p.k)
		switch p.key {
		case "language":
			if v, ok := d.word(p, "language"); ok {
				tr.Pos = d.pos(p.v)
				d.language(tr, v, p.v)
			}
		case "flows":
			d.translatedFlows(tr, p)
		case "faq":
			d.translatedFAQ(tr, p)
		case "engine":
			d.engineTexts(tr, p)
		default:
			d.errorf(d.pos(p.k), didYouMean(p.key, translationKeys()), "unknown key %q", p.key)
		}
	}
	if _, ok := tr.keys["language"]; !ok {
		d.language(tr, tr.Lang, nil)
	}
	d.diags.Sort()
	return tr, d.diags
}

// language checks a translation's language code against the file name.
func (d *decoder) language(tr *Translation, code string, n *yaml.Node) {
	pos := tr.Pos
	if n != nil {
		pos = d.pos(n)
	}
	base := strings.TrimSuffix(path.Base(filepath.ToSlash(tr.File)), path.Ext(tr.File))
	tr.Lang = code
	switch {
	case !langRE.MatchString(code):
		d.errorf(pos, "an ISO 639-1 code in lower case, e.g. es", "language: %q is not a language code", code)
	case code == SourceLanguage:
		d.errorf(pos, "the flows are written in "+SourceLanguage+": translate them into another language", "language: %s is the flows' own language", code)
	case code != base:
		d.errorf(pos, "name the file "+code+".yaml", "language: %s in a file named %s", code, path.Base(filepath.ToSlash(tr.File)))
	default:
		return
	}
	tr.unknown = true // not used until its language is right
}

func (d *decoder) mapping(p pair, what, hint string) bool {
	if p.v.Kind == yaml.MappingNode {
		return true
	}
	if p.v.Kind == yaml.ScalarNode && p.v.Tag == "!!null" {
		return false
	}
	d.errorf(d.pos(p.v), hint, "%s: want a mapping, got %s", what, describe(p.v))
	return false
}

func (d *decoder) translatedFlows(tr *Translation, p pair) {
	if !d.mapping(p, "flows", "flow names, then step ids, then texts") {
		return
	}
	for _, fp := range d.pairs(p.v) {
		ft := &flowText{pos: d.pos(fp.k), steps: map[string]*stepText{}}
		tr.flows[fp.key] = ft
		if !d.mapping(fp, "flows: "+fp.key, "step ids, then their texts") {
			continue
		}
		for _, sp := range d.pairs(fp.v) {
			if st := d.stepText(sp, fmt.Sprintf("flows: %s: %s", fp.key, sp.key)); st != nil {
				ft.steps[sp.key] = st
			}
		}
	}
}

// stepText decodes one step's translations: its text alone, or a mapping
// of the kind key and the other fields.
func (d *decoder) stepText(p pair, what string) *stepText {
	st := &stepText{pos: d.pos(p.k), fields: map[string]*Template{}, titles: map[string]string{}, options: map[string]OptionText{}, labels: map[string]string{}, keys: map[string]Pos{}}
	if p.v.Kind == yaml.ScalarNode {
		if t := d.message(p, what, maxTextLen); t != nil {
			st.fields[""] = t // the kind key's text, whatever the kind
			st.keys[""] = d.pos(p.v)
		}
		return st
	}
	if !d.mapping(p, what, "the step's texts: its kind key (ask, say...), error, confirm, accept_title, decline_title, options") {
		return nil
	}
	known := append(d.textKinds(), stepTextKeys()...)
	fps := d.pairs(p.v)
	respell(fps, known, func(fp pair, meant string) {
		d.errorf(d.pos(fp.k), fmt.Sprintf("did you mean %q?", meant), "%s: unknown key %q", what, fp.key)
	})
	for _, fp := range fps {
		fw := what + ": " + fp.key
		st.keys[fp.key] = d.pos(fp.k)
		switch {
		case fp.key == "accept_title" || fp.key == "decline_title":
			if v, ok := d.buttonTitle(fp, fw); ok {
				st.titles[fp.key] = v
			}
		case fp.key == "options":
			d.optionTexts(st, fp, fw)
		case fp.key == "after":
			st.after = d.afterTexts(fp, fw)
		case fp.key == "fields":
			if d.mapping(fp, fw, "extract field names and what the customer reads for them") {
				for _, lp := range d.pairs(fp.v) {
					if v, ok := d.word(lp, fw+": "+lp.key); ok {
						st.labels[lp.key] = v
						st.keys["fields: "+lp.key] = d.pos(lp.k)
					}
				}
			}
		case fp.key == "error" || fp.key == "confirm" || contains(d.textKinds(), fp.key):
			if t := d.message(fp, fw, maxTextLen); t != nil {
				st.fields[fp.key] = t
			}
		default:
			d.errorf(d.pos(fp.k), didYouMean(fp.key, known), "%s: unknown key %q", what, fp.key)
		}
	}
	return st
}

// textKinds are the kinds whose kind key holds a text.
func (d *decoder) textKinds() []string {
	var out []string
	for _, s := range d.specs {
		if s.Text {
			out = append(out, string(s.Kind))
		}
	}
	return out
}

// afterTexts reads the texts of a step's after entries, in order: a list
// of texts, or nothing for an entry that sends none.
func (d *decoder) afterTexts(p pair, what string) []*Template {
	if p.v.Kind != yaml.SequenceNode {
		d.errorf(d.pos(p.v), "the after entries' say texts in order: [\"...\", \"...\"]", "%s: want a list, got %s", what, describe(p.v))
		return nil
	}
	out := make([]*Template, 0, len(p.v.Content))
	for i, n := range p.v.Content {
		n = d.resolve(n)
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			out = append(out, nil)
			continue
		}
		out = append(out, d.message(pair{key: p.key, k: p.k, v: n}, fmt.Sprintf("%s: entry %d", what, i+1), maxTextLen))
	}
	return out
}

func (d *decoder) optionTexts(st *stepText, p pair, what string) {
	if !d.mapping(p, what, `option ids and their titles: { "yes": "Sí", "no": "No" }`) {
		return
	}
	for _, op := range d.pairs(p.v) {
		ow := what + ": " + op.key
		o := OptionText{Pos: d.pos(op.k)}
		switch op.v.Kind {
		case yaml.ScalarNode:
			o.Title, _ = d.word(op, ow)
			d.checkText(op, ow)
		case yaml.MappingNode:
			for _, kp := range d.pairs(op.v) {
				switch kp.key {
				case "title":
					o.Title, _ = d.word(kp, ow+": title")
					d.checkText(kp, ow+": title")
				case "description":
					o.Description, _ = d.text(kp, ow+": description")
				default:
					d.errorf(d.pos(kp.k), didYouMean(kp.key, []string{"title", "description"}), "%s: unknown key %q", ow, kp.key)
				}
			}
		default:
			d.errorf(d.pos(op.v), "the option's title, or { title, description }", "%s: want a title, got %s", ow, describe(op.v))
			continue
		}
		if o.Title == "" {
			continue
		}
		if n := len([]rune(o.Title)); n > maxRowTitle {
			d.warnf(d.pos(op.v), "shorten it", "%s: title %q is %d characters; WhatsApp lists show %d, so there it is cut with …", ow, o.Title, n, maxRowTitle)
		}
		st.options[op.key] = o
	}
}

func (d *decoder) translatedFAQ(tr *Translation, p pair) {
	if !d.mapping(p, "faq", "flow names, then faq ids, then answers") {
		return
	}
	for _, fp := range d.pairs(p.v) {
		tr.faqPos[fp.key] = d.pos(fp.k)
		entries := map[string]*faqText{}
		tr.faq[fp.key] = entries
		if !d.mapping(fp, "faq: "+fp.key, "faq ids, then answers") {
			continue
		}
		for _, ep := range d.pairs(fp.v) {
			what := fmt.Sprintf("faq: %s: %s", fp.key, ep.key)
			ft := &faqText{pos: d.pos(ep.k)}
			switch ep.v.Kind {
			case yaml.ScalarNode:
				ft.answer = d.message(ep, what, maxTextLen)
			case yaml.MappingNode:
				for _, kp := range d.pairs(ep.v) {
					switch kp.key {
					case "answer":
						ft.answer = d.message(kp, what+": answer", maxTextLen)
					case "match":
						ft.match = d.matchWords(kp, what+": match")
					default:
						d.errorf(d.pos(kp.k), didYouMean(kp.key, []string{"answer", "match"}), "%s: unknown key %q", what, kp.key)
					}
				}
			default:
				d.errorf(d.pos(ep.v), "the answer, or { answer, match }", "%s: want an answer, got %s", what, describe(ep.v))
			}
			if ft.answer != nil {
				entries[ep.key] = ft
			}
		}
	}
}

func (d *decoder) engineTexts(tr *Translation, p pair) {
	if !d.mapping(p, "engine", "the engine's text names (opted_out, handoff...), then texts") {
		return
	}
	for _, ep := range d.pairs(p.v) {
		what := "engine: " + ep.key
		if t := d.message(ep, what, maxTextLen); t != nil {
			tr.Engine[ep.key] = t.Source
			tr.EnginePos[ep.key] = d.pos(ep.k)
		}
	}
}

// Languages returns the languages the set speaks: SourceLanguage first,
// then each translation's, in order.
func (s *Set) Languages() []string {
	out := []string{SourceLanguage}
	if s == nil {
		return out
	}
	for _, tr := range s.Translations {
		if !tr.unknown && !slices.Contains(out, tr.Lang) {
			out = append(out, tr.Lang)
		}
	}
	return out
}

// Translation returns the set's translation into lang, or nil.
func (s *Set) Translation(lang string) *Translation {
	if s == nil {
		return nil
	}
	for _, tr := range s.Translations {
		if tr.Lang == lang && !tr.unknown {
			return tr
		}
	}
	return nil
}

// Text returns the translation of a flow's text into lang, or t itself
// when it has none (or lang is the flows' own language).
func (s *Set) Text(t *Template, lang string) *Template {
	if s == nil || t == nil || lang == "" || lang == SourceLanguage {
		return t
	}
	if tr := s.texts[t][lang]; tr != nil {
		return tr
	}
	return t
}

// Title returns a step's accept_title or decline_title in lang, or "".
func (s *Set) Title(flow string, step *Step, key, lang string) string {
	if st := s.stepText(flow, step, lang); st != nil {
		return st.titles[key]
	}
	return ""
}

// Option returns the translation of a choice option into lang.
func (s *Set) Option(flow string, step *Step, id, lang string) (OptionText, bool) {
	if st := s.stepText(flow, step, lang); st != nil {
		o, ok := st.options[id]
		return o, ok
	}
	return OptionText{}, false
}

// FieldLabel returns the translation of an extract field's description,
// which customers read in its confirmation, or "".
func (s *Set) FieldLabel(flow string, step *Step, name, lang string) string {
	if st := s.stepText(flow, step, lang); st != nil {
		return st.labels[name]
	}
	return ""
}

// FAQMatch returns the extra match words a translation gives a FAQ entry.
func (s *Set) FAQMatch(flow, id, lang string) []string {
	if tr := s.Translation(lang); tr != nil {
		if ft := tr.faq[flow][id]; ft != nil {
			return ft.match
		}
	}
	return nil
}

// FAQMatches returns a FAQ entry's match words in every language: its own
// and what each translation adds.
func (s *Set) FAQMatches(flow string, q FAQ) []string {
	out := slices.Clone(q.Match)
	if s == nil {
		return out
	}
	for _, tr := range s.Translations {
		if ft := tr.faq[flow][q.ID]; ft != nil {
			out = append(out, ft.match...)
		}
	}
	return out
}

func (s *Set) stepText(flow string, step *Step, lang string) *stepText {
	if step == nil || lang == "" || lang == SourceLanguage {
		return nil
	}
	tr := s.Translation(lang)
	if tr == nil || tr.flows[flow] == nil {
		return nil
	}
	return tr.flows[flow].steps[step.ID]
}

// indexTranslations links each translated text to the flow text it
// translates, so the engine finds it by the template it renders.
func (s *Set) indexTranslations() {
	s.texts = map[*Template]map[string]*Template{}
	add := func(src, tr *Template, lang string) {
		if src == nil || tr == nil {
			return
		}
		if s.texts[src] == nil {
			s.texts[src] = map[string]*Template{}
		}
		s.texts[src][lang] = tr
	}
	for _, tr := range s.Translations {
		if tr.unknown {
			continue
		}
		for name, ft := range tr.flows {
			f := s.Flows[name]
			if f == nil {
				continue
			}
			for id, st := range ft.steps {
				step := f.Step(id)
				if step == nil {
					continue
				}
				for i, t := range st.after {
					if i < len(step.After) {
						add(step.After[i].Say, t, tr.Lang)
					}
				}
				for key, t := range st.fields {
					switch {
					case key == "" || key == string(step.Kind):
						add(step.Text, t, tr.Lang)
					case key == "error":
						add(step.Error, t, tr.Lang)
					case key == "confirm":
						add(step.Confirm, t, tr.Lang)
					}
				}
			}
		}
		for name, entries := range tr.faq {
			f := s.Flows[name]
			if f == nil {
				continue
			}
			for _, q := range f.FAQ {
				if ft := entries[q.ID]; ft != nil {
					add(q.Answer, ft.answer, tr.Lang)
				}
			}
		}
	}
}

// loadTranslations reads the translations folder of a flow folder, if it
// has one.
func (l *loader) loadTranslations(dir string) {
	dir = filepath.Join(dir, TranslationsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return // no translations
	}
	for _, e := range entries {
		if e.IsDir() || !isFlowFile(e.Name()) {
			continue
		}
		name := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(name)
		if err != nil {
			l.errorf(Pos{File: name}, "", "read translation: %v", unwrapPathError(err))
			continue
		}
		l.translation(name, data)
	}
}

// loadTranslationsFS is loadTranslations for a file system.
func (l *loader) loadTranslationsFS(fsys fs.FS, dir, displayPrefix string) {
	dir = path.Join(dir, TranslationsDir)
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() || !isFlowFile(e.Name()) {
			continue
		}
		display := displayPrefix + path.Join(TranslationsDir, e.Name())
		data, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			l.errorf(Pos{File: display}, "", "read translation: %v", unwrapPathError(err))
			continue
		}
		l.translation(display, data)
	}
}

func (l *loader) translation(display string, data []byte) {
	tr, diags := parseTranslation(display, data, l.tags)
	l.diags = append(l.diags, diags...)
	for _, prev := range l.set.Translations {
		if prev.Lang == tr.Lang && !tr.unknown && !prev.unknown {
			l.errorf(tr.Pos, "put one language's texts in one file", "language %s is already translated in %s", tr.Lang, prev.File)
			return
		}
	}
	l.set.Translations = append(l.set.Translations, tr)
	sort.SliceStable(l.set.Translations, func(i, j int) bool { return l.set.Translations[i].Lang < l.set.Translations[j].Lang })
}

// translatable lists the fields of a step that customers read, by the
// key a translation gives them under.
func translatable(s *Step) []string {
	var out []string
	if spec, ok := KindOf(s.Kind); ok && spec.Text && s.Text != nil {
		out = append(out, string(s.Kind))
	}
	if s.Error != nil {
		out = append(out, "error")
	}
	if s.Confirm != nil {
		out = append(out, "confirm")
	}
	if s.AcceptTitle != "" {
		out = append(out, "accept_title")
	}
	if s.DeclineTitle != "" {
		out = append(out, "decline_title")
	}
	if len(s.Options) > 0 {
		out = append(out, "options")
	}
	if s.Extract != nil && s.Confirm != nil || s.Extract != nil && s.ConfirmBelow > 0 {
		out = append(out, "fields")
	}
	for _, a := range s.After {
		if a.Say != nil {
			out = append(out, "after")
			break
		}
	}
	return out
}

// translations checks every translation against the flows: what is
// missing (a warning naming the step), what nothing uses (a warning), the
// variables the texts read, and the engine's text names.
func (l *linter) translations() {
	for _, tr := range l.set.Translations {
		if tr.unknown {
			continue
		}
		l.unusedTranslations(tr)
		l.missingTranslations(tr)
		l.engineTextNames(tr)
	}
}

func (l *linter) unusedTranslations(tr *Translation) {
	for _, name := range sortedKeys(tr.flows) {
		ft := tr.flows[name]
		f := l.set.Flows[name]
		if f == nil {
			if !l.set.mightHold(name) {
				l.warnf(ft.pos, didYouMean(name, l.flowNames), "%s: unused translation: no flow %q", tr.Lang, name)
			}
			continue
		}
		for _, id := range sortedKeys(ft.steps) {
			st := ft.steps[id]
			s := f.Step(id)
			if s == nil {
				l.warnf(st.pos, targetHint(id, f.Name, stepIDs(f)[:len(stepIDs(f))-1], false), "%s: unused translation: no step %q in flow %s", tr.Lang, id, f.Name)
				continue
			}
			l.unusedFields(tr, f, s, st)
		}
	}
	for _, name := range sortedKeys(tr.faq) {
		f := l.set.Flows[name]
		if f == nil {
			if !l.set.mightHold(name) {
				l.warnf(tr.faqPos[name], didYouMean(name, l.flowNames), "%s: unused translation: no flow %q", tr.Lang, name)
			}
			continue
		}
		var ids []string
		for _, q := range f.FAQ {
			ids = append(ids, q.ID)
		}
		for _, id := range sortedKeys(tr.faq[name]) {
			ft := tr.faq[name][id]
			if !slices.Contains(ids, id) {
				l.warnf(ft.pos, didYouMean(id, ids), "%s: unused translation: flow %s has no faq %q", tr.Lang, name, id)
				continue
			}
			for _, q := range f.FAQ {
				if q.ID == id {
					l.paths(nil, fmt.Sprintf("%s: flow %s: faq %q", tr.Lang, name, id), "answer", ft.answer, nil)
					l.samePlaceholders(tr, fmt.Sprintf("faq %q of flow %s", id, name), "answer", q.Answer, ft.answer)
				}
			}
		}
	}
}

// unusedFields checks one step's translated fields against the step.
func (l *linter) unusedFields(tr *Translation, f *Flow, s *Step, st *stepText) {
	label := fmt.Sprintf("%s: step %q of flow %s", tr.Lang, s.ID, f.Name)
	have := translatable(s)
	for key, t := range st.fields {
		field := key
		switch {
		case key == "":
			field = string(s.Kind)
			if !slices.Contains(have, field) {
				l.warnf(st.keys[key], "", "%s: unused translation: %s step has no text", label, article(string(s.Kind)))
				continue
			}
		case !slices.Contains(have, key):
			hint := ""
			if spec, ok := KindOf(Kind(key)); ok && spec.Text && slices.Contains(have, string(s.Kind)) {
				hint = fmt.Sprintf("write %s: — the step is %s step", s.Kind, article(string(s.Kind)))
			}
			l.warnf(st.keys[key], hint, "%s: unused translation: the step has no %s", label, key)
			continue
		}
		var src *Template
		switch field {
		case "error":
			src = s.Error
		case "confirm":
			src = s.Confirm
		default:
			src = s.Text
		}
		var extra []string
		if field == "confirm" {
			extra = []string{"field", "value", "name"}
		}
		l.paths(s, label, field, t, extra)
		l.samePlaceholders(tr, fmt.Sprintf("step %q of flow %s", s.ID, f.Name), field, src, t)
	}
	for key := range st.titles {
		if !slices.Contains(have, key) {
			l.warnf(st.keys[key], "", "%s: unused translation: the step has no %s", label, key)
		}
	}
	var names []string
	if s.Extract != nil {
		for _, f := range s.Extract.Fields {
			names = append(names, f.Name)
		}
	}
	for _, name := range sortedKeys(st.labels) {
		if !slices.Contains(names, name) {
			l.warnf(st.keys["fields: "+name], didYouMean(name, names), "%s: unused translation: no extract field %q", label, name)
		}
	}
	for i, t := range st.after {
		switch {
		case t == nil:
		case i >= len(s.After) || s.After[i].Say == nil:
			l.warnf(t.Pos, "", "%s: unused translation: the step has no after entry %d with a say text", label, i+1)
		default:
			l.paths(s, label, fmt.Sprintf("after: entry %d", i+1), t, nil)
			l.samePlaceholders(tr, fmt.Sprintf("step %q of flow %s", s.ID, f.Name), fmt.Sprintf("after entry %d", i+1), s.After[i].Say, t)
		}
	}
	var ids []string
	for _, o := range s.Options {
		ids = append(ids, o.ID)
	}
	for _, id := range sortedKeys(st.options) {
		if !slices.Contains(ids, id) {
			l.warnf(st.options[id].Pos, didYouMean(id, ids), "%s: unused translation: no option %q", label, id)
		}
	}
}

// samePlaceholders warns when a translation reads other variables than
// the text it translates: a name left out, or one the source never shows.
func (l *linter) samePlaceholders(tr *Translation, what, field string, src, t *Template) {
	if src == nil || t == nil {
		return
	}
	want, got := src.Paths(), t.Paths()
	for _, p := range want {
		if !slices.Contains(got, p) {
			l.warnf(t.Pos, "keep {{ "+p+" }} in the translation", "%s: %s of %s: the translation leaves out {{ %s }}", tr.Lang, field, what, p)
		}
	}
	for _, p := range got {
		if !slices.Contains(want, p) {
			l.warnf(t.Pos, "", "%s: %s of %s: the translation shows {{ %s }}, which the original does not", tr.Lang, field, what, p)
		}
	}
}

// missingTranslations warns, once per step, about the texts a step shows
// that the translation does not give.
func (l *linter) missingTranslations(tr *Translation) {
	for _, name := range l.set.Order {
		f := l.set.Flows[name]
		if f == nil {
			continue
		}
		ft := tr.flows[name]
		at := tr.Pos
		if p, ok := tr.keys["flows"]; ok {
			at = p
		}
		if ft != nil {
			at = ft.pos
		}
		for _, s := range f.Steps {
			if s == nil || s.ID == "" {
				continue
			}
			missing := missingFields(s, ft)
			if len(missing) == 0 {
				continue
			}
			pos := at
			if ft != nil && ft.steps[s.ID] != nil {
				pos = ft.steps[s.ID].pos
			}
			l.warnf(pos, fmt.Sprintf("add %s under flows: %s: %s:", strings.Join(missing, ", "), f.Name, s.ID),
				"%s: step %q of flow %s has no translation of %s (it is sent in %s)", tr.Lang, s.ID, f.Name, joinAnd(missing), SourceLanguage)
		}
		for _, q := range f.FAQ {
			if tr.faq[name][q.ID] != nil {
				continue
			}
			pos := tr.Pos
			if p, ok := tr.faqPos[name]; ok {
				pos = p
			} else if p, ok := tr.keys["faq"]; ok {
				pos = p
			}
			l.warnf(pos, fmt.Sprintf("add faq: %s: %s: ANSWER", name, q.ID), "%s: faq %q of flow %s has no translation", tr.Lang, q.ID, name)
		}
	}
}

// missingFields lists the translatable fields of a step the translation
// does not give (options: when any option title is missing).
func missingFields(s *Step, ft *flowText) []string {
	var st *stepText
	if ft != nil {
		st = ft.steps[s.ID]
	}
	var out []string
	for _, key := range translatable(s) {
		switch {
		case st == nil:
			out = append(out, key)
		case key == string(s.Kind):
			if st.fields[key] == nil && st.fields[""] == nil {
				out = append(out, key)
			}
		case key == "error" || key == "confirm":
			if st.fields[key] == nil {
				out = append(out, key)
			}
		case key == "accept_title" || key == "decline_title":
			if st.titles[key] == "" {
				out = append(out, key)
			}
		case key == "options":
			for _, o := range s.Options {
				if _, ok := st.options[o.ID]; !ok {
					out = append(out, "options: "+o.ID)
				}
			}
		case key == "fields":
			for _, f := range s.Extract.Fields {
				if st.labels[f.Name] == "" {
					out = append(out, "fields: "+f.Name)
				}
			}
		case key == "after":
			for i, a := range s.After {
				if a.Say != nil && (i >= len(st.after) || st.after[i] == nil) {
					out = append(out, fmt.Sprintf("after: entry %d", i+1))
				}
			}
		}
	}
	return out
}

// engineTextNames checks the engine's text names, when the caller knows
// them.
func (l *linter) engineTextNames(tr *Translation) {
	if l.opts.EngineTexts == nil {
		return
	}
	for _, name := range sortedKeys(tr.Engine) {
		if !slices.Contains(l.opts.EngineTexts, name) {
			l.errorf(tr.EnginePos[name], didYouMean(name, l.opts.EngineTexts), "%s: engine: no engine text %q", tr.Lang, name)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
