package flows

import "strings"

// condPath is a variable path a `when` expression reads, with the byte
// offset where it starts in the expression.
type condPath struct {
	path string
	at   int
}

// luaKeywords are Lua's reserved words: never variables.
func luaKeywords() []string {
	return []string{"and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
		"in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"}
}

// conditionGlobals are the library names a condition may call besides the
// variables (the plugin host's condition sandbox: base functions, string,
// table, math, round): not paths to check.
func conditionGlobals() []string {
	return []string{"string", "table", "math", "tonumber", "tostring", "type", "pairs", "ipairs", "next",
		"select", "unpack", "round", "log", "print", "assert", "error", "pcall", "xpcall", "rawget",
		"rawequal", "getmetatable", "setmetatable", "_VERSION", "_G"}
}

// conditionPaths lists the dotted variable paths a Lua expression reads:
// names and a.b.c chains outside strings and comments, except keywords,
// library names, fields after a call or an index (f(x).y, s:upper()) and
// keys of table constructors ({a = 1}). An expression that defines a
// function has parameters this simple scan cannot tell from variables, so
// it gives no paths.
func conditionPaths(expr string) []condPath {
	var out []condPath
	prev := byte(0) // the last significant character before the current token
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '-' && strings.HasPrefix(expr[i:], "--"):
			i = skipLuaComment(expr, i+2)
			continue
		case c == '\'' || c == '"':
			i = skipLuaString(expr, i)
			prev = 's'
			continue
		case c == '[' && longBracket(expr, i) >= 0:
			i = skipLongBracket(expr, i, longBracket(expr, i))
			prev = 's'
			continue
		case isDigit(c) || c == '.' && i+1 < len(expr) && isDigit(expr[i+1]):
			i = skipLuaNumber(expr, i)
			prev = 'n'
			continue
		case c == '.' && strings.HasPrefix(expr[i:], ".."):
			i += 2
			for i < len(expr) && expr[i] == '.' {
				i++
			}
			prev = 'o' // concatenation or varargs: an operator
			continue
		case isIdentStart(c):
			start := i
			path, end := readLuaChain(expr, i)
			i = end
			root, _, _ := strings.Cut(path, ".")
			if root == "function" {
				return nil
			}
			field := prev == '.' || prev == ':'
			prev = 'i'
			if field || contains(luaKeywords(), root) || contains(conditionGlobals(), root) {
				continue
			}
			if k := skipSpace(expr, end); k < len(expr) && expr[k] == '=' && !strings.HasPrefix(expr[k:], "==") {
				continue // a table constructor's key
			}
			out = append(out, condPath{path: path, at: start})
			continue
		}
		prev = c
		i++
	}
	return out
}

// readLuaChain reads name(.name)* from i, allowing spaces around the dots,
// and returns the chain without spaces and where it ends.
func readLuaChain(s string, i int) (string, int) {
	start, end, spaced := i, i, false
	for {
		j := i
		for j < len(s) && isIdentByte(s[j]) {
			j++
		}
		end = j
		k := skipSpace(s, j)
		if k >= len(s) || s[k] != '.' || strings.HasPrefix(s[k:], "..") {
			break
		}
		n := skipSpace(s, k+1)
		if n >= len(s) || !isIdentStart(s[n]) {
			break
		}
		spaced = spaced || k > j || n > k+1
		i = n
	}
	if !spaced {
		return s[start:end], end // the common case: no copy
	}
	var b strings.Builder
	for _, r := range s[start:end] {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			b.WriteRune(r)
		}
	}
	return b.String(), end
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// skipLuaString skips a quoted string starting at i.
func skipLuaString(s string, i int) int {
	q := s[i]
	for i++; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case q, '\n':
			return i + 1
		}
	}
	return len(s)
}

// longBracket returns the level of a long bracket [[ or [==[ at i, or -1.
func longBracket(s string, i int) int {
	j := i + 1
	for j < len(s) && s[j] == '=' {
		j++
	}
	if j < len(s) && s[j] == '[' {
		return j - i - 1
	}
	return -1
}

// skipLongBracket skips a long string or comment [==[ ... ]==] at i.
func skipLongBracket(s string, i, level int) int {
	closing := "]" + strings.Repeat("=", level) + "]"
	body := i + level + 2
	if k := strings.Index(s[body:], closing); k >= 0 {
		return body + k + len(closing)
	}
	return len(s)
}

// skipLuaComment skips a comment whose text starts at i (after --).
func skipLuaComment(s string, i int) int {
	if i < len(s) && s[i] == '[' {
		if level := longBracket(s, i); level >= 0 {
			return skipLongBracket(s, i, level)
		}
	}
	if k := strings.IndexByte(s[i:], '\n'); k >= 0 {
		return i + k + 1
	}
	return len(s)
}

// skipLuaNumber skips a number: decimal or hex, with a fraction and an
// exponent (e+5, p-3).
func skipLuaNumber(s string, i int) int {
	hex := strings.HasPrefix(s[i:], "0x") || strings.HasPrefix(s[i:], "0X")
	if hex {
		i += 2
	}
	for i < len(s) {
		c := s[i]
		switch {
		case isDigit(c) || c == '.' && !strings.HasPrefix(s[i:], ".."):
		case hex && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'):
		case !hex && (c == 'e' || c == 'E') || hex && (c == 'p' || c == 'P'):
			if i+1 < len(s) && (s[i+1] == '+' || s[i+1] == '-') {
				i++
			}
		default:
			return i
		}
		i++
	}
	return i
}
