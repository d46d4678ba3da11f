package plugins

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// maxDepth bounds nesting when values cross between Go and Lua.
const maxDepth = 64

// lazySource is the Go value behind a lazy view, and where it stands (for
// errors): below parent at key or index idx. The path is built only when
// it is needed.
type lazySource struct {
	v      any
	parent string
	key    string
	idx    int
}

// kidKey names a nested view already read: the field key of the view t.
// Remembering it (vm.kids) makes a field the same table on every read.
type kidKey struct {
	t   *lua.LTable
	key string
}

func (s lazySource) path() string { return joinPath(s.parent, s.key, s.idx) }

// roSource is the table behind a read-only proxy.
type roSource struct {
	backing *lua.LTable
	path    string
}

// joinPath names a field below parent: lead.city, items[2], tags["a b"].
func joinPath(parent, key string, idx int) string {
	if key == "" && idx == 0 {
		return parent
	}
	if idx > 0 {
		return parent + "[" + strconv.Itoa(idx) + "]"
	}
	if !isIdent(key) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r != '_' && !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z') && (i == 0 || !(r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

// scalarToLua converts the common scalar types without looking further.
func scalarToLua(x any) (lua.LValue, bool) {
	switch x := x.(type) {
	case nil:
		return lua.LNil, true
	case string:
		return lua.LString(x), true
	case float64:
		return lua.LNumber(x), true
	case bool:
		return lua.LBool(x), true
	case int:
		return lua.LNumber(x), true
	}
	return nil, false
}

// toLua converts a Go value for Lua. Maps, slices and structs become lazy
// views: empty tables that convert their Go value the first time they are
// touched, one level at a time, so a call pays only for what it reads.
func (v *vm) toLua(x any, parent, key string, idx int) (lua.LValue, error) {
	switch x := x.(type) {
	case nil:
		return lua.LNil, nil
	case string:
		return lua.LString(x), nil
	case bool:
		return lua.LBool(x), nil
	case float64:
		return lua.LNumber(x), nil
	case int:
		return lua.LNumber(x), nil
	case int64:
		return lua.LNumber(x), nil
	case map[string]any, []any:
		return v.newLazy(x, parent, key, idx), nil
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a number", joinPath(parent, key, idx), x)
		}
		return lua.LNumber(f), nil
	case time.Time:
		return lua.LString(x.Format(time.RFC3339)), nil
	case time.Duration:
		return lua.LNumber(x.Seconds()), nil
	case []byte:
		return lua.LString(x), nil
	case lua.LValue:
		return nil, fmt.Errorf("%s: cannot pass a Lua value from outside", joinPath(parent, key, idx))
	}
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return lua.LNil, nil
		}
		return v.toLua(rv.Elem().Interface(), parent, key, idx)
	case reflect.Bool:
		return lua.LBool(rv.Bool()), nil
	case reflect.String:
		return lua.LString(rv.String()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return lua.LNumber(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return lua.LNumber(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return lua.LNumber(rv.Float()), nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("%s: a map with %s keys cannot be given to Lua (want string keys)", joinPath(parent, key, idx), rv.Type().Key())
		}
		if rv.IsNil() {
			return lua.LNil, nil
		}
		return v.newLazy(x, parent, key, idx), nil
	case reflect.Slice, reflect.Array, reflect.Struct:
		return v.newLazy(x, parent, key, idx), nil
	}
	return nil, fmt.Errorf("%s: a Go %T cannot be given to Lua", joinPath(parent, key, idx), x)
}

func (v *vm) newLazy(x any, parent, key string, idx int) *lua.LTable {
	return v.lazyIn(v.L.CreateTable(0, 0), x, parent, key, idx)
}

// lazyIn makes t, an empty table, a lazy view of x.
func (v *vm) lazyIn(t *lua.LTable, x any, parent, key string, idx int) *lua.LTable {
	t.Metatable = v.lazyMT
	v.pending[t] = lazySource{v: x, parent: parent, key: key, idx: idx}
	return t
}

// endViews forgets the lazy views of the call that ended.
func (v *vm) endViews() {
	clear(v.pending)
	clear(v.kids)
}

