package plugins

import (
	lua "github.com/yuin/gopher-lua"
)

// Lua 5.1 patterns, ported from the reference implementation (lstrlib.c)
// so that a match counts its work: gopher-lua's matcher runs in Go without
// a look at the clock, and a pattern such as "(.-)(.-)(.-)(.-)x" over a
// long subject backtracks for minutes. Here every step of a match is
// counted against the call's instruction budget and its deadline, and
// nesting is bounded as in Lua 5.2 (200 levels).

const (
	maxCaptures     = 32  // LUA_MAXCAPTURES
	maxPatternDepth = 200 // MAXCCALLS of Lua 5.2's matcher
	capUnfinished   = -1
	capPosition     = -2

	// patternStepsPerInstruction: one step of the matcher (a character
	// compared, a backtrack) costs less than a VM instruction.
	patternStepsPerInstruction = 4
	patternReportEvery         = 4096 // steps between reports to the accountant
)

// matchState is one match of a pattern against a subject.
type matchState struct {
	L       *lua.LState
	cc      *callCtx
	src     string
	pat     string
	level   int // captures open or closed so far
	depth   int // nested calls of match
	steps   int64
	capture [maxCaptures]struct{ init, len int }
}

func newMatchState(L *lua.LState, cc *callCtx, src, pat string) *matchState {
	return &matchState{L: L, cc: cc, src: src, pat: pat}
}

// tick counts n steps; the accountant hears of them in batches.
func (ms *matchState) tick(n int) {
	ms.steps += int64(n)
	if ms.steps >= patternReportEvery {
		ms.flush()
	}
}

// flush reports the steps counted so far.
func (ms *matchState) flush() {
	if ms.steps >= patternStepsPerInstruction {
		n := ms.steps / patternStepsPerInstruction
		ms.steps -= n * patternStepsPerInstruction
		ms.cc.work(ms.L, n)
	}
}

func (ms *matchState) fail(msg string) {
	ms.L.RaiseError("%s", msg)
}

// match returns where a match of the pattern from p on ends when it starts
// at s, or -1.
func (ms *matchState) match(s, p int) int {
	ms.depth++
	if ms.depth > maxPatternDepth {
		ms.fail("pattern too complex")
	}
	r := ms.doMatch(s, p)
	ms.depth--
	return r
}

func (ms *matchState) doMatch(s, p int) int {
	src, pat := ms.src, ms.pat
	for {
		ms.tick(1)
		if p == len(pat) {
			return s
		}
		switch pat[p] {
		case '(':
			if p+1 < len(pat) && pat[p+1] == ')' {
				return ms.startCapture(s, p+2, capPosition)
			}
			return ms.startCapture(s, p+1, capUnfinished)
		case ')':
			return ms.endCapture(s, p+1)
		case '$':
			if p+1 == len(pat) {
				if s == len(src) {
					return s
				}
				return -1
			}
		case '%':
			if p+1 < len(pat) {
				switch c := pat[p+1]; {
				case c == 'b':
					if s = ms.matchBalance(s, p+2); s == -1 {
						return -1
					}
					p += 4
					continue
				case c == 'f':
					p += 2
					if p >= len(pat) || pat[p] != '[' {
						ms.fail("missing '[' after '%f' in pattern")
					}
					ep := ms.classEnd(p)
					var prev, cur byte
					if s > 0 {
						prev = src[s-1]
					}
					if s < len(src) {
						cur = src[s]
					}
					if ms.matchBracketClass(prev, p, ep-1) || !ms.matchBracketClass(cur, p, ep-1) {
						return -1
					}
					p = ep
					continue
				case c >= '0' && c <= '9':
					if s = ms.matchCapture(s, c); s == -1 {
						return -1
					}
					p += 2
					continue
				}
			}
		}
		// A single-character class, possibly followed by a repetition.
		ep := ms.classEnd(p)
		m := s < len(src) && ms.singleMatch(src[s], p, ep)
		if ep < len(pat) {
			switch pat[ep] {
			case '?':
				if m {
					if r := ms.match(s+1, ep+1); r != -1 {
						return r
					}
				}
				p = ep + 1
				continue
			case '*':
				return ms.maxExpand(s, p, ep)
			case '+':
				if !m {
					return -1
				}
				return ms.maxExpand(s+1, p, ep)
			case '-':
				return ms.minExpand(s, p, ep)
			}
		}
		if !m {
			return -1
		}
		s++
		p = ep
	}
}

