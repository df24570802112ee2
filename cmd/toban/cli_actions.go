package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tobanbot/toban/runbook"
)

const actionsUsage = `Usage: toban actions check FILE
Checks a runbook actions file as the bot would load it (TOBAN_ALLOW_COMMANDS
decides whether command actions are allowed) and prints one line per problem.
`

// actionsCLI is `toban actions check FILE`: exit 0 when the file loads, 1
// with one line per problem when it does not, 2 for a usage error.
func actionsCLI(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, actionsUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] != "check" || len(args) != 2 {
		fmt.Fprintf(stderr, "toban actions: want `check FILE`, got %q\n", strings.Join(args, " "))
		return 2
	}
	name := args[1]
	data, err := os.ReadFile(name)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, unwrapPathError(err))
		return 1
	}
	allow := getenv("TOBAN_ALLOW_COMMANDS") == "1"
	set, problems := runbook.Load(data, runbook.LoadOptions{AllowCommands: allow})
	for _, p := range problems {
		fmt.Fprintf(stderr, "%s: %s\n", name, p)
	}
	if len(problems) > 0 {
		return 1
	}
	for _, a := range set.Actions {
		trigger := ""
		if a.OnTrigger {
			trigger = ", runs on trigger"
		}
		fmt.Fprintf(stdout, "%s: %s (%s, %s on %s%s)\n", name, a.Name, a.Role, a.Kind(), strings.Join(a.Services, ", "), trigger)
	}
	fmt.Fprintf(stdout, "%s: %d actions, no problems\n", name, len(set.Actions))
	return 0
}

// unwrapPathError drops the path os errors repeat ("open x: no such file").
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
