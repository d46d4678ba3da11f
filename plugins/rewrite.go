package plugins

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// Before it is compiled, the syntax tree of a plugin or condition is
// changed where a single Lua operation could allocate without bound, or
// where the host must count what Lua allocates, since gopher-lua offers
// no hook there:
//
//   - a .. b .. c becomes a call of the sandbox's concatenation, which
//     counts the result against the call's budget before building it (the
//     VM's OP_CONCAT cannot be watched, and s = s .. s doubles a string
//     each time);
//   - t[k] = v, for a key that is not a constant string or small number,
//     passes k through a guard first: gopher-lua fills an array with nil up
//     to an integer key, so t[1e7] = 1 would allocate 160 MB in one
//     instruction; the guard counts those slots and new keys (and so does
//     {[k] = v});
//   - {...} and {f()} pass the values through a guard that counts them;
//   - tables and closures are counted by a meter, a local number the
//     host reads at its checks: each function body and loop body starts by
//     adding what its constructors make (meter.go);
//   - functions no longer build Lua 5.0's `arg` table of their varargs.
//
// The helpers and the meter are locals of the chunk named with a NUL
// byte, which no Lua identifier can spell. The pass also remembers what
// the expressions on each line are called, so that errors can name them
// (nameIndex).

// Names of the chunk's helper locals; the first four are its arguments.
const (
	concatHelper = "\x00concat"
	keyHelper    = "\x00key"
	manyHelper   = "\x00many"
	meterHelper  = "\x00meter" // registers the meter with the host
	meterName    = "\x00n"     // the meter: bytes of tables and closures made
)

// smallKey is the largest constant integer key assigned without a guard:
// it can grow a table's array by little.
const smallKey = 64

// program is a compiled plugin file or condition.
type program struct {
	proto   *lua.FunctionProto
	helpers bool       // the chunk takes the helpers as its arguments
	names   *nameIndex // what the expressions of each line are called
}

// compileProgram rewrites a parsed chunk and compiles it.
func compileProgram(chunk []ast.Stmt, name string) (*program, error) {
	r := &rewriter{names: &nameIndex{}}
	chunk = r.function(chunk)
	if r.used {
		chunk = append(prologue(chunk), chunk...)
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, err
	}
	dropArgTables(proto)
	return &program{proto: proto, helpers: r.used, names: r.names}, nil
}

// prologue declares the helpers and the meter, and hands the host a
// closure over the meter so that it can read it:
//
//	local concat, key, many, meter = ...
//	local n = 0
//	meter(function() return n end)
func prologue(chunk []ast.Stmt) []ast.Stmt {
	line := 1
	if len(chunk) > 0 {
		line = chunk[0].Line()
	}
	at := func(n ast.PositionHolder) { n.SetLine(line); n.SetLastLine(line) }
	helpers := &ast.LocalAssignStmt{Names: []string{concatHelper, keyHelper, manyHelper, meterHelper}, Exprs: []ast.Expr{&ast.Comma3Expr{}}}
	zero := &ast.NumberExpr{Value: "0"}
	meter := &ast.LocalAssignStmt{Names: []string{meterName}, Exprs: []ast.Expr{zero}}
	probe := &ast.FunctionExpr{ParList: &ast.ParList{}, Stmts: []ast.Stmt{&ast.ReturnStmt{Exprs: []ast.Expr{&ast.IdentExpr{Value: meterName}}}}}
	register := &ast.FuncCallStmt{Expr: &ast.FuncCallExpr{Func: &ast.IdentExpr{Value: meterHelper}, Args: []ast.Expr{probe}}}
	for _, n := range []ast.PositionHolder{helpers, zero, meter, probe, register, register.Expr} {
		at(n)
	}
	for _, n := range []ast.PositionHolder{probe.Stmts[0], probe.Stmts[0].(*ast.ReturnStmt).Exprs[0], register.Expr.(*ast.FuncCallExpr).Func} {
		at(n)
	}
	return []ast.Stmt{helpers, meter, register}
}

