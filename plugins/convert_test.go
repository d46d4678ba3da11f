package plugins

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

type kindsStruct struct {
	Plain  int
	Tagged string `json:"tagged"`
	Hidden string `json:"-"`
	secret string
}

func convertVars() map[string]any {
	three := 3
	var nilPtr *int
	return map[string]any{
		"project": map[string]any{"service": "roofing", "estimate": map[string]any{"area_m2": 40}, "photos": []string{"a", "b"}},
		"kinds": map[string]any{
			"int": 7, "int8": int8(-8), "uint": uint(9), "json": json.Number("12.5"), "bytes": []byte("raw"),
			"duration": 90 * time.Second, "time": time.Date(2025, 12, 6, 10, 0, 0, 0, time.UTC),
			"list": []string{"a", "b"}, "strmap": map[string]string{"k": "v"}, "ptr": &three, "nilptr": nilPtr,
			"struct": kindsStruct{Plain: 1, Tagged: "t", Hidden: "h", secret: "s"},
		},
		"bad": map[string]any{"chan": make(chan int)},
	}
}

// TestConvert runs testdata/convert.json: Lua values returned to Go, and Go
// values seen through ctx, with errors that name the field.
func TestConvert(t *testing.T) {
	var cases []struct {
		Name, Lua, Error string
		Want             any
	}
	readJSON(t, "testdata/convert.json", &cases)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			h := openDir(t, map[string]string{"c.lua": "function f(ctx)\n  return " + tc.Lua + "\nend\n"},
				Options{Config: map[string]any{"roofing": map[string]any{"minimum": 450}}})
			res, err := call(t, h, "c.f", convertVars())
			if tc.Error != "" {
				if err == nil || !strings.HasSuffix(err.Error(), tc.Error) {
					t.Fatalf("got %v, want an error ending %q", err, tc.Error)
				}
				var pe *Error
				if !errors.As(err, &pe) || pe.Line == 0 {
					t.Fatalf("error %v has no line", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(res.Value)
			want, _ := json.Marshal(tc.Want)
			if string(got) != string(want) {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
}

// Lazy views read what the plugin asks for and can be walked like tables.
func TestLazyViews(t *testing.T) {
	h := openDir(t, map[string]string{"v.lua": `
function f(ctx)
  local out = {}
  -- a field read before pairs keeps its value, and the rest fills in
  local service = ctx.project.service
  local keys = {}
  for k in pairs(ctx.project) do keys[#keys + 1] = k end
  table.sort(keys)
  out.keys = table.concat(keys, ",")
  out.same = ctx.project.estimate == ctx.project.estimate
  out.photos = #ctx.project.photos .. ":" .. table.concat(ctx.project.photos, "+")
  out.missing = ctx.project.nothing == nil and ctx.lead.name == nil
  out.next = next(ctx.vars.kinds.strmap)
  out.unpack = select("#", unpack(ctx.project.photos))
  -- a plugin may change its copy; the caller's maps stay as they are
  ctx.project.service = "painting"
  ctx.project.estimate.area_m2 = 1
  table.insert(ctx.project.photos, "c")
  out.changed = ctx.project.service .. #ctx.project.photos
  out.service = service
  return out
end
`}, Options{})
	vars := convertVars()
	res, err := call(t, h, "v.f", vars)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(res.Value)
	want := `{"changed":"painting3","keys":"estimate,photos,service","missing":true,"next":"k","photos":"2:a+b","same":true,"service":"roofing","unpack":2}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	p := vars["project"].(map[string]any)
	if p["service"] != "roofing" || p["estimate"].(map[string]any)["area_m2"] != 40 || len(p["photos"].([]string)) != 2 {
		t.Fatalf("the caller's variables changed: %v", p)
	}
}

// Every call sees its own variables through ctx, whatever the call before
// it on the same state did with its views (read them, wrote to them,
// walked them), including nested views read before.
func TestViewsEachCall(t *testing.T) {
	h := openDir(t, map[string]string{"v.lua": `
function f(ctx)
  local name, area = ctx.lead.name, ctx.project.estimate.area_m2
  local written = ctx.lead.note
  if ctx.vars.id % 3 == 0 then
    ctx.lead.note = "call " .. ctx.vars.id
    ctx.project.estimate.area_m2 = -1
    for k in pairs(ctx.vars) do end
  end
  return name .. "|" .. area .. "|" .. tostring(written) .. "|" .. ctx.vars.id
end
`}, Options{PoolSize: 1})
	for i := range 7 {
		vars := map[string]any{
			"id":      i,
			"lead":    map[string]any{"name": fmt.Sprint("n", i)},
			"project": map[string]any{"estimate": map[string]any{"area_m2": 10 * i}},
		}
		res, err := call(t, h, "v.f", vars)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("n%d|%d|nil|%d", i, 10*i, i); res.Value != want {
			t.Fatalf("call %d: got %v, want %s", i, res.Value, want)
		}
	}
}

// Configuration values that Lua cannot hold stop Open with the field.
func TestConfigConversionError(t *testing.T) {
	dir := writeFiles(t, map[string]string{"x.lua": "function f() end\n"})
	_, err := Open(Options{Dir: dir, Config: map[string]any{"hooks": map[string]any{"fn": func() {}}}})
	if err == nil || !strings.Contains(err.Error(), "ctx.config.hooks.fn: a Go func() cannot be given to Lua") {
		t.Fatalf("got %v", err)
	}
}