// classEnd returns the end of the single-character class at p.
func (ms *matchState) classEnd(p int) int {
	pat := ms.pat
	c := pat[p]
	p++
	switch c {
	case '%':
		if p >= len(pat) {
			ms.fail("malformed pattern (ends with '%')")
		}
		return p + 1
	case '[':
		if p < len(pat) && pat[p] == '^' {
			p++
		}
		for { // look for a ']'; the first character is never the end
			if p >= len(pat) {
				ms.fail("malformed pattern (missing ']')")
			}
			c := pat[p]
			p++
			if c == '%' && p < len(pat) {
				p++ // skip escapes such as %]
			}
			if p < len(pat) && pat[p] == ']' {
				return p + 1
			}
		}
	}
	return p
}

func (ms *matchState) singleMatch(c byte, p, ep int) bool {
	switch ms.pat[p] {
	case '.':
		return true
	case '%':
		return matchClass(c, ms.pat[p+1])
	case '[':
		return ms.matchBracketClass(c, p, ep-1)
	}
	return ms.pat[p] == c
}

// matchBracketClass matches c against the set [...] from p to its closing
// bracket at ec.
func (ms *matchState) matchBracketClass(c byte, p, ec int) bool {
	pat := ms.pat
	sig := true
	if pat[p+1] == '^' {
		sig = false
		p++
	}
	for p++; p < ec; p++ {
		switch {
		case pat[p] == '%':
			p++
			if matchClass(c, pat[p]) {
				return sig
			}
		case pat[p+1] == '-' && p+2 < ec:
			p += 2
			if pat[p-2] <= c && c <= pat[p] {
				return sig
			}
		case pat[p] == c:
			return sig
		}
	}
	return !sig
}

