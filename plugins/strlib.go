package plugins

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// The string functions of the sandbox. Each one that builds a string
// counts its size against the call's memory budget before it allocates,
// refuses results over maxStringBytes, and counts the work it does (in
// instruction units) so that a loop over big strings cannot outrun the
// budgets between two checks. Behaviour is Lua 5.1's (lstrlib.c) where
// gopher-lua's differs only in corner cases (string.find with an empty
// pattern and an init, gsub with "%" before a non-digit).

// openStrings replaces the string library's functions with the counted
// ones.
func (v *vm) openStrings(str *lua.LTable) {
	L := v.L
	set := func(name string, fn lua.LGFunction) { str.RawSetString(name, L.NewFunction(fn)) }
	set("find", v.strFind)
	set("match", v.strMatch)
	set("gmatch", v.strGmatch)
	str.RawSetString("gfind", str.RawGetString("gmatch"))
	set("gsub", v.strGsub)
	set("rep", v.strRep)
	set("upper", func(L *lua.LState) int { return v.caseMap(L, "string.upper", unicode.ToUpper) })
	set("lower", func(L *lua.LState) int { return v.caseMap(L, "string.lower", unicode.ToLower) })
	set("reverse", v.strReverse)
	orig := func(name string) lua.LGFunction { return str.RawGetString(name).(*lua.LFunction).GFunction }
	set("format", v.strFormat(orig("format")))
	set("char", v.strChar(orig("char")))
	set("byte", v.strByte(orig("byte")))
}

// optPos reads an optional integer argument such as a string position,
// clamped so that a huge number cannot overflow.
func optPos(L *lua.LState, n, def int) int {
	if L.Get(n) == lua.LNil {
		return def
	}
	f := float64(L.CheckNumber(n))
	switch {
	case math.IsNaN(f):
		return 0
	case f > math.MaxInt32:
		return math.MaxInt32
	case f < math.MinInt32:
		return math.MinInt32
	}
	return int(f)
}

// posrelat turns a Lua string position (negative: from the end) into an
// offset as Lua 5.1 does.
func posrelat(pos, n int) int {
	if pos < 0 {
		pos += n + 1
	}
	return max(pos, 0)
}

// strBuilder builds a string for the sandbox, counting each growth of its
// buffer against the call's budget before it happens.
type strBuilder struct {
	L    *lua.LState
	cc   *callCtx
	what string // the function building it, for errors
	buf  []byte
}

func (b *strBuilder) grow(n int) {
	need := len(b.buf) + n
	if need <= cap(b.buf) {
		return
	}
	if need > maxStringBytes {
		b.cc.tooLong(b.L, b.what, "would")
	}
	c := min(max(2*cap(b.buf), need, 64), maxStringBytes)
	b.cc.alloc(b.L, int64(c))
	nb := make([]byte, len(b.buf), c)
	copy(nb, b.buf)
	b.buf = nb
}

func (b *strBuilder) write(s string) {
	b.grow(len(s))
	b.buf = append(b.buf, s...)
}

func (b *strBuilder) writeByte(c byte) {
	b.grow(1)
	b.buf = append(b.buf, c)
}

// string returns what was built; the builder must not be used after.
func (b *strBuilder) string() string {
	return unsafe.String(unsafe.SliceData(b.buf), len(b.buf))
}

func (v *vm) strFind(L *lua.LState) int  { return v.findAux(L, true) }
func (v *vm) strMatch(L *lua.LState) int { return v.findAux(L, false) }

// findAux is string.find (find) and string.match.
func (v *vm) findAux(L *lua.LState, find bool) int {
	s := L.CheckString(1)
	p := L.CheckString(2)
	init := posrelat(optPos(L, 3, 1), len(s)) - 1
	init = min(max(init, 0), len(s))
	if find && (lua.LVAsBool(L.Get(4)) || !hasSpecials(p)) {
		v.cc.work(L, int64(len(s)-init)/64+1)
		if i := strings.Index(s[init:], p); i >= 0 {
			L.Push(lua.LNumber(init + i + 1))
			L.Push(lua.LNumber(init + i + len(p)))
			return 2
		}
		L.Push(lua.LNil)
		return 1
	}
	ms := newMatchState(L, &v.cc, s, p)
	start, end := ms.find(init, len(p) > 0 && p[0] == '^')
	ms.flush()
	if start < 0 {
		L.Push(lua.LNil)
		return 1
	}
	if find {
		L.Push(lua.LNumber(start + 1))
		L.Push(lua.LNumber(end))
		return ms.pushCaptures(start, end, false) + 2
	}
	return ms.pushCaptures(start, end, true)
}

