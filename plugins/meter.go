package plugins

import (
	"strconv"

	"github.com/yuin/gopher-lua/ast"
)

// The meter counts the tables and closures a call makes. gopher-lua makes
// them in the VM (OP_NEWTABLE, OP_CLOSURE) where the host cannot watch,
// and a Go call around each constructor costs more than the constructor.
// Instead, what a block's constructors make is known when it is compiled,
// so each function body and each loop body starts by adding it to a local
// number, the meter:
//
//	function f(x)          function f(x)
//	  local t = {x}    →     meter = meter + 112
//	  return {t}             local t = {x}
//	end                      return {t}
//	                       end
//
// Constructors in branches count whether the branch runs or not; a loop's
// body counts on each round. A function with a goto label (where a jump
// back makes a loop) counts before each statement instead. The host reads
// the meter at its checks (every 1024 instructions at most), so a call can
// run past its budget by what 1024 instructions make, no more.

// What gopher-lua allocates for a table and a closure, about: a table is a
// struct with an array and, once it has a key that is not an index, two
// maps and a list of keys (a table with one string key takes about 850
// bytes). Values {f()} and {...} add are counted when they come.
const (
	tableBytes = 96
	hashBytes  = 700
	slotBytes  = 16
	// grownSlot is what a slot appended to an array costs with the arrays
	// it outgrows: Go grows a long slice by a quarter, so appending n
	// slots one by one allocates about 5n.
	grownSlot     = 5 * slotBytes
	hashSlotBytes = 80
	closureBytes  = 160
)

// function rewrites a function body and meters it.
func (r *rewriter) function(stmts []ast.Stmt) []ast.Stmt {
	stmts = r.block(stmts)
	return r.meter(stmts, 0, true, hasLabel(stmts))
}

// meter adds the meter statements to a block: at its start (own) what the
// block makes outside its loops, plus extra (a loop's condition), or
// before each statement when each is set; loops inside get their own.
func (r *rewriter) meter(stmts []ast.Stmt, extra int, own, each bool) []ast.Stmt {
	for _, s := range stmts {
		switch s := s.(type) {
		case *ast.DoBlockStmt:
			s.Stmts = r.meter(s.Stmts, 0, each, each)
		case *ast.IfStmt:
			s.Then = r.meter(s.Then, 0, each, each)
			s.Else = r.meter(s.Else, 0, each, each)
		case *ast.WhileStmt:
			s.Stmts = r.meter(s.Stmts, exprCost(s.Condition), true, each)
		case *ast.RepeatStmt:
			s.Stmts = r.meter(s.Stmts, exprCost(s.Condition), true, each)
		case *ast.NumberForStmt:
			s.Stmts = r.meter(s.Stmts, 0, true, each)
		case *ast.GenericForStmt:
			s.Stmts = r.meter(s.Stmts, 0, true, each)
		}
	}
	if each {
		out := make([]ast.Stmt, 0, 2*len(stmts)+1)
		if extra > 0 {
			out = append(out, r.meterStmt(extra, stmts))
		}
		for _, s := range stmts {
			if c := stmtCost(s); c > 0 {
				out = append(out, r.meterStmt(c, []ast.Stmt{s}))
			}
			out = append(out, s)
		}
		return out
	}
	if !own {
		return stmts
	}
	if c := extra + blockCost(stmts); c > 0 {
		return append([]ast.Stmt{r.meterStmt(c, stmts)}, stmts...)
	}
	return stmts
}

// meterStmt is meter = meter + n, at the line of the block it counts.
func (r *rewriter) meterStmt(n int, block []ast.Stmt) ast.Stmt {
	r.used = true
	line := 0
	if len(block) > 0 {
		line = block[0].Line()
	}
	lhs, rhs := &ast.IdentExpr{Value: meterName}, &ast.IdentExpr{Value: meterName}
	num := &ast.NumberExpr{Value: strconv.Itoa(n)}
	sum := &ast.ArithmeticOpExpr{Operator: "+", Lhs: rhs, Rhs: num}
	s := &ast.AssignStmt{Lhs: []ast.Expr{lhs}, Rhs: []ast.Expr{sum}}
	for _, n := range []ast.PositionHolder{lhs, rhs, num, sum, s} {
		n.SetLine(line)
		n.SetLastLine(line)
	}
	return s
}

