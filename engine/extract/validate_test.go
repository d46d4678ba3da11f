package extract

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/allmyleads/allmyleads/engine/core"
)

type validateCase struct {
	Name     string                      `yaml:"name"`
	Fields   string                      `yaml:"fields"`
	SpecType string                      `yaml:"spec_type"` // overrides the first field's type
	Reply    string                      `yaml:"reply"`
	Want     map[string]core.FieldResult `yaml:"want"`
	Errors   []string                    `yaml:"errors"`
}

func loadValidateCases(t testing.TB) []validateCase {
	var cases []validateCase
	loadYAML(t, "testdata/validate.yaml", &cases)
	return cases
}

func TestValidate(t *testing.T) {
	for _, c := range loadValidateCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			fields := mustFields(t, c.Fields)
			if c.SpecType != "" {
				fields[0].Type = c.SpecType
			}
			got, err := Validate(fields, []byte(c.Reply))
			if len(c.Errors) > 0 {
				if err == nil {
					t.Fatalf("no error; got %v", got)
				}
				for _, e := range c.Errors {
					if !strings.Contains(err.Error(), e) {
						t.Errorf("error lacks %q:\n%v", e, err)
					}
				}
				if n := strings.Count(err.Error(), "\n") + 1; n != len(c.Errors) {
					t.Errorf("%d problems reported, want %d:\n%v", n, len(c.Errors), err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]core.FieldResult{}
			for k, v := range c.Want {
				want[k] = core.FieldResult{Value: normal(v.Value), Confidence: v.Confidence}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %#v\nwant %#v", got, want)
			}
		})
	}
}

func TestValidateFieldError(t *testing.T) {
	_, err := Validate(mustFields(t, "area_m2:number"), []byte(`{"area_m2":{"value":"secret@example.com","confidence":0.5}}`))
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "area_m2" {
		t.Fatalf("err = %v, want a *FieldError for area_m2", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error quotes the value: %v", err)
	}
	if _, err := Validate(mustFields(t, "a:number"), []byte(`"x"`)); !errors.Is(err, ErrReplyNotObject) {
		t.Errorf("err = %v, want ErrReplyNotObject", err)
	}
}

var fuzzFields = []string{
	"area_m2:number,material:enum(tiles|metal),notes:string?",
	"s:string,n:number,i:integer,b:boolean,d:date,l:integer[]",
	"a:string?,b:enum(x|y)[]?,c:date?",
}

// FuzzValidate feeds Validate arbitrary replies: it must never panic, and
// what it accepts must be typed as the spec says.
func FuzzValidate(f *testing.F) {
	for _, c := range loadValidateCases(f) {
		for i := range fuzzFields {
			f.Add(i, c.Reply)
		}
	}
	specs := make([][]core.Field, len(fuzzFields))
	for i, s := range fuzzFields {
		specs[i] = mustFields(f, s)
	}
	f.Fuzz(func(t *testing.T, which int, reply string) {
		fields := specs[uint(which)%uint(len(specs))]
		got, err := Validate(fields, []byte(reply))
		if err != nil {
			if got != nil {
				t.Fatal("result with an error")
			}
			return
		}
		if !json.Valid([]byte(reply)) {
			t.Fatalf("accepted invalid JSON %q", reply)
		}
		for _, fl := range fields {
			fr, ok := got[fl.Name]
			if !ok {
				if fl.Required {
					t.Fatalf("required %s missing from an accepted reply", fl.Name)
				}
				continue
			}
			if math.IsNaN(fr.Confidence) || fr.Confidence < 0 || fr.Confidence > 1 {
				t.Fatalf("%s: confidence %v", fl.Name, fr.Confidence)
			}
			vals := []any{fr.Value}
			if fl.List {
				vals = fr.Value.([]any)
			}
			kind, _ := kindOf(fl)
			for _, v := range vals {
				checkKind(t, fl.Name, kind, v)
			}
		}
		if len(got) > len(fields) {
			t.Fatalf("more results than fields: %v", got)
		}
	})
}

func checkKind(t *testing.T, name, kind string, v any) {
	t.Helper()
	ok := false
	switch kind {
	case TypeString, TypeEnum, TypeDate:
		s, isStr := v.(string)
		ok = isStr && s != ""
	case TypeNumber:
		_, ok = v.(float64)
	case TypeInteger:
		x, isNum := v.(float64)
		ok = isNum && x == math.Trunc(x)
	case TypeBoolean:
		_, ok = v.(bool)
	}
	if !ok {
		t.Fatalf("%s (%s): value %#v", name, kind, v)
	}
}

func BenchmarkValidate(b *testing.B) {
	fields := mustFields(b, "area_m2:number,material:enum(tiles|metal|shingles|flat|unknown),notes:string?,tags:string[],start:date?,floors:integer?")
	reply := []byte(`{"area_m2":{"value":96,"confidence":0.82},"material":{"value":"tiles","confidence":0.9},` +
		`"notes":{"value":null,"confidence":0},"tags":{"value":["cracked","old"],"confidence":0.6},` +
		`"start":{"value":"2026-03-01","confidence":0.7},"floors":{"value":2,"confidence":0.95}}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(reply)))
	for b.Loop() {
		if _, err := Validate(fields, reply); err != nil {
			b.Fatal(err)
		}
	}
}