// strGmatch is string.gmatch: an iterator over the matches. As in Lua 5.1,
// a leading ^ is an ordinary character here.
func (v *vm) strGmatch(L *lua.LState) int {
	s := L.CheckString(1)
	p := L.CheckString(2)
	ms := newMatchState(L, &v.cc, s, p)
	pos := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		ms.L = L
		for src := pos; src <= len(s); src++ {
			ms.level = 0
			if e := ms.match(src, 0); e != -1 {
				pos = e
				if e == src {
					pos++ // an empty match: go on from the next character
				}
				ms.flush()
				return ms.pushCaptures(src, e, true)
			}
		}
		pos = len(s) + 1
		ms.flush()
		return 0
	}))
	return 1
}

// strGsub is string.gsub(s, pattern, repl [, n]).
func (v *vm) strGsub(L *lua.LState) int {
	src := L.CheckString(1)
	p := L.CheckString(2)
	repl := L.Get(3)
	switch repl.Type() {
	case lua.LTNumber, lua.LTString, lua.LTTable, lua.LTFunction:
	default:
		L.ArgError(3, "string/function/table expected")
	}
	maxN := optPos(L, 4, len(src)+1)
	anchor := len(p) > 0 && p[0] == '^'
	pi := 0
	if anchor {
		pi = 1
	}
	ms := newMatchState(L, &v.cc, src, p)
	b := strBuilder{L: L, cc: &v.cc, what: "string.gsub"}
	s, n, copied := 0, 0, 0
	for n < maxN {
		ms.level = 0
		e := ms.match(s, pi)
		if e != -1 {
			n++
			b.write(src[copied:s])
			v.addValue(ms, &b, s, e, repl)
			copied = max(e, s)
		}
		if e != -1 && e > s {
			s = e
		} else if s < len(src) {
			s++
		} else {
			break
		}
		if anchor {
			break
		}
	}
	ms.flush()
	if n == 0 {
		L.Push(lua.LString(src))
	} else {
		b.write(src[copied:])
		L.Push(lua.LString(b.string()))
	}
	L.Push(lua.LNumber(n))
	return 2
}

// addValue appends the replacement of the match from s to e.
func (v *vm) addValue(ms *matchState, b *strBuilder, s, e int, repl lua.LValue) {
	L := ms.L
	var val lua.LValue
	switch r := repl.(type) {
	case lua.LString:
		addString(ms, b, s, e, string(r))
		return
	case lua.LNumber:
		addString(ms, b, s, e, lua.LVAsString(r))
		return
	case *lua.LFunction:
		L.Push(r)
		n := ms.pushCaptures(s, e, true)
		L.Call(n, 1)
		val = L.Get(-1)
		L.Pop(1)
	case *lua.LTable:
		val = L.GetTable(r, ms.captureValue(0, s, e))
	}
	switch x := val.(type) {
	case lua.LString:
		b.write(string(x))
	case lua.LNumber:
		b.write(lua.LVAsString(x))
	default:
		if lua.LVAsBool(val) {
			L.RaiseError("invalid replacement value (a %s)", val.Type())
		}
		b.write(ms.src[s:e]) // nil or false: keep the original text
	}
}

// addString appends a replacement string, with %0-%9 for the captures.
func addString(ms *matchState, b *strBuilder, s, e int, news string) {
	if strings.IndexByte(news, '%') < 0 {
		b.write(news)
		return
	}
	for i := 0; i < len(news); i++ {
		c := news[i]
		if c != '%' || i+1 == len(news) {
			b.writeByte(c)
			continue
		}
		i++
		switch c = news[i]; {
		case c == '0':
			b.write(ms.src[s:e])
		case c >= '1' && c <= '9':
			b.write(lua.LVAsString(ms.captureValue(int(c-'1'), s, e)))
		default:
			b.writeByte(c) // %% is %, as in Lua 5.1
		}
	}
}

