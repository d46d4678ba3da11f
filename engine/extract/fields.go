package extract

import (
	"fmt"
	"strings"

	"github.com/allmyleads/allmyleads/engine/core"
)

// SpecError is a mistake in a compact field spec (see ParseFields); it
// names the field.
type SpecError struct {
	Index   int    // 1-based position in the list
	Field   string // the item as written
	Problem string
}

func (e *SpecError) Error() string {
	return fmt.Sprintf("field %d %q: %s", e.Index, e.Field, e.Problem)
}

// ParseFields reads the compact field spec of `allmyleads extract
// --fields`: comma-separated NAME:TYPE items, TYPE one of string, number,
// integer, boolean, date or enum(a|b|c), with [] for a list and ? for an
// optional field (fields are required otherwise). Example:
//
//	area_m2:number,material:enum(tiles|metal),notes:string?,tags:string[]
func ParseFields(spec string) ([]core.Field, error) {
	items := splitTop(spec)
	fields := make([]core.Field, 0, len(items))
	for i, item := range items {
		f, problem := parseField(strings.TrimSpace(item))
		if problem != "" {
			return nil, &SpecError{Index: i + 1, Field: strings.TrimSpace(item), Problem: problem}
		}
		fields = append(fields, f)
	}
	if _, err := checkFields(fields); err != nil {
		// Name, duplicate and enum problems: say which item.
		for i, f := range fields {
			if _, err := checkFields(fields[:i+1]); err != nil {
				return nil, &SpecError{Index: i + 1, Field: f.Name, Problem: strings.TrimPrefix(err.Error(), ErrFieldSpec.Error()+": ")}
			}
		}
		return nil, err
	}
	return fields, nil
}

// splitTop splits on commas outside parentheses.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func parseField(item string) (core.Field, string) {
	var f core.Field
	if item == "" {
		return f, "empty (a stray comma?)"
	}
	name, typ, ok := strings.Cut(item, ":")
	f.Name = strings.TrimSpace(name)
	if !ok {
		return f, "want NAME:TYPE"
	}
	typ = strings.TrimSpace(typ)
	f.Required = true
	for {
		switch {
		case strings.HasSuffix(typ, "?"):
			f.Required = false
			typ = strings.TrimSpace(strings.TrimSuffix(typ, "?"))
			continue
		case strings.HasSuffix(typ, "[]"):
			f.List = true
			typ = strings.TrimSpace(strings.TrimSuffix(typ, "[]"))
			continue
		}
		break
	}
	if rest, isEnum := strings.CutPrefix(typ, "enum"); isEnum && strings.HasPrefix(strings.TrimSpace(rest), "(") {
		rest = strings.TrimSpace(rest)
		if !strings.HasSuffix(rest, ")") {
			return f, `enum values need a closing ")"`
		}
		for v := range strings.SplitSeq(rest[1:len(rest)-1], "|") {
			f.Enum = append(f.Enum, strings.TrimSpace(v))
		}
		f.Type = TypeString
		return f, ""
	}
	switch typ {
	case TypeString, TypeNumber, TypeInteger, TypeBoolean, TypeDate:
		f.Type = typ
		return f, ""
	case TypeEnum:
		return f, "enum needs its values: enum(a|b|c)"
	case "":
		return f, "no type after the colon"
	}
	return f, fmt.Sprintf("unknown type %q (want string, number, integer, boolean, date or enum(a|b))", typ)
}