// materialize fills a lazy view with all of its Go value's fields (nested
// maps become lazy views in turn) and makes it a plain table. Nested views
// read before are kept, so a table read twice is the same table.
func (v *vm) materialize(t *lua.LTable) error {
	src, ok := v.pending[t]
	if t.Metatable == v.lazyMT {
		t.Metatable = lua.LNil
	}
	if !ok {
		return nil
	}
	delete(v.pending, t)
	switch m := src.v.(type) {
	case map[string]any:
		v.sizeTable(t, len(m))
		t.Metatable = lua.LNil
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		path := src.path()
		for _, k := range keys {
			if kid, ok := v.kids[kidKey{t, k}]; ok {
				t.RawSetString(k, kid)
				continue
			}
			lv, err := v.toLua(m[k], path, k, 0)
			if err != nil {
				return err
			}
			t.RawSetString(k, lv)
		}
		return nil
	case []any:
		*t = *v.L.CreateTable(len(m), 0)
		path := src.path()
		for i, e := range m {
			lv, err := v.toLua(e, path, "", i+1)
			if err != nil {
				return err
			}
			t.RawSetInt(i+1, lv)
		}
		return nil
	}
	return v.materializeReflect(t, src)
}

// sizeTable remakes an empty table with room for n string keys, keeping
// its identity: gopher-lua gives a table 32 hash slots on its first string
// key unless it was made with a size.
func (v *vm) sizeTable(t *lua.LTable, n int) {
	mt := t.Metatable
	*t = *v.L.CreateTable(0, n)
	t.Metatable = mt
}

func (v *vm) materializeReflect(t *lua.LTable, src lazySource) error {
	rv := reflect.ValueOf(src.v)
	path := src.path()
	switch rv.Kind() {
	case reflect.Map:
		keys := rv.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			lv, err := v.toLua(rv.MapIndex(k).Interface(), path, k.String(), 0)
			if err != nil {
				return err
			}
			t.RawSetString(k.String(), lv)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			lv, err := v.toLua(rv.Index(i).Interface(), path, "", i+1)
			if err != nil {
				return err
			}
			t.RawSetInt(i+1, lv)
		}
	case reflect.Struct:
		rt := rv.Type()
		for i := 0; i < rt.NumField(); i++ {
			f := rt.Field(i)
			name := fieldName(f)
			if name == "" {
				continue
			}
			lv, err := v.toLua(rv.Field(i).Interface(), path, name, 0)
			if err != nil {
				return err
			}
			t.RawSetString(name, lv)
		}
	}
	return nil
}

// fieldName is a struct field's name in Lua: its json tag, else its yaml
// tag, else the field name; "" for unexported or "-" fields.
func fieldName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	for _, tag := range []string{"json", "yaml"} {
		if name, _, _ := strings.Cut(f.Tag.Get(tag), ","); name != "" {
			if name == "-" {
				return ""
			}
			return name
		}
	}
	return f.Name
}

// lazyIndex reads a field of a lazy view. A field of a Go map is converted
// alone, again on each read (cheaper than storing it in the table); a
// nested view is remembered so a field is the same table each time it is
// read. Views of lists and structs are filled whole.
func (v *vm) lazyIndex(L *lua.LState) int {
	t := L.CheckTable(1)
	k := L.Get(2)
	src, ok := v.pending[t]
	if m, isMap := src.v.(map[string]any); ok && isMap {
		ks, isStr := k.(lua.LString)
		x, found := m[string(ks)]
		if !isStr || !found {
			L.Push(lua.LNil)
			return 1
		}
		if lv, ok := scalarToLua(x); ok {
			L.Push(lv)
			return 1
		}
		kk := kidKey{t, string(ks)}
		if kid, ok := v.kids[kk]; ok {
			L.Push(kid)
			return 1
		}
		lv, err := v.toLua(x, src.path(), string(ks), 0)
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		if kid, isTable := lv.(*lua.LTable); isTable {
			v.kids[kk] = kid
		}
		L.Push(lv)
		return 1
	}
	if err := v.materialize(t); err != nil {
		L.RaiseError("%s", err.Error())
	}
	L.Push(t.RawGet(k))
	return 1
}