// strRep is string.rep(s, n), refused before it allocates when the result
// would be too big.
func (v *vm) strRep(L *lua.LState) int {
	s := L.CheckString(1)
	n := math.Trunc(float64(L.CheckNumber(2)))
	if !(n >= 1) || s == "" {
		L.Push(lua.LString(""))
		return 1
	}
	size := n * float64(len(s))
	if size > maxStringBytes {
		v.cc.tooLong(L, "string.rep", "would")
	}
	v.cc.allocString(L, int64(size), "string.rep")
	v.cc.work(L, int64(size)/64)
	L.Push(lua.LString(strings.Repeat(s, int(n))))
	return 1
}

// caseMap is string.upper and string.lower: ASCII as in C, other letters
// of UTF-8 text as gopher-lua maps them (Unicode), and bytes that are not
// UTF-8 left as they are. The size is known before the result is built.
func (v *vm) caseMap(L *lua.LState, what string, mapRune func(rune) rune) int {
	s := L.CheckString(1)
	v.cc.work(L, int64(len(s))/16)
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			n++
		} else {
			n += utf8.RuneLen(mapRune(r))
		}
		i += w
	}
	v.cc.allocString(L, int64(n), what)
	out := make([]byte, 0, n)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			out = append(out, byte(mapRune(rune(c))))
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			out = append(out, c)
		} else {
			out = utf8.AppendRune(out, mapRune(r))
		}
		i += w
	}
	L.Push(lua.LString(unsafe.String(unsafe.SliceData(out), len(out))))
	return 1
}

func (v *vm) strReverse(L *lua.LState) int {
	s := L.CheckString(1)
	v.cc.allocString(L, int64(len(s)), "string.reverse")
	v.cc.work(L, int64(len(s))/64)
	out := make([]byte, len(s))
	for i := range len(s) {
		out[len(s)-1-i] = s[i]
	}
	L.Push(lua.LString(unsafe.String(unsafe.SliceData(out), len(out))))
	return 1
}

// strChar is string.char(...): one byte per argument.
func (v *vm) strChar(orig lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		v.cc.allocString(L, int64(L.GetTop()), "string.char")
		v.cc.work(L, int64(L.GetTop())/8)
		return orig(L)
	}
}

// strByte is string.byte(s, i, j): one value per byte, on the value stack
// (which is bounded); the work is counted.
func (v *vm) strByte(orig lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		n := orig(L)
		v.cc.work(L, int64(n)/8)
		return n
	}
}

// strFormat is string.format. gopher-lua formats with Go's fmt; this
// wrapper accepts only what Lua's directives look like (flags, a width and
// a precision of at most two digits, no '*' or '[n]'), gives fmt the
// string form of values other than strings and numbers (fmt would print a
// table's insides), and refuses a result that could pass the limits before
// formatting it.
func (v *vm) strFormat(orig lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		f := L.CheckString(1)
		top := L.GetTop()
		for i := 2; i <= top; i++ {
			switch a := L.Get(i).(type) {
			case lua.LString, lua.LNumber:
			default:
				L.Replace(i, lua.LString(a.String()))
			}
		}
		size := int64(len(f))
		arg := 2
		for i := 0; i < len(f); i++ {
			if f[i] != '%' {
				continue
			}
			i++
			var flags string
			start := i
			for i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0 {
				i++
			}
			flags = f[start:i]
			width, digits := 0, 0
			for i < len(f) && f[i] >= '0' && f[i] <= '9' {
				width = width*10 + int(f[i]-'0')
				i++
				digits++
			}
			if i < len(f) && f[i] == '.' {
				i++
				prec := 0
				for i < len(f) && f[i] >= '0' && f[i] <= '9' {
					i++
					prec++
				}
				digits = max(digits, prec)
			}
			if digits > 2 {
				L.RaiseError("invalid format (width or precision too long)")
			}
			if i == len(f) {
				break
			}
			verb := f[i]
			if verb == '*' || verb == '[' {
				L.RaiseError("invalid format ('%%%c' is not a Lua format)", verb)
			}
			if verb == '%' {
				continue
			}
			size += int64(width) + formatSize(verb, flags, L.Get(arg))
			arg++
		}
		for ; arg <= top; arg++ { // gopher-lua may print unused arguments too
			size += formatSize('v', "", L.Get(arg))
		}
		if size > maxStringBytes {
			v.cc.tooLong(L, "string.format", "could")
		}
		if v.cc.used()+size > v.cc.allocMax {
			v.cc.alloc(L, size) // stops the call
		}
		v.cc.work(L, size/64)
		n := orig(L)
		if s, ok := L.Get(-1).(lua.LString); ok {
			v.cc.alloc(L, 3*int64(len(s))) // fmt's buffer as it grew, and the string
		}
		return n
	}
}

