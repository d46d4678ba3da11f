package quantity

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// tableFile is one testdata/*.yaml: a language's phrasings.
type tableFile struct {
	Lang  string      `yaml:"lang"`
	Ask   string      `yaml:"ask"`
	Cases []tableCase `yaml:"cases"`
}

// tableCase is one phrasing and what must be read from it.
type tableCase struct {
	In        string   `yaml:"in"`
	Ask       *string  `yaml:"ask"` // the unit asked, when not the file's
	Value     *float64 `yaml:"value"`
	High      *float64 `yaml:"high"`
	Unit      *string  `yaml:"unit"`
	Text      string   `yaml:"text"`
	Dims      bool     `yaml:"dims"`
	Converted bool     `yaml:"converted"`
	Range     bool     `yaml:"range"`
	Approx    bool     `yaml:"approx"`
	Words     bool     `yaml:"words"`
	Ambiguous bool     `yaml:"ambiguous"`
	Err       string   `yaml:"err"`  // none, several or unit
	Auto      *bool    `yaml:"auto"` // false: only with the language given
}

func loadTables(t testing.TB) map[string]tableFile {
	t.Helper()
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no tables: %v", err)
	}
	out := map[string]tableFile{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tf tableFile
		if err := yaml.Unmarshal(raw, &tf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = tf
	}
	return out
}

// TestTables reads every phrasing of every language, with the language
// given and (unless the case needs it) with the language unknown, as the
// engine reads answers.
func TestTables(t *testing.T) {
	for file, tf := range loadTables(t) {
		if len(tf.Cases) < 100 {
			t.Errorf("%s: %d cases; each language needs at least 100", file, len(tf.Cases))
		}
		seen := map[string]bool{}
		for _, c := range tf.Cases {
			key := c.In + "|" + fmt.Sprint(c.Ask)
			if seen[key] {
				t.Errorf("%s: %q twice", file, c.In)
			}
			seen[key] = true
			ask := Unit(tf.Ask)
			if c.Ask != nil {
				ask = Unit(*c.Ask)
			}
			t.Run(tf.Lang+"/"+c.In, func(t *testing.T) {
				r, err := Parse(c.In, Options{Unit: ask, Lang: tf.Lang})
				checkCase(t, c, ask, r, err, true)
				if c.Auto == nil || *c.Auto {
					r, err := Parse(c.In, Options{Unit: ask})
					checkCase(t, c, ask, r, err, false)
				}
			})
		}
	}
}

func checkCase(t *testing.T, c tableCase, ask Unit, r Reading, err error, withLang bool) {
	t.Helper()
	mode := "lang given"
	if !withLang {
		mode = "lang unknown"
	}
	if c.Err != "" {
		var ue *UnitError
		ok := (c.Err == "none" && errors.Is(err, ErrNone)) || (c.Err == "several" && errors.Is(err, ErrSeveral)) ||
			(c.Err == "unit" && errors.As(err, &ue))
		if !ok {
			t.Errorf("%s: want error %s, got %v (%+v)", mode, c.Err, err, r)
		}
		return
	}
	if err != nil {
		t.Errorf("%s: %v", mode, err)
		return
	}
	if c.Value == nil {
		t.Fatalf("case has no value")
	}
	high := *c.Value
	if c.High != nil {
		high = *c.High
	}
	unit := ask
	if c.Unit != nil {
		unit = Unit(*c.Unit)
	}
	type view struct {
		Value, High                                      float64
		Unit                                             Unit
		Dims, Converted, Range, Approx, Words, Ambiguous bool
	}
	got := view{r.Value, r.High, r.Unit, r.Dims, r.Converted, r.Range, r.Approx, r.Words, r.Ambiguous}
	want := view{*c.Value, high, unit, c.Dims, c.Converted, c.Range, c.Approx, c.Words, c.Ambiguous}
	if !withLang {
		got.Ambiguous, want.Ambiguous = false, false
	}
	if got != want {
		t.Errorf("%s:\n got %+v\nwant %+v (text %q)", mode, got, want, r.Text)
	}
	if c.Text != "" && r.Text != c.Text {
		t.Errorf("%s: text %q, want %q", mode, r.Text, c.Text)
	}
}