func (v *vm) lazyNewIndex(L *lua.LState) int {
	t := L.CheckTable(1)
	if err := v.materialize(t); err != nil {
		L.RaiseError("%s", err.Error())
	}
	k := L.Get(2)
	if k == lua.LNil {
		L.RaiseError("table index is nil")
	}
	v.guardSlot(L, t, k)
	t.RawSet(k, L.Get(3))
	return 0
}

func (v *vm) lazyLen(L *lua.LState) int {
	t := L.CheckTable(1)
	if err := v.materialize(t); err != nil {
		L.RaiseError("%s", err.Error())
	}
	L.Push(lua.LNumber(t.Len()))
	return 1
}

func (v *vm) lazyPairs(L *lua.LState) int {
	t := L.CheckTable(1)
	if err := v.materialize(t); err != nil {
		L.RaiseError("%s", err.Error())
	}
	L.Push(v.lib.RawGetString("next"))
	L.Push(t)
	L.Push(lua.LNil)
	return 3
}

// plainTable returns the table holding t's contents: a lazy view is filled
// first, a read-only proxy gives its backing table (and raises an error
// when the caller means to write).
func (v *vm) plainTable(t *lua.LTable, writes bool) *lua.LTable {
	if t.Metatable == v.lazyMT {
		if err := v.materialize(t); err != nil {
			v.L.RaiseError("%s", err.Error())
		}
		return t
	}
	if src, ok := v.readonly[t]; ok {
		if writes {
			v.L.RaiseError("%s is read-only", src.path)
		}
		return src.backing
	}
	return t
}

// readOnly converts a Go value into read-only Lua tables, eagerly: used
// once per state for ctx.config.
func (v *vm) readOnly(x any, path string, depth int) (lua.LValue, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%s: nested deeper than %d levels", path, maxDepth)
	}
	rv := reflect.ValueOf(x)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return lua.LNil, nil
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Map, reflect.Slice, reflect.Array, reflect.Struct:
		if _, isTime := rv.Interface().(time.Time); isTime {
			return v.toLua(x, path, "", 0)
		}
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			return lua.LString(rv.Bytes()), nil
		}
	default:
		return v.toLua(rv.Interface(), path, "", 0)
	}
	backing := v.L.CreateTable(0, 0)
	fill := func(k lua.LValue, child reflect.Value, name string, idx int) error {
		cv, err := v.readOnly(child.Interface(), joinPath(path, name, idx), depth+1)
		if err != nil {
			return err
		}
		backing.RawSet(k, cv)
		return nil
	}
	switch rv.Kind() {
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("%s: a map with %s keys cannot be given to Lua (want string keys)", path, rv.Type().Key())
		}
		keys := rv.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			if err := fill(lua.LString(k.String()), rv.MapIndex(k), k.String(), 0); err != nil {
				return nil, err
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			if err := fill(lua.LNumber(i+1), rv.Index(i), "", i+1); err != nil {
				return nil, err
			}
		}
	case reflect.Struct:
		for i := 0; i < rv.NumField(); i++ {
			if name := fieldName(rv.Type().Field(i)); name != "" {
				if err := fill(lua.LString(name), rv.Field(i), name, 0); err != nil {
					return nil, err
				}
			}
		}
	}
	return v.roProxy(backing, path), nil
}

func (v *vm) roProxy(backing *lua.LTable, path string) *lua.LTable {
	L := v.L
	p := L.CreateTable(0, 0)
	mt := L.CreateTable(0, 5)
	mt.RawSetString("__index", backing)
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("%s is read-only", path)
		return 0
	}))
	mt.RawSetString("__len", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(backing.Len()))
		return 1
	}))
	mt.RawSetString("__pairs", L.NewFunction(func(L *lua.LState) int {
		L.Push(v.lib.RawGetString("next"))
		L.Push(backing)
		L.Push(lua.LNil)
		return 3
	}))
	mt.RawSetString("__metatable", lua.LString("locked"))
	p.Metatable = mt
	v.readonly[p] = roSource{backing: backing, path: path}
	return p
}