// matchClass matches c against a class letter (%a, %d...) as C's ctype
// functions do in the C locale; an upper-case letter is the complement.
func matchClass(c, cl byte) bool {
	var res bool
	switch cl | 0x20 {
	case 'a':
		res = isAlpha(c)
	case 'c':
		res = c < 32 || c == 127
	case 'd':
		res = c >= '0' && c <= '9'
	case 'l':
		res = c >= 'a' && c <= 'z'
	case 'p':
		res = c > 32 && c < 127 && !isAlpha(c) && !(c >= '0' && c <= '9')
	case 's':
		res = c == ' ' || (c >= '\t' && c <= '\r')
	case 'u':
		res = c >= 'A' && c <= 'Z'
	case 'w':
		res = isAlpha(c) || (c >= '0' && c <= '9')
	case 'x':
		res = (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'f')
	case 'z':
		res = c == 0
	default:
		return cl == c
	}
	if cl >= 'A' && cl <= 'Z' {
		return !res
	}
	return res
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// matchBalance matches %bxy at s.
func (ms *matchState) matchBalance(s, p int) int {
	src, pat := ms.src, ms.pat
	if p+1 >= len(pat) {
		ms.fail("unbalanced pattern")
	}
	if s >= len(src) || src[s] != pat[p] {
		return -1
	}
	b, e := pat[p], pat[p+1]
	cont := 1
	start := s
	for s++; s < len(src); s++ {
		if src[s] == e {
			if cont--; cont == 0 {
				ms.tick(s - start)
				return s + 1
			}
		} else if src[s] == b {
			cont++
		}
	}
	ms.tick(s - start)
	return -1
}

// maxExpand matches as many repetitions as it can, then backs off.
func (ms *matchState) maxExpand(s, p, ep int) int {
	i := 0
	for s+i < len(ms.src) && ms.singleMatch(ms.src[s+i], p, ep) {
		i++
	}
	ms.tick(i)
	for ; i >= 0; i-- {
		if r := ms.match(s+i, ep+1); r != -1 {
			return r
		}
	}
	return -1
}

// minExpand matches as few repetitions as it can, then adds more.
func (ms *matchState) minExpand(s, p, ep int) int {
	for {
		if r := ms.match(s, ep+1); r != -1 {
			return r
		}
		if s < len(ms.src) && ms.singleMatch(ms.src[s], p, ep) {
			s++
		} else {
			return -1
		}
	}
}

func (ms *matchState) startCapture(s, p, what int) int {
	if ms.level >= maxCaptures {
		ms.fail("too many captures")
	}
	ms.capture[ms.level].init = s
	ms.capture[ms.level].len = what
	ms.level++
	r := ms.match(s, p)
	if r == -1 {
		ms.level--
	}
	return r
}

func (ms *matchState) endCapture(s, p int) int {
	l := -1
	for i := ms.level - 1; i >= 0; i-- {
		if ms.capture[i].len == capUnfinished {
			l = i
			break
		}
	}
	if l < 0 {
		ms.fail("invalid pattern capture")
	}
	ms.capture[l].len = s - ms.capture[l].init
	r := ms.match(s, p)
	if r == -1 {
		ms.capture[l].len = capUnfinished
	}
	return r
}

// matchCapture matches a back reference %1-%9 at s.
func (ms *matchState) matchCapture(s int, c byte) int {
	l := int(c) - '1'
	if l < 0 || l >= ms.level || ms.capture[l].len == capUnfinished {
		ms.fail("invalid capture index")
	}
	n, init := ms.capture[l].len, ms.capture[l].init
	ms.tick(max(n, 0))
	if n >= 0 && len(ms.src)-s >= n && ms.src[s:s+n] == ms.src[init:init+n] {
		return s + n
	}
	return -1
}

// captureValue is capture i of a match from s to e: the whole match when
// the pattern has no captures.
func (ms *matchState) captureValue(i, s, e int) lua.LValue {
	if i >= ms.level {
		if i != 0 {
			ms.fail("invalid capture index")
		}
		return lua.LString(ms.src[s:e])
	}
	c := ms.capture[i]
	switch c.len {
	case capUnfinished:
		ms.fail("unfinished capture")
	case capPosition:
		return lua.LNumber(c.init + 1)
	}
	return lua.LString(ms.src[c.init : c.init+c.len])
}

// pushCaptures pushes the captures of a match from s to e (the whole
// match when there are none and whole is set) and returns how many.
func (ms *matchState) pushCaptures(s, e int, whole bool) int {
	n := ms.level
	if n == 0 && whole {
		n = 1
	}
	for i := 0; i < n; i++ {
		ms.L.Push(ms.captureValue(i, s, e))
	}
	return n
}

// find looks for the pattern in the subject from init on (anchored when
// the pattern starts with ^) and returns the start and end of the first
// match, or -1.
func (ms *matchState) find(init int, anchor bool) (int, int) {
	p := 0
	if anchor {
		p = 1
	}
	for s := init; s <= len(ms.src); s++ {
		ms.level = 0
		if e := ms.match(s, p); e != -1 {
			return s, e
		}
		if anchor {
			break
		}
	}
	return -1, -1
}

// hasSpecials reports whether a pattern needs the matcher (string.find
// searches plainly otherwise).
func hasSpecials(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '^', '$', '*', '+', '?', '.', '(', '[', '%', '-': // SPECIALS of lstrlib.c
			return true
		}
	}
	return false
}