// dropArgTables stops vararg functions from building Lua 5.0's `arg`
// table of their arguments on every call, an allocation the sandbox could
// not count (a function declared with ... but not using it would copy
// thousands of values per call). `arg` is nil in plugins.
func dropArgTables(p *lua.FunctionProto) {
	p.IsVarArg &^= lua.VarArgNeedsArg
	for _, c := range p.FunctionPrototypes {
		dropArgTables(c)
	}
}

type rewriter struct {
	used  bool
	tmp   int
	names *nameIndex
}

func (r *rewriter) block(stmts []ast.Stmt) []ast.Stmt {
	for i, s := range stmts {
		stmts[i] = r.stmt(s)
	}
	return stmts
}

func (r *rewriter) exprs(es []ast.Expr) {
	for i, e := range es {
		es[i] = r.expr(e)
	}
}

func (r *rewriter) stmt(s ast.Stmt) ast.Stmt {
	switch s := s.(type) {
	case *ast.AssignStmt:
		return r.assign(s)
	case *ast.LocalAssignStmt:
		if len(s.Names) == 1 && len(s.Exprs) == 1 {
			if fn, ok := s.Exprs[0].(*ast.FunctionExpr); ok {
				// local function f: the compiler needs the function
				// itself to let it call itself.
				fn.Stmts = r.function(fn.Stmts)
				break
			}
		}
		r.exprs(s.Exprs)
	case *ast.FuncCallStmt:
		s.Expr = r.expr(s.Expr)
	case *ast.DoBlockStmt:
		r.block(s.Stmts)
	case *ast.WhileStmt:
		s.Condition = r.expr(s.Condition)
		r.block(s.Stmts)
	case *ast.RepeatStmt:
		r.block(s.Stmts)
		s.Condition = r.expr(s.Condition)
	case *ast.IfStmt:
		s.Condition = r.expr(s.Condition)
		r.block(s.Then)
		r.block(s.Else)
	case *ast.NumberForStmt:
		s.Init, s.Limit = r.expr(s.Init), r.expr(s.Limit)
		if s.Step != nil {
			s.Step = r.expr(s.Step)
		}
		r.block(s.Stmts)
	case *ast.GenericForStmt:
		r.exprs(s.Exprs)
		r.block(s.Stmts)
	case *ast.FuncDefStmt:
		// The name is a chain of constant keys (function a.b.c()); only
		// the indexing needs remembering.
		if s.Name.Func != nil {
			r.expr(s.Name.Func)
		}
		if s.Name.Receiver != nil {
			r.expr(s.Name.Receiver)
		}
		s.Func.Stmts = r.function(s.Func.Stmts)
	case *ast.ReturnStmt:
		r.exprs(s.Exprs)
	}
	return s
}

// assign rewrites t[k] = v (and multiple assignments) so that computed
// keys pass the guard; a table given by an expression other than a name is
// evaluated once, into a temporary, in a block around the statement.
func (r *rewriter) assign(s *ast.AssignStmt) ast.Stmt {
	var hoisted []string
	var objs []ast.Expr
	for _, lhs := range s.Lhs {
		a, ok := lhs.(*ast.AttrGetExpr)
		if !ok {
			continue
		}
		r.names.index(a, s.Line())
		a.Object = r.expr(a.Object)
		a.Key = r.expr(a.Key)
		if !guardedKey(a.Key) {
			continue
		}
		obj, isName := a.Object.(*ast.IdentExpr)
		if !isName {
			r.tmp++
			name := "\x00t" + strconv.Itoa(r.tmp)
			hoisted = append(hoisted, name)
			objs = append(objs, a.Object)
			obj = ident(name, a)
			a.Object = obj
		}
		a.Key = r.call(keyHelper, a, ident(obj.Value, a), a.Key)
	}
	r.exprs(s.Rhs)
	if len(hoisted) == 0 {
		return s
	}
	decl := &ast.LocalAssignStmt{Names: hoisted, Exprs: objs}
	block := &ast.DoBlockStmt{Stmts: []ast.Stmt{decl, s}}
	for _, n := range []ast.PositionHolder{decl, block} {
		n.SetLine(s.Line())
		n.SetLastLine(s.LastLine())
	}
	return block
}