// What a result may hold once converted: a table can hold the same table
// many times (40 levels of t = {t, t} are 2^40 values once expanded), and
// the same long string many times.
const (
	maxResultValues = 100_000
	maxResultBytes  = maxStringBytes
)

// convBudget is what a conversion to Go has left.
type convBudget struct{ values, bytes int }

// result converts a value going out of Lua (a result, a test's tables)
// within the result budget.
func (v *vm) result(lv lua.LValue) (any, error) {
	v.conv = convBudget{values: maxResultValues, bytes: maxResultBytes}
	return v.fromLua(lv, "", 0, nil)
}

// spend takes one value of n bytes from the conversion budget.
func (v *vm) spend(n int) error {
	v.conv.values--
	v.conv.bytes -= n
	switch {
	case v.conv.values < 0:
		return fieldErr("", "more than %d values (does a table hold the same table many times?)", maxResultValues)
	case v.conv.bytes < 0:
		return fieldErr("", "more than %s of text", formatBytes(maxResultBytes))
	}
	return nil
}

// fromLua converts a Lua value to Go: tables whose keys are 1..n become
// []any, other tables map[string]any (integer keys written as strings),
// numbers float64. Functions, userdata, cyclic tables, NaN and infinities
// are errors that name the field.
func (v *vm) fromLua(lv lua.LValue, path string, depth int, seen []*lua.LTable) (any, error) {
	n := 0
	if s, ok := lv.(lua.LString); ok {
		n = len(s)
	}
	if err := v.spend(n); err != nil {
		return nil, err
	}
	switch x := lv.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(x), nil
	case lua.LString:
		return string(x), nil
	case lua.LNumber:
		f := float64(x)
		if math.IsNaN(f) {
			return nil, fieldErr(path, "NaN is not a number a result can hold")
		}
		if math.IsInf(f, 0) || math.Abs(f) >= math.MaxFloat64 {
			return nil, fieldErr(path, "infinity is not a number a result can hold")
		}
		return f, nil
	case *lua.LTable:
		return v.tableFromLua(x, path, depth, seen)
	case *lua.LFunction:
		return nil, fieldErr(path, "a function cannot be converted to a value")
	}
	return nil, fieldErr(path, "a %s cannot be converted to a value", lv.Type())
}

func (v *vm) tableFromLua(t *lua.LTable, path string, depth int, seen []*lua.LTable) (any, error) {
	if t.Metatable == v.lazyMT {
		if err := v.materialize(t); err != nil {
			return nil, err
		}
	}
	if src, ok := v.readonly[t]; ok {
		t = src.backing
	}
	if slices.Contains(seen, t) {
		return nil, fieldErr(path, "cyclic table (it contains itself)")
	}
	if depth >= maxDepth {
		return nil, fieldErr(path, "nested deeper than %d levels", maxDepth)
	}
	seen = append(seen, t)
	n, count := t.Len(), 0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		count++
	}
	if n > 0 && count == n {
		out := make([]any, n)
		for i := 1; i <= n; i++ {
			e, err := v.fromLua(t.RawGetInt(i), joinPath(path, "", i), depth+1, seen)
			if err != nil {
				return nil, err
			}
			out[i-1] = e
		}
		return out, nil
	}
	out := make(map[string]any, count)
	var err error
	for k, val := t.Next(lua.LNil); k != lua.LNil && err == nil; k, val = t.Next(k) {
		var name string
		switch kk := k.(type) {
		case lua.LString:
			name = string(kk)
		case lua.LNumber:
			name = strconv.FormatFloat(float64(kk), 'g', -1, 64)
		default:
			return nil, fieldErr(path, "a %s key cannot be converted (use string keys)", k.Type())
		}
		var e any
		if e, err = v.fromLua(val, joinPath(path, name, 0), depth+1, seen); err == nil {
			out[name] = e
		}
	}
	return out, err
}

// resultError names the returned value when a field path is empty.
func resultError(err error) error {
	var fe *fieldError
	if errors.As(err, &fe) && fe.path == "" {
		return &fieldError{path: "returned value", msg: fe.msg}
	}
	return err
}
