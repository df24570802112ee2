package handlers

import (
	"strings"
	"testing"

	"github.com/tobanbot/toban/handlers/chat"
)

// TestRouterLongestMatch: "oncall group" is its own subcommand while
// "oncall" keeps every other argument, whichever registers first.
func TestRouterLongestMatch(t *testing.T) {
	var got string
	record := func(name string) func(Command, invocation) chat.Response {
		return func(c Command, _ invocation) chat.Response {
			got = name + ":" + c.Name + ":" + strings.Join(c.Args, ",")
			return chat.Response{}
		}
	}
	for _, order := range []string{"OneWordFirst", "TwoWordsFirst"} {
		t.Run(order, func(t *testing.T) {
			features := []Feature{
				{Name: "oncall", Commands: []Subcommand{{Name: "oncall", Run: record("oncall")}}},
				{Name: "groups", Commands: []Subcommand{{Name: "oncall group", Run: record("group")}, {Name: "oncall group sync now", Run: record("deep")}}},
			}
			if order == "TwoWordsFirst" {
				features[0], features[1] = features[1], features[0]
			}
			r, err := newRouter(features)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				args []string
				want string
			}{
				{nil, "oncall:oncall:"},
				{[]string{"Primary"}, "oncall:oncall:Primary"},
				{[]string{"group"}, "group:oncall group:"},
				{[]string{"GROUP", "add"}, "group:oncall group:add"},
				{[]string{"group", "sync", "now", "x"}, "deep:oncall group sync now:x"},
				{[]string{"groups"}, "oncall:oncall:groups"},
			} {
				got = ""
				r.byName["oncall"].Run(Command{Name: "oncall", Args: c.args}, invocation{})
				if got != c.want {
					t.Errorf("oncall %v ran %q, want %q", c.args, got, c.want)
				}
			}
			if len(r.commands) != 3 {
				t.Errorf("help lists %d subcommands, want 3", len(r.commands))
			}
		})
	}
}

// TestRouterLongestMatchWithoutOneWord: a first word no feature registers
// alone still routes its longer names, and is "not yet" otherwise.
func TestRouterLongestMatchWithoutOneWord(t *testing.T) {
	ran := false
	r, err := newRouter([]Feature{{Name: "g", Commands: []Subcommand{{Name: "team sync", Run: func(Command, invocation) chat.Response { ran = true; return chat.Response{} }}}}})
	if err != nil {
		t.Fatal(err)
	}
	r.byName["team"].Run(Command{Name: "team", Args: []string{"sync"}}, invocation{})
	if !ran {
		t.Error("team sync did not run")
	}
	if res := r.byName["team"].Run(Command{Name: "team"}, invocation{}); res.Ack == nil {
		t.Error("bare team: no answer, want not-yet")
	}
}