// formatSize bounds what fmt prints for one directive.
func formatSize(verb byte, flags string, a lua.LValue) int64 {
	s, ok := a.(lua.LString)
	if !ok {
		return 512 // a number: %.99f of 1e308 is about 410 bytes
	}
	n := int64(len(s))
	switch verb {
	case 'q':
		return 4*n + 2
	case 'x', 'X':
		if strings.ContainsAny(flags, " #") {
			return 5*n + 2
		}
		return 2 * n
	}
	return n + 64 // fmt may wrap it: %!d(string=...)
}

// luaConcat is the .. operator (the compiler turns `a .. b .. c` into a
// call of it, see rewrite.go): Lua 5.1's concatenation, right to left,
// joining runs of strings and numbers at once and calling __concat
// otherwise, with the size counted before the string is built.
func (v *vm) luaConcat(L *lua.LState) int {
	top := L.GetTop()
	if top == 2 { // the usual case
		if a, ok := L.Get(1).(lua.LString); ok {
			if b, ok := L.Get(2).(lua.LString); ok {
				v.cc.allocString(L, int64(len(a))+int64(len(b)), "..")
				L.Push(a + b)
				return 1
			}
		}
	}
	acc, accIdx := L.Get(top), top // accIdx: the operand acc is, 0 once computed
	for i := top - 1; i >= 1; {
		lhs := L.Get(i)
		if !isStringy(lhs) || !isStringy(acc) {
			culprit := i
			if isStringy(lhs) {
				culprit = accIdx
			}
			acc, accIdx = v.concatMeta(L, lhs, acc, culprit, top), 0
			i--
			continue
		}
		j := i // the run of strings and numbers ends at j; it starts at i
		for i > 1 && isStringy(L.Get(i-1)) {
			i--
		}
		acc, accIdx = v.joinRun(L, i, j, acc), 0
		i--
	}
	L.Push(acc)
	return 1
}

func isStringy(v lua.LValue) bool {
	switch v.(type) {
	case lua.LString, lua.LNumber:
		return true
	}
	return false
}

// joinRun joins the values from index i to j and then acc.
func (v *vm) joinRun(L *lua.LState, i, j int, acc lua.LValue) lua.LValue {
	var buf [8]string
	parts := buf[:0]
	n := 0
	for k := i; k <= j; k++ {
		s := lua.LVAsString(L.Get(k))
		parts = append(parts, s)
		n += len(s)
	}
	tail := lua.LVAsString(acc)
	parts = append(parts, tail)
	n += len(tail)
	v.cc.allocString(L, int64(n), "..")
	if n >= 4096 {
		v.cc.work(L, int64(n)/64)
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range parts {
		b.WriteString(s)
	}
	return lua.LString(b.String())
}

// concatMeta concatenates through a __concat metamethod. culprit is the
// operand (of n) that is not a string or number, 0 when it is a computed
// value, for the error.
func (v *vm) concatMeta(L *lua.LState, lhs, rhs lua.LValue, culprit, n int) lua.LValue {
	mm := L.GetMetaField(lhs, "__concat")
	if mm == lua.LNil {
		mm = L.GetMetaField(rhs, "__concat")
	}
	if _, ok := mm.(*lua.LFunction); !ok {
		bad := lhs
		if isStringy(lhs) {
			bad = rhs
		}
		if culprit == 0 {
			L.RaiseError("attempt to concatenate a %s value", bad.Type())
		}
		L.RaiseError("attempt to concatenate a %s value (operand %d of %d)", bad.Type(), culprit, n)
	}
	L.Push(mm)
	L.Push(lhs)
	L.Push(rhs)
	L.Call(2, 1)
	ret := L.Get(-1)
	L.Pop(1)
	return ret
}
