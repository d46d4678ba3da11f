package engine

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"

	"github.com/allmyleads/allmyleads/engine/intent"
	"github.com/allmyleads/allmyleads/flows"
	"github.com/allmyleads/allmyleads/plugins"
)

// The customer's language. Flows are written once (flows.SourceLanguage)
// and translated beside them (flows/translations); the engine answers each
// customer in Session.Language when the flows speak it, else in the
// flows' own language. The language is read from the customer's first
// messages (intent.Detect, among the flows' languages), changed when they
// ask ("en español"), kept on the contact and shown in the export. The
// engine's own texts come in the languages of builtinTexts, and a
// translation's engine: section overrides them; dates, numbers and money
// are written the language's way.

// maxLanguageReads is how many of the first messages that show a language
// decide it; later messages no longer change it unasked.
const maxLanguageReads = 3

// builtinTexts returns the engine's shipped wording in a language, and
// false for a language it has none in.
func builtinTexts(lang string) (Texts, bool) {
	switch lang {
	case flows.SourceLanguage:
		return DefaultTexts(), true
	case "es":
		return spanishTexts(), true
	}
	return Texts{}, false
}

// localTexts are the engine's texts in each language the flows speak: the
// configured (English) text maps to its translation.
type localTexts struct {
	by    map[string]map[string]string // language → configured text → translated text
	cache sync.Map                     // language + "\x00" + source → *flows.Template
}

// TextKeys returns the names of the engine's texts (Texts' yaml names), as
// a translation's engine: section and the configuration name them.
func TextKeys() []string {
	var out []string
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Texts]()) {
		if name := yamlName(f); name != "" {
			out = append(out, name)
		}
	}
	return out
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

// textsByName returns pointers to a Texts' fields by yaml name.
func textsByName(t *Texts) map[string]*string {
	v := reflect.ValueOf(t).Elem()
	out := map[string]*string{}
	for i, f := range reflect.VisibleFields(v.Type()) {
		if name := yamlName(f); name != "" {
			out[name] = v.Field(i).Addr().Interface().(*string)
		}
	}
	return out
}

// newLocalTexts maps the configured texts to their translations into each
// of the flows' languages. An engine: name a translation gives that the
// engine does not have is an error at its line.
func newLocalTexts(cfg Texts, set *flows.Set) (*localTexts, error) {
	lt := &localTexts{by: map[string]map[string]string{}}
	source := textsByName(&cfg)
	for _, lang := range set.Languages() {
		if lang == flows.SourceLanguage {
			continue
		}
		local, _ := builtinTexts(lang)
		local = local.withDefaults()
		names := textsByName(&local)
		if tr := set.Translation(lang); tr != nil {
			for name, text := range tr.Engine {
				p, ok := names[name]
				if !ok {
					return nil, fmt.Errorf("%s: engine: no engine text %q (did you mean %q?)", tr.EnginePos[name], name, flows.Closest(name, TextKeys()))
				}
				*p = text
			}
		}
		m := map[string]string{}
		for name, src := range source {
			if tr := *names[name]; tr != "" && tr != *src {
				m[*src] = tr
			}
		}
		lt.by[lang] = m
	}
	return lt, nil
}

// lang is the language the turn answers in: the customer's when the flows
// speak it, else the flows' own.
func (t *turn) lang() string {
	if l := t.sess.Language; l != "" && slices.Contains(t.e.langs, l) {
		return l
	}
	return flows.SourceLanguage
}

// localize returns the translation of a text into the turn's language: a
// flow's text from the flows' translations, one of the engine's texts
// from its own.
func (t *turn) localize(tpl *flows.Template) *flows.Template {
	lang := t.lang()
	if tpl == nil || lang == flows.SourceLanguage {
		return tpl
	}
	if tr := t.e.deps.Flows.Text(tpl, lang); tr != tpl {
		return tr
	}
	src, ok := t.e.local.by[lang][tpl.Source]
	if !ok {
		return tpl
	}
	key := lang + "\x00" + tpl.Source
	if v, ok := t.e.local.cache.Load(key); ok {
		return v.(*flows.Template)
	}
	tr := t.e.text(src)
	t.e.local.cache.Store(key, tr)
	return tr
}

// word returns one of the engine's plain words (a button title) in the
// turn's language.
func (t *turn) word(src string) string {
	if tr, ok := t.e.local.by[t.lang()][src]; ok {
		return tr
	}
	return src
}

