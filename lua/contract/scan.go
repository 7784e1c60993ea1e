package contract

import (
	"os"
	"path/filepath"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// APITables are the global tables of flowgate's bindings.
var APITables = []string{"ntop", "flow", "host", "interface", "network"}

// Require is a `require "name"` with a literal name.
type Require struct {
	Name string
	Line int
}

// APICall is a call of <table>.<fn>(...) or <table>:<fn>(...) on one of the
// APITables (not shadowed by a local of the same name).
type APICall struct {
	Table, Func string
	Line        int
}

// Uses are what a script file asks of the runtime, found without running
// it: every literal require and every API call, wherever they are (top
// level, hooks, setup), with their lines.
type Uses struct {
	Requires []Require
	Calls    []APICall
}

// Scan parses src (chunk name path) and lists its requires and API calls.
// The error is the compile error (*vm.Error-compatible text from the
// parser) when src does not parse.
func Scan(path string, src []byte) (Uses, error) {
	chunk, err := parse.Parse(strings.NewReader(string(src)), path)
	if err != nil {
		return Uses{}, err
	}
	s := &scanner{}
	s.block(chunk, &scope{})
	return s.uses, nil
}

// watched are the globals whose shadowing by a local matters to the scan.
var watched = map[string]bool{"require": true, "ntop": true, "flow": true, "host": true, "interface": true, "network": true}

// scope is a block's locals among the watched names.
type scope struct {
	parent *scope
	names  map[string]bool
}

func (sc *scope) declare(names ...string) {
	for _, n := range names {
		if watched[n] {
			if sc.names == nil {
				sc.names = map[string]bool{}
			}
			sc.names[n] = true
		}
	}
}

func (sc *scope) local(n string) bool {
	for s := sc; s != nil; s = s.parent {
		if s.names[n] {
			return true
		}
	}
	return false
}

type scanner struct{ uses Uses }

func (s *scanner) block(stmts []ast.Stmt, parent *scope) {
	sc := &scope{parent: parent}
	for _, st := range stmts {
		s.stmt(st, sc)
	}
}

func (s *scanner) stmt(st ast.Stmt, sc *scope) {
	switch x := st.(type) {
	case *ast.AssignStmt:
		s.exprs(x.Lhs, sc)
		s.exprs(x.Rhs, sc)
	case *ast.LocalAssignStmt:
		// `local function f` sees itself; `local x = e` does not.
		if len(x.Exprs) == 1 && len(x.Names) == 1 {
			if _, isFn := x.Exprs[0].(*ast.FunctionExpr); isFn {
				sc.declare(x.Names...)
			}
		}
		s.exprs(x.Exprs, sc)
		sc.declare(x.Names...)
	case *ast.FuncCallStmt:
		s.expr(x.Expr, sc)
	case *ast.DoBlockStmt:
		s.block(x.Stmts, sc)
	case *ast.WhileStmt:
		s.expr(x.Condition, sc)
		s.block(x.Stmts, sc)
	case *ast.RepeatStmt:
		// the condition sees the body's locals
		inner := &scope{parent: sc}
		for _, b := range x.Stmts {
			s.stmt(b, inner)
		}
		s.expr(x.Condition, inner)
	case *ast.IfStmt:
		s.expr(x.Condition, sc)
		s.block(x.Then, sc)
		s.block(x.Else, sc)
	case *ast.NumberForStmt:
		s.expr(x.Init, sc)
		s.expr(x.Limit, sc)
		s.expr(x.Step, sc)
		inner := &scope{parent: sc}
		inner.declare(x.Name)
		s.block(x.Stmts, inner)
	case *ast.GenericForStmt:
		s.exprs(x.Exprs, sc)
		inner := &scope{parent: sc}
		inner.declare(x.Names...)
		s.block(x.Stmts, inner)
	case *ast.FuncDefStmt:
		if x.Name != nil {
			s.expr(x.Name.Func, sc)
			s.expr(x.Name.Receiver, sc)
		}
		s.function(x.Func, sc)
	case *ast.ReturnStmt:
		s.exprs(x.Exprs, sc)
	}
}

func (s *scanner) exprs(es []ast.Expr, sc *scope) {
	for _, e := range es {
		s.expr(e, sc)
	}
}

func (s *scanner) function(f *ast.FunctionExpr, sc *scope) {
	if f == nil {
		return
	}
	inner := &scope{parent: sc}
	if f.ParList != nil {
		inner.declare(f.ParList.Names...)
	}
	s.block(f.Stmts, inner)
}

func (s *scanner) expr(e ast.Expr, sc *scope) {
	switch x := e.(type) {
	case nil:
	case *ast.FuncCallExpr:
		s.call(x, sc)
		s.expr(x.Func, sc)
		s.expr(x.Receiver, sc)
		s.exprs(x.Args, sc)
	case *ast.AttrGetExpr:
		s.expr(x.Object, sc)
		s.expr(x.Key, sc)
	case *ast.TableExpr:
		for _, f := range x.Fields {
			s.expr(f.Key, sc)
			s.expr(f.Value, sc)
		}
	case *ast.LogicalOpExpr:
		s.expr(x.Lhs, sc)
		s.expr(x.Rhs, sc)
	case *ast.RelationalOpExpr:
		s.expr(x.Lhs, sc)
		s.expr(x.Rhs, sc)
	case *ast.StringConcatOpExpr:
		s.expr(x.Lhs, sc)
		s.expr(x.Rhs, sc)
	case *ast.ArithmeticOpExpr:
		s.expr(x.Lhs, sc)
		s.expr(x.Rhs, sc)
	case *ast.UnaryMinusOpExpr:
		s.expr(x.Expr, sc)
	case *ast.UnaryNotOpExpr:
		s.expr(x.Expr, sc)
	case *ast.UnaryLenOpExpr:
		s.expr(x.Expr, sc)
	case *ast.FunctionExpr:
		s.function(x, sc)
	}
}

func (s *scanner) call(x *ast.FuncCallExpr, sc *scope) {
	if x.Receiver != nil {
		if id, ok := x.Receiver.(*ast.IdentExpr); ok && isAPITable(id.Value) && !sc.local(id.Value) {
			s.uses.Calls = append(s.uses.Calls, APICall{Table: id.Value, Func: x.Method, Line: x.Line()})
		}
		return
	}
	switch f := x.Func.(type) {
	case *ast.IdentExpr:
		if f.Value == "require" && !sc.local("require") && len(x.Args) > 0 {
			if name, ok := x.Args[0].(*ast.StringExpr); ok {
				s.uses.Requires = append(s.uses.Requires, Require{Name: name.Value, Line: x.Line()})
			}
		}
	case *ast.AttrGetExpr:
		id, ok := f.Object.(*ast.IdentExpr)
		key, kok := f.Key.(*ast.StringExpr)
		if ok && kok && isAPITable(id.Value) && !sc.local(id.Value) {
			s.uses.Calls = append(s.uses.Calls, APICall{Table: id.Value, Func: key.Value, Line: x.Line()})
		}
	}
}

func isAPITable(n string) bool {
	for _, t := range APITables {
		if t == n {
			return true
		}
	}
	return false
}

// Resolvable tells whether require(name) finds a module in L the way the
// runtime's require does: a loaded or preloaded module (lua/modules), else
// a file on L's package.path (the scripts root, its modules/, the script
// directories, and whatever the script added).
func Resolvable(L *lua.LState, name string) bool {
	pkg, ok := L.GetGlobal("package").(*lua.LTable)
	if !ok {
		return false
	}
	for _, t := range []string{"loaded", "preload"} {
		if tbl, ok := pkg.RawGetString(t).(*lua.LTable); ok && tbl.RawGetString(name) != lua.LNil {
			return true
		}
	}
	if tbl, ok := L.GetField(L.Get(lua.RegistryIndex), "_LOADED").(*lua.LTable); ok && tbl.RawGetString(name) != lua.LNil {
		return true
	}
	path := lua.LVAsString(pkg.RawGetString("path"))
	file := strings.ReplaceAll(name, ".", string(filepath.Separator))
	for _, pattern := range strings.Split(path, ";") {
		if pattern == "" {
			continue
		}
		if st, err := os.Stat(strings.ReplaceAll(pattern, "?", file)); err == nil && !st.IsDir() {
			return true
		}
	}
	return false
}
