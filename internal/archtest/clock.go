package archtest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// wallClockFuncs are the functions of package time that read the machine's
// clock. time.Sleep, time.After and timers measure durations, which the
// injected clock does not model, so they are not listed.
var wallClockFuncs = map[string]bool{"Now": true, "Since": true, "Until": true}

// WallClockUse is one place that reads the machine's clock.
type WallClockUse struct {
	// Where is "dir/file.go:Func" (Func is "" at package level), the key
	// an allowlist entry uses.
	Where string
	// Pos is file:line:column, for the failure message.
	Pos  string
	Call string
}

// FindWallClockUses lists every reference to time.Now, time.Since and
// time.Until in the non-test Go files under root, skipping the directories
// whose slash-separated path relative to root starts with one of skip.
func FindWallClockUses(root string, skip []string) ([]WallClockUse, error) {
	var uses []WallClockUse
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			if rel != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			for _, s := range skip {
				if rel == s || strings.HasPrefix(rel, s+"/") {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		found, err := wallClockUsesInFile(path, rel)
		if err != nil {
			return err
		}
		uses = append(uses, found...)
		return nil
	})
	sort.Slice(uses, func(i, j int) bool { return uses[i].Pos < uses[j].Pos })
	return uses, err
}

func wallClockUsesInFile(path, rel string) ([]WallClockUse, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", rel, err)
	}
	timeName := ""
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "time" {
			timeName = "time"
			if imp.Name != nil {
				timeName = imp.Name.Name
			}
		}
	}
	if timeName == "" || timeName == "_" {
		return nil, nil
	}
	var uses []WallClockUse
	record := func(sel *ast.SelectorExpr, fn string) {
		x, ok := sel.X.(*ast.Ident)
		if !ok || x.Name != timeName || !wallClockFuncs[sel.Sel.Name] {
			return
		}
		uses = append(uses, WallClockUse{
			Where: rel + ":" + fn,
			Pos:   fmt.Sprintf("%s:%d", rel, fset.Position(sel.Pos()).Line),
			Call:  timeName + "." + sel.Sel.Name,
		})
	}
	for _, decl := range f.Decls {
		fn := ""
		if fd, ok := decl.(*ast.FuncDecl); ok {
			fn = fd.Name.Name
			if fd.Recv != nil && len(fd.Recv.List) == 1 {
				fn = recvName(fd.Recv.List[0].Type) + "." + fn
			}
		}
		ast.Inspect(decl, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				record(sel, fn)
			}
			return true
		})
	}
	return uses, nil
}

func recvName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return recvName(t.X)
	case *ast.IndexExpr:
		return recvName(t.X)
	case *ast.IndexListExpr:
		return recvName(t.X)
	case *ast.Ident:
		return t.Name
	}
	return "?"
}