// blockCost is what a block makes outside its loops and functions (which
// count themselves), branches included.
func blockCost(stmts []ast.Stmt) int {
	n := 0
	for _, s := range stmts {
		n += stmtCost(s)
		switch s := s.(type) {
		case *ast.DoBlockStmt:
			n += blockCost(s.Stmts)
		case *ast.IfStmt:
			n += blockCost(s.Then) + blockCost(s.Else)
		}
	}
	return n
}

// stmtCost is what a statement's own expressions make, once.
func stmtCost(s ast.Stmt) int {
	switch s := s.(type) {
	case *ast.AssignStmt:
		return exprsCost(s.Lhs) + exprsCost(s.Rhs)
	case *ast.LocalAssignStmt:
		return exprsCost(s.Exprs)
	case *ast.FuncCallStmt:
		return exprCost(s.Expr)
	case *ast.IfStmt:
		return exprCost(s.Condition)
	case *ast.NumberForStmt:
		n := exprCost(s.Init) + exprCost(s.Limit)
		if s.Step != nil {
			n += exprCost(s.Step)
		}
		return n
	case *ast.GenericForStmt:
		return exprsCost(s.Exprs)
	case *ast.FuncDefStmt:
		return closureBytes
	case *ast.ReturnStmt:
		return exprsCost(s.Exprs)
	}
	return 0
}

func exprsCost(es []ast.Expr) int {
	n := 0
	for _, e := range es {
		n += exprCost(e)
	}
	return n
}

// exprCost is what evaluating an expression makes: its tables and
// closures (what a closure makes when it runs counts in its body).
func exprCost(e ast.Expr) int {
	switch e := e.(type) {
	case *ast.TableExpr:
		n, keyed := tableBytes, 0
		for _, f := range e.Fields {
			if f.Key == nil {
				n += slotBytes
			} else {
				keyed++
				n += exprCost(f.Key)
			}
			n += exprCost(f.Value)
		}
		if keyed > 0 {
			n += hashBytes + keyed*hashSlotBytes
		}
		return n
	case *ast.FunctionExpr:
		return closureBytes
	case *ast.AttrGetExpr:
		return exprCost(e.Object) + exprCost(e.Key)
	case *ast.FuncCallExpr:
		n := exprsCost(e.Args)
		if e.Func != nil {
			n += exprCost(e.Func)
		}
		if e.Receiver != nil {
			n += exprCost(e.Receiver)
		}
		return n
	case *ast.LogicalOpExpr:
		return exprCost(e.Lhs) + exprCost(e.Rhs)
	case *ast.RelationalOpExpr:
		return exprCost(e.Lhs) + exprCost(e.Rhs)
	case *ast.ArithmeticOpExpr:
		return exprCost(e.Lhs) + exprCost(e.Rhs)
	case *ast.StringConcatOpExpr:
		return exprCost(e.Lhs) + exprCost(e.Rhs)
	case *ast.UnaryMinusOpExpr:
		return exprCost(e.Expr)
	case *ast.UnaryNotOpExpr:
		return exprCost(e.Expr)
	case *ast.UnaryLenOpExpr:
		return exprCost(e.Expr)
	}
	return 0
}

// hasLabel reports whether a function body has a goto label (outside the
// functions it defines).
func hasLabel(stmts []ast.Stmt) bool {
	for _, s := range stmts {
		switch s := s.(type) {
		case *ast.LabelStmt:
			return true
		case *ast.DoBlockStmt:
			if hasLabel(s.Stmts) {
				return true
			}
		case *ast.IfStmt:
			if hasLabel(s.Then) || hasLabel(s.Else) {
				return true
			}
		case *ast.WhileStmt:
			if hasLabel(s.Stmts) {
				return true
			}
		case *ast.RepeatStmt:
			if hasLabel(s.Stmts) {
				return true
			}
		case *ast.NumberForStmt:
			if hasLabel(s.Stmts) {
				return true
			}
		case *ast.GenericForStmt:
			if hasLabel(s.Stmts) {
				return true
			}
		}
	}
	return false
}