// detectLanguage reads the language of a customer's first messages,
// among the flows' languages. A language the customer asked for is kept.
func (e *Engine) detectLanguage(t *turn) {
	s := t.sess
	if len(e.langs) < 2 || s.LanguageAsked || s.LanguageReads >= maxLanguageReads || t.in.Kind != InText || t.in.ReplyID != "" {
		return
	}
	l := intent.Detect(t.in.Text, e.langs)
	if l == "" {
		return
	}
	s.LanguageReads++
	if s.Language != l {
		s.Language = l
		t.contactDirty = true
	}
}

// printer formats numbers the turn's language's way.
func (t *turn) printer() *message.Printer {
	return message.NewPrinter(language.Make(t.lang()))
}

// number writes a number the language's way, without trailing zeros:
// 3.72 is "3,72" in Spanish.
func (t *turn) number(f float64) string {
	if t.lang() == flows.SourceLanguage {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return t.printer().Sprint(number.Decimal(f, number.Scale(0)))
	}
	return t.printer().Sprint(number.Decimal(f, number.MaxFractionDigits(6)))
}

// money writes an amount of minor units the language's way: "€2,400.00"
// in English, "2.400,00 €" in Spanish.
func (t *turn) money(minor int64, currency string) string {
	return formatMoney(minor, currency, t.lang())
}

func formatMoney(minor int64, currency, lang string) string {
	if lang == "" || lang == flows.SourceLanguage {
		return plugins.FormatMoney(minor, currency)
	}
	dec, ok := plugins.CurrencyDecimals(currency)
	if !ok {
		dec = 2
	}
	sym := strings.TrimSpace(strings.TrimRight(plugins.FormatMoney(0, currency), "0.,"))
	amount := message.NewPrinter(language.Make(lang)).Sprint(number.Decimal(float64(minor)/math.Pow10(dec), number.Scale(dec)))
	if lang == "nl" {
		return sym + " " + amount
	}
	return amount + " " + sym
}

// monthNames are the months in each language the engine writes dates in.
var monthNames = map[string][12]string{
	"es": {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
	"pt": {"janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro", "novembro", "dezembro"},
	"de": {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
	"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	"nl": {"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
}

// date writes a day the language's way: "1 Apr 2026", "1 de abril de
// 2026", "1. April 2026".
func formatDate(d time.Time, lang string) string {
	months, ok := monthNames[lang]
	if !ok {
		return d.Format("2 Jan 2006")
	}
	m := months[d.Month()-1]
	switch lang {
	case "es", "pt":
		return fmt.Sprintf("%d de %s de %d", d.Day(), m, d.Year())
	case "de":
		return fmt.Sprintf("%d. %s %d", d.Day(), m, d.Year())
	}
	return fmt.Sprintf("%d %s %d", d.Day(), m, d.Year())
}

// languageName is a language's name for itself ("Español").
func languageName(code string) string { return intent.LanguageName(code) }

// provisionLanguages prepares what answering in the flows' languages
// needs: the engine's texts in each, the money filter of each, and the
// answer phrases of the intents' languages.
func (e *Engine) provisionLanguages() error {
	e.langs = e.deps.Flows.Languages()
	local, err := newLocalTexts(e.cfg.Texts, e.deps.Flows)
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	e.local = local
	if e.answers, err = intent.NewAnswers(e.cfg.Intents.Languages); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	e.filters = map[string]map[string]flows.FilterFunc{}
	for _, lang := range e.langs {
		if lang == flows.SourceLanguage {
			continue
		}
		f := make(map[string]flows.FilterFunc, len(e.filter))
		for k, v := range e.filter {
			f[k] = v
		}
		f["money"] = func(v any, args []string) (any, error) {
			cur := e.cfg.Currency
			if len(args) > 0 && args[0] != "" {
				cur = args[0]
			}
			x, ok := toFloat(v)
			if !ok {
				return v, nil
			}
			dec, ok := plugins.CurrencyDecimals(cur)
			if !ok {
				dec = 2
			}
			return formatMoney(int64(math.Round(x*math.Pow10(dec))), cur, lang), nil
		}
		e.filters[lang] = f
	}
	return nil
}

// filtersFor are the template filters of the turn's language.
func (t *turn) filtersFor() map[string]flows.FilterFunc {
	if f, ok := t.e.filters[t.lang()]; ok {
		return f
	}
	return t.e.filter
}
