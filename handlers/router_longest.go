package handlers

import (
	"slices"
	"sort"
	"strings"

	"github.com/tobanbot/toban/handlers/chat"
)

// longestMatch makes a subcommand of several words ("oncall group") win
// over the one named by its first word ("oncall"): the first word's entry
// becomes a dispatcher that tries the longer names first, with the words
// after them as arguments, and falls back to the one-word subcommand.
func (r *router) longestMatch() {
	longer := map[string][]Subcommand{}
	for _, c := range r.commands {
		if first, _, ok := strings.Cut(c.Name, " "); ok {
			longer[first] = append(longer[first], c)
		}
	}
	for first, subs := range longer {
		sort.SliceStable(subs, func(i, j int) bool { return len(strings.Fields(subs[i].Name)) > len(strings.Fields(subs[j].Name)) })
		base, hasBase := r.byName[first]
		entry := base
		entry.Name = first
		entry.Run = func(c Command, in invocation) chat.Response {
			for _, sub := range subs {
				words := strings.Fields(sub.Name)[1:]
				if len(c.Args) >= len(words) && slices.EqualFunc(words, c.Args[:len(words)], strings.EqualFold) {
					return sub.Run(Command{Name: sub.Name, Args: c.Args[len(words):]}, in)
				}
			}
			if hasBase {
				return base.Run(c, in)
			}
			return chat.NotYet(c.Name)
		}
		r.byName[first] = entry
	}
}