// TestFindOffsets: a match covers the quantity's words and nothing more.
func TestFindOffsets(t *testing.T) {
	text := "Front roof about 4x10m, back 20 sq ft; gutter 3rd from left, between 30 and 40."
	var got []string
	for _, m := range Find(text, "") {
		got = append(got, text[m.Start:m.End]+"="+m.Text)
	}
	want := []string{"about 4x10m=about 4 m × 10 m", "20 sq ft=20 ft²", "between 30 and 40=30–40"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

// TestUnits: every unit a flow may ask in parses back from its symbol.
func TestUnits(t *testing.T) {
	for _, u := range Units() {
		if got, ok := ParseUnit(string(u)); !ok || got != u {
			t.Errorf("ParseUnit(%q) = %q, %v", u, got, ok)
		}
		if u.IsArea() == u.IsLength() {
			t.Errorf("%s is both or neither area and length", u)
		}
	}
	for in, want := range map[string]Unit{"m2": SquareMetre, "sq ft": SquareFoot, "square metres": SquareMetre, "Quadratmeter": SquareMetre, "metros": Metre} {
		if got, ok := ParseUnit(in); !ok || got != want {
			t.Errorf("ParseUnit(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "m3", "kg", "40 m2", "square"} {
		if got, ok := ParseUnit(in); ok {
			t.Errorf("ParseUnit(%q) = %q; want no unit", in, got)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		v    float64
		u    Unit
		want string
	}{{40, SquareMetre, "40 m²"}, {1000, SquareMetre, "1,000 m²"}, {1234567.5, None, "1,234,567.5"}, {-2500, Metre, "-2,500 m"}, {0.5, None, "0.5"}} {
		if got := Format(c.v, c.u); got != c.want {
			t.Errorf("Format(%v, %q) = %q, want %q", c.v, c.u, got, c.want)
		}
	}
}

// FuzzParse: no text makes the parser panic; what it reads is finite and
// ordered, says how it was read, and that text reads back as the same
// quantity.
func FuzzParse(f *testing.F) {
	for _, tf := range loadTables(f) {
		for _, c := range tf.Cases {
			f.Add(c.In, tf.Lang)
		}
	}
	f.Add("4 x 10 x 3 m and 1.2.3 or ,5 – 7e10", "")
	f.Fuzz(func(t *testing.T, text, lang string) {
		for _, u := range []Unit{None, SquareMetre, Metre} {
			r, err := Parse(text, Options{Unit: u, Lang: lang})
			if err != nil {
				continue
			}
			if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) || math.IsNaN(r.High) || math.IsInf(r.High, 0) || r.Value > r.High {
				t.Fatalf("%q: value %v to %v", text, r.Value, r.High)
			}
			if r.Text == "" || (u != None && r.Unit != u) {
				t.Fatalf("%q: text %q unit %q (asked %q)", text, r.Text, r.Unit, u)
			}
			if r.Value < 0 {
				continue // -5–-3 is not how anyone writes a range
			}
			back, err := Parse(r.Text, Options{Unit: r.Unit, Lang: "en"})
			if err != nil || back.Value != r.Value || back.High != r.High || back.Range != r.Range {
				t.Fatalf("%q read as %q (%v to %v %s), which reads back as %+v, %v", text, r.Text, r.Value, r.High, r.Unit, back, err)
			}
		}
		for _, m := range Find(text, lang) {
			if m.Start < 0 || m.End > len(text) || m.Start >= m.End {
				t.Fatalf("%q: match at %d:%d", text, m.Start, m.End)
			}
		}
	})
}

// BenchmarkParse reads each English phrasing once per iteration.
func BenchmarkParse(b *testing.B) {
	var inputs []string
	for _, tf := range loadTables(b) {
		if tf.Lang == "en" {
			for _, c := range tf.Cases {
				inputs = append(inputs, c.In)
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, in := range inputs {
			_, _ = Parse(in, Options{Unit: SquareMetre})
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(inputs)), "ns/phrase")
}

// BenchmarkFindCaption reads a typical photo caption.
func BenchmarkFindCaption(b *testing.B) {
	caption := "Front of the house, the roof is roughly 4 x 10 m and the porch about 12 sq ft; tiles from 2019."
	b.ReportAllocs()
	for b.Loop() {
		_ = Find(caption, "")
	}
}
