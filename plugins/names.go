package plugins

import (
	"strconv"
	"strings"

	"github.com/yuin/gopher-lua/ast"
)

// gopher-lua's runtime errors name no variable ("attempt to index a
// non-table object(nil) with key 'area_m2'"). The compiler pass remembers
// what the expressions on each line are called, and an error at a line is
// reworded when one expression there fits it:
// "ctx.project.estimate is nil (indexed with "area_m2")".

// nameIndex is what the expressions of one chunk are called, by line.
type nameIndex struct {
	indexes map[int][]indexSite   // objects indexed on a line
	calls   map[int][]string      // functions called on a line
	ops     map[int][]operandSite // arithmetic and concatenation on a line
}

// indexSite is obj[key] in the source.
type indexSite struct {
	object string // "ctx.project.estimate"
	key    string // the constant key ("area_m2", "3"), or "" when computed
}

// operandSite is an operator and the names of its operands ("" where an
// operand has none).
type operandSite struct {
	op       string // "add", "concat"...
	operands []string
}

const maxNameLen = 60

// exprName renders an expression that names a value: a variable, a field
// path (ctx.project.estimate, items[1], rates[material]) or a call of one.
func exprName(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.IdentExpr:
		if strings.HasPrefix(e.Value, "\x00") {
			return "", false
		}
		return e.Value, true
	case *ast.AttrGetExpr:
		obj, ok := exprName(e.Object)
		if !ok {
			return "", false
		}
		var s string
		switch k := e.Key.(type) {
		case *ast.StringExpr:
			if isIdent(k.Value) {
				s = obj + "." + k.Value
			} else {
				s = obj + "[" + strconv.Quote(k.Value) + "]"
			}
		case *ast.NumberExpr:
			s = obj + "[" + k.Value + "]"
		default:
			kn, ok := exprName(k)
			if !ok {
				kn = "..."
			}
			s = obj + "[" + kn + "]"
		}
		return s, len(s) <= maxNameLen
	case *ast.FuncCallExpr:
		var fn string
		if e.Func != nil {
			n, ok := exprName(e.Func)
			if !ok {
				return "", false
			}
			fn = n
		} else {
			n, ok := exprName(e.Receiver)
			if !ok {
				return "", false
			}
			fn = n + ":" + e.Method
		}
		if len(e.Args) > 0 {
			return fn + "(...)", true
		}
		return fn + "()", true
	}
	return "", false
}

// constKey renders a constant key as gopher-lua prints it in errors.
func constKey(k ast.Expr) string {
	switch k := k.(type) {
	case *ast.StringExpr:
		return k.Value
	case *ast.NumberExpr:
		if f, err := strconv.ParseFloat(k.Value, 64); err == nil {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
	}
	return ""
}

func (n *nameIndex) index(e *ast.AttrGetExpr, line int) {
	obj, ok := exprName(e.Object)
	if !ok {
		return
	}
	if n.indexes == nil {
		n.indexes = map[int][]indexSite{}
	}
	n.indexes[line] = append(n.indexes[line], indexSite{object: obj, key: constKey(e.Key)})
}

// method remembers obj:m(...): indexing obj with "m".
func (n *nameIndex) method(e *ast.FuncCallExpr) {
	obj, ok := exprName(e.Receiver)
	if !ok {
		return
	}
	if n.indexes == nil {
		n.indexes = map[int][]indexSite{}
	}
	n.indexes[e.Line()] = append(n.indexes[e.Line()], indexSite{object: obj, key: e.Method})
}

func (n *nameIndex) call(e *ast.FuncCallExpr) {
	var name string
	if e.Func != nil {
		name, _ = exprName(e.Func)
	} else if r, ok := exprName(e.Receiver); ok {
		name = r + ":" + e.Method
	}
	if n.calls == nil {
		n.calls = map[int][]string{}
	}
	n.calls[e.Line()] = append(n.calls[e.Line()], name)
}

var arithNames = map[string]string{"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod", "^": "pow"}

func (n *nameIndex) arith(e *ast.ArithmeticOpExpr) {
	l, _ := exprName(e.Lhs)
	r, _ := exprName(e.Rhs)
	n.operator(e.Line(), arithNames[e.Operator], []string{l, r})
}

func (n *nameIndex) concat(e *ast.StringConcatOpExpr, ops []ast.Expr) {
	names := make([]string, len(ops))
	for i, op := range ops {
		names[i], _ = exprName(op)
	}
	n.operator(e.Line(), "concat", names)
}

func (n *nameIndex) operator(line int, op string, operands []string) {
	if n.ops == nil {
		n.ops = map[int][]operandSite{}
	}
	n.ops[line] = append(n.ops[line], operandSite{op: op, operands: operands})
}

// explain rewords a gopher-lua runtime error raised at line, when the
// line holds one expression the error can be about; else it returns msg.
func (n *nameIndex) explain(line int, msg string) string {
	if n == nil || line <= 0 {
		return msg
	}
	if s, ok := n.explainIndex(line, msg); ok {
		return s
	}
	if s, ok := n.explainCall(line, msg); ok {
		return s
	}
	if s, ok := n.explainOperator(line, msg); ok {
		return s
	}
	return msg
}

// explainIndex: attempt to index a non-table object(nil) with key 'x'.
func (n *nameIndex) explainIndex(line int, msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "attempt to index a non-table object(")
	if !ok {
		return "", false
	}
	typ, rest, ok := strings.Cut(rest, ") with key '")
	if !ok || !strings.HasSuffix(rest, "'") {
		return "", false
	}
	key := strings.TrimSuffix(rest, "'")
	var found []string
	for _, s := range n.indexes[line] {
		if (s.key == key || s.key == "") && !contains(found, s.object) {
			found = append(found, s.object)
		}
	}
	if len(found) != 1 {
		return "", false
	}
	what := "is nil"
	if typ != "nil" {
		what = "is a " + typ + ", not a table"
	}
	return found[0] + " " + what + " (indexed with " + strconv.Quote(key) + ")", true
}

