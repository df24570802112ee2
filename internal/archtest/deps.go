package archtest

import (
	"bytes"
	"fmt"
	"os/exec"
	"sort"
	"strings"
)

// Graph is a module's import graph: each package, relative to the module
// path ("handlers/chat"), to the module packages it imports. Imports from
// outside the module are left out; the rules are about toban's own layers.
type Graph map[string][]string

// LoadGraph lists the non-test imports of every package under dir with
// go list, keeping only those inside module.
func LoadGraph(dir, module string) (Graph, error) {
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w: %s", err, stderr.String())
	}
	g := Graph{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		from, ok := relative(fields[0], module)
		if !ok {
			continue
		}
		g[from] = nil
		for _, imp := range fields[1:] {
			if to, ok := relative(imp, module); ok {
				g[from] = append(g[from], to)
			}
		}
	}
	return g, nil
}

func relative(path, module string) (string, bool) {
	if path == module {
		return ".", true
	}
	rest, ok := strings.CutPrefix(path, module+"/")
	return rest, ok
}

// Layers names the packages the dependency rules speak of.
type Layers struct {
	// Router is the package that dispatches to features ("handlers").
	Router string
	// Toolkit packages under the router are shared by every feature
	// ("handlers/chat"); they are not features.
	Toolkit []string
	// Adapters talk to the outside world: Slack, the database, PagerDuty,
	// the webhook receiver, the poller.
	Adapters []string
	// Features are the feature packages under the router ("handlers/reports").
	// A package under the router that is neither toolkit nor a declared
	// feature (or inside one) is reported by Undeclared, so that a new
	// feature is added here, where its rules are read.
	Features []string
}

// Undeclared lists the packages of g under the router that are neither
// toolkit nor a declared feature or a package inside one, and the declared
// features g does not have.
func (l Layers) Undeclared(g Graph) []string {
	var out []string
	declared := map[string]bool{}
	for _, f := range l.Features {
		declared[f] = true
		if _, ok := g[f]; !ok {
			out = append(out, f+": declared feature not found")
		}
	}
	for pkg := range g {
		if l.IsFeature(pkg) && !declared[l.featureOf(pkg)] {
			out = append(out, pkg+": package under "+l.Router+" is neither toolkit nor a declared feature")
		}
	}
	sort.Strings(out)
	return out
}

// Violation is one import a rule forbids.
type Violation struct {
	From, To, Rule string
}

func (v Violation) String() string { return v.From + " imports " + v.To + ": " + v.Rule }

// IsFeature says whether pkg is a feature: a package below the router that
// is not part of the toolkit.
func (l Layers) IsFeature(pkg string) bool {
	rest, ok := strings.CutPrefix(pkg, l.Router+"/")
	if !ok || rest == "" {
		return false
	}
	for _, t := range l.Toolkit {
		if pkg == t || strings.HasPrefix(pkg, t+"/") {
			return false
		}
	}
	return true
}

func (l Layers) isToolkit(pkg string) bool {
	for _, t := range l.Toolkit {
		if pkg == t || strings.HasPrefix(pkg, t+"/") {
			return true
		}
	}
	return false
}

func (l Layers) isAdapter(pkg string) bool {
	for _, a := range l.Adapters {
		if pkg == a || strings.HasPrefix(pkg, a+"/") {
			return true
		}
	}
	return false
}

// featureOf is the top feature package pkg belongs to ("handlers/task"
// for "handlers/task/modal"), so that a feature may split itself.
func (l Layers) featureOf(pkg string) string {
	rest := strings.TrimPrefix(pkg, l.Router+"/")
	top, _, _ := strings.Cut(rest, "/")
	return l.Router + "/" + top
}

// Check lists every import in g that the rules forbid:
//   - a feature imports no adapter and no other feature (it declares the
//     ports it needs; cmd/toban gives it concrete values);
//   - the router imports no adapter either;
//   - the toolkit imports no adapter, no feature and not the router;
//   - an adapter imports no other adapter, no feature and not the router
//     (bot may use the toolkit, which is what it answers with).
//
// allowed exempts known imports, "from -> to", each with its reason.
func (l Layers) Check(g Graph, allowed map[string]string) []Violation {
	var out []Violation
	for from, imports := range g {
		for _, to := range imports {
			rule := l.rule(from, to)
			if rule == "" {
				continue
			}
			if _, ok := allowed[from+" -> "+to]; ok {
				continue
			}
			out = append(out, Violation{From: from, To: to, Rule: rule})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func (l Layers) rule(from, to string) string {
	switch {
	case l.IsFeature(from):
		switch {
		case l.isAdapter(to):
			return "a feature reaches adapters only through its own ports"
		case to == l.Router:
			return "a feature does not import the router"
		case l.IsFeature(to) && l.featureOf(to) != l.featureOf(from):
			return "features do not import one another; declare an interface"
		}
	case from == l.Router:
		if l.isAdapter(to) {
			return "the router reaches adapters only through ports"
		}
	case l.isToolkit(from):
		switch {
		case l.isAdapter(to):
			return "the toolkit imports no adapter"
		case to == l.Router || l.IsFeature(to):
			return "the toolkit imports no feature and not the router"
		}
	case l.isAdapter(from):
		switch {
		case l.isAdapter(to) && !sameAdapter(l, from, to):
			return "adapters do not import each other"
		case to == l.Router || l.IsFeature(to):
			return "adapters do not import features or the router"
		}
	}
	return ""
}

func sameAdapter(l Layers, a, b string) bool {
	for _, root := range l.Adapters {
		in := func(p string) bool { return p == root || strings.HasPrefix(p, root+"/") }
		if in(a) && in(b) {
			return true
		}
	}
	return false
}
