package handlers

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/handlers/oncallgroups"
)

// Subcommand is one /toban subcommand a feature answers.
type Subcommand struct {
	Name, Usage, Summary string
	Run                  func(c Command, in invocation) chat.Response
}

// Feature is what one feature registers with the router: its subcommands
// (in the order help lists them), the action IDs and view callback IDs it
// owns, and the type-ahead menus it fills. A key ending in "." is a prefix
// that owns every ID starting with it.
type Feature struct {
	Name        string
	Commands    []Subcommand
	Clicks      map[string]func(cb slack.InteractionCallback, act *slack.BlockAction) chat.Response
	Submissions map[string]func(ctx context.Context, cb slack.InteractionCallback) chat.Response
	Suggestions map[string]func(ctx context.Context, query string) chat.Response
}

// router finds the feature that owns a subcommand, a click, a submission
// or a suggestion. It is built once from every feature's registration and
// refuses two features claiming the same name or ID.
type router struct {
	commands    []Subcommand
	byName      map[string]Subcommand
	clicks      routeTable[func(slack.InteractionCallback, *slack.BlockAction) chat.Response]
	submissions routeTable[func(context.Context, slack.InteractionCallback) chat.Response]
	suggestions routeTable[func(context.Context, string) chat.Response]
}

// routeTable maps exact IDs and ID prefixes ("oncall.") to handlers,
// remembering which feature claimed each.
type routeTable[H any] struct {
	exact, prefix map[string]H
	owner         map[string]string
}

func (t *routeTable[H]) add(feature, key string, h H) error {
	if t.exact == nil {
		t.exact, t.prefix, t.owner = map[string]H{}, map[string]H{}, map[string]string{}
	}
	if owner, ok := t.owner[key]; ok {
		return fmt.Errorf("%q claimed by %s and %s", key, owner, feature)
	}
	// An exact ID under another registration's prefix, or a prefix over
	// an exact ID, would make the route depend on lookup order.
	for other, owner := range t.owner {
		if strings.HasSuffix(other, ".") && strings.HasPrefix(key, other) ||
			strings.HasSuffix(key, ".") && strings.HasPrefix(other, key) {
			return fmt.Errorf("%q (%s) overlaps %q (%s)", key, feature, other, owner)
		}
	}
	t.owner[key] = feature
	if strings.HasSuffix(key, ".") {
		t.prefix[key] = h
	} else {
		t.exact[key] = h
	}
	return nil
}

func (t *routeTable[H]) find(id string) (H, bool) {
	if h, ok := t.exact[id]; ok {
		return h, true
	}
	if prefix, _, found := strings.Cut(id, "."); found {
		h, ok := t.prefix[prefix+"."]
		return h, ok
	}
	var zero H
	return zero, false
}

// newRouter registers features in order, failing on the first collision.
func newRouter(features []Feature) (*router, error) {
	r := &router{byName: map[string]Subcommand{}}
	for _, f := range features {
		for _, c := range f.Commands {
			if _, dup := r.byName[c.Name]; dup {
				return nil, fmt.Errorf("subcommand %q registered twice (again by %s)", c.Name, f.Name)
			}
			r.byName[c.Name] = c
			r.commands = append(r.commands, c)
		}
		for key, h := range f.Clicks {
			if err := r.clicks.add(f.Name, key, h); err != nil {
				return nil, fmt.Errorf("action id: %w", err)
			}
		}
		for key, h := range f.Submissions {
			if err := r.submissions.add(f.Name, key, h); err != nil {
				return nil, fmt.Errorf("callback id: %w", err)
			}
		}
		for key, h := range f.Suggestions {
			if err := r.suggestions.add(f.Name, key, h); err != nil {
				return nil, fmt.Errorf("suggestion: %w", err)
			}
		}
	}
	r.longestMatch()
	return r, nil
}

// appRouter is an App's router, built on first use.
type appRouter struct {
	once sync.Once
	r    *router
	err  error
	// onCallGroups is set by SetOnCallGroups: it lives here rather than
	// as an App field while App's fields are being moved into feature
	// packages.
	onCallGroups *oncallgroups.Feature
}

// CheckRoutes builds the router and reports a collision between features;
// cmd/toban calls it at start, so a collision stops toban before it runs.
func (a *App) CheckRoutes() error {
	_, err := a.routerOrErr()
	return err
}

func (a *App) routerOrErr() (*router, error) {
	a.routes.once.Do(func() { a.routes.r, a.routes.err = newRouter(a.features()) })
	return a.routes.r, a.routes.err
}

func (a *App) router() *router {
	r, err := a.routerOrErr()
	if err != nil {
		panic("handlers: " + err.Error()) // CheckRoutes refuses this at start
	}
	return r
}

// commandList is every subcommand in help order. It needs no App's
// dependencies: the router is read for names and summaries only.
func commandList() []Subcommand {
	commandsOnce.Do(func() { commands = (&App{}).router().commands })
	return commands
}

var (
	commandsOnce sync.Once
	commands     []Subcommand
)