// explainCall: attempt to call a non-function object.
func (n *nameIndex) explainCall(line int, msg string) (string, bool) {
	if msg != "attempt to call a non-function object" {
		return "", false
	}
	calls := n.calls[line]
	if len(calls) != 1 || calls[0] == "" {
		return "", false
	}
	return "attempt to call " + calls[0] + ", which is not a function", true
}

// explainOperator: "cannot perform add operation between number and nil"
// (gopher-lua) or "attempt to concatenate a nil value (operand 2 of 3)"
// (the sandbox's ..), when one operator of that kind is on the line.
func (n *nameIndex) explainOperator(line int, msg string) (string, bool) {
	op, culprit, count, typ, ok := parseOperatorError(msg)
	if !ok {
		return "", false
	}
	var site *operandSite
	for i, s := range n.ops[line] {
		if s.op == op && len(s.operands) == count {
			if site != nil {
				return "", false // two on the line: which one?
			}
			site = &n.ops[line][i]
		}
	}
	if site == nil || site.operands[culprit] == "" {
		return "", false
	}
	verb := map[string]string{"add": "add", "sub": "subtract", "mul": "multiply", "div": "divide",
		"mod": "take the remainder of", "pow": "raise", "concat": "concatenate"}[op]
	if verb == "" {
		return "", false
	}
	return "cannot " + verb + " " + site.operands[culprit] + " (a " + typ + " value)", true
}

// parseOperatorError reads an operator error: the operator, the index of
// the operand at fault, the number of operands and the culprit's type.
func parseOperatorError(msg string) (op string, culprit, count int, typ string, ok bool) {
	if rest, found := strings.CutPrefix(msg, "attempt to concatenate a "); found {
		typ, rest, found = strings.Cut(rest, " value (operand ")
		if !found {
			return "", 0, 0, "", false
		}
		a, b, found := strings.Cut(strings.TrimSuffix(rest, ")"), " of ")
		i, err1 := strconv.Atoi(a)
		n, err2 := strconv.Atoi(b)
		if !found || err1 != nil || err2 != nil || i < 1 || i > n {
			return "", 0, 0, "", false
		}
		return "concat", i - 1, n, typ, true
	}
	rest, found := strings.CutPrefix(msg, "cannot perform ")
	if !found {
		return "", 0, 0, "", false
	}
	op, rest, found = strings.Cut(rest, " operation between ")
	if !found {
		return "", 0, 0, "", false
	}
	lt, rt, found := strings.Cut(rest, " and ")
	if !found {
		return "", 0, 0, "", false
	}
	if lt != "number" {
		return op, 0, 2, lt, true
	}
	return op, 1, 2, rt, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