func (r *rewriter) expr(e ast.Expr) ast.Expr {
	switch e := e.(type) {
	case *ast.AttrGetExpr:
		r.names.index(e, e.Line())
		e.Object = r.expr(e.Object)
		e.Key = r.expr(e.Key)
	case *ast.TableExpr:
		for i, f := range e.Fields {
			if f.Key != nil {
				f.Key = r.expr(f.Key)
				if guardedKey(f.Key) {
					f.Key = r.call(keyHelper, e, f.Key)
				}
			}
			many := f.Key == nil && i == len(e.Fields)-1 && isMultiValue(f.Value)
			f.Value = r.expr(f.Value)
			if many {
				c := r.call(manyHelper, e, f.Value)
				c.AdjustRet = false // the values go on into the table
				f.Value = c
			}
		}
	case *ast.FuncCallExpr:
		r.names.call(e)
		if e.Func != nil {
			e.Func = r.expr(e.Func)
		}
		if e.Receiver != nil {
			r.names.method(e)
			e.Receiver = r.expr(e.Receiver)
		}
		r.exprs(e.Args)
	case *ast.LogicalOpExpr:
		e.Lhs, e.Rhs = r.expr(e.Lhs), r.expr(e.Rhs)
	case *ast.RelationalOpExpr:
		e.Lhs, e.Rhs = r.expr(e.Lhs), r.expr(e.Rhs)
	case *ast.ArithmeticOpExpr:
		r.names.arith(e)
		e.Lhs, e.Rhs = r.expr(e.Lhs), r.expr(e.Rhs)
	case *ast.StringConcatOpExpr:
		return r.concat(e)
	case *ast.UnaryMinusOpExpr:
		e.Expr = r.expr(e.Expr)
	case *ast.UnaryNotOpExpr:
		e.Expr = r.expr(e.Expr)
	case *ast.UnaryLenOpExpr:
		e.Expr = r.expr(e.Expr)
	case *ast.FunctionExpr:
		e.Stmts = r.function(e.Stmts)
	}
	return e
}

// concat turns a .. b .. c (a chain to the right, as the parser builds
// it) into one call of the concatenation helper.
func (r *rewriter) concat(e *ast.StringConcatOpExpr) ast.Expr {
	var ops []ast.Expr
	var cur ast.Expr = e
	for {
		c, ok := cur.(*ast.StringConcatOpExpr)
		if !ok {
			ops = append(ops, cur)
			break
		}
		ops = append(ops, c.Lhs)
		cur = c.Rhs
	}
	r.names.concat(e, ops)
	for i, op := range ops {
		// Each operand counts as one value, as it does for the operator.
		switch op := op.(type) {
		case *ast.FuncCallExpr:
			op.AdjustRet = true
		case *ast.Comma3Expr:
			op.AdjustRet = true
		}
		ops[i] = r.expr(op)
	}
	return r.call(concatHelper, e, ops...)
}

// call makes a call of a helper, at the position of node.
func (r *rewriter) call(helper string, node ast.PositionHolder, args ...ast.Expr) *ast.FuncCallExpr {
	r.used = true
	c := &ast.FuncCallExpr{Func: ident(helper, node), Args: args, AdjustRet: true}
	c.SetLine(node.Line())
	c.SetLastLine(node.LastLine())
	return c
}

func ident(name string, node ast.PositionHolder) *ast.IdentExpr {
	id := &ast.IdentExpr{Value: name}
	id.SetLine(node.Line())
	id.SetLastLine(node.LastLine())
	return id
}

// guardedKey reports whether assigning with this key could grow a table's
// array by much: any key but a constant string or small number.
func guardedKey(k ast.Expr) bool {
	switch k := k.(type) {
	case *ast.StringExpr, *ast.TrueExpr, *ast.FalseExpr, *ast.NilExpr:
		return false
	case *ast.NumberExpr:
		n, err := strconv.ParseFloat(strings.TrimSpace(k.Value), 64)
		return err != nil || n > smallKey
	}
	return true
}

func isMultiValue(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.FuncCallExpr:
		return !e.AdjustRet
	case *ast.Comma3Expr:
		return !e.AdjustRet
	}
	return false
}
