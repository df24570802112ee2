package handlers

import (
	"github.com/tobanbot/toban/handlers/chat"
	"strings"
	"unicode/utf8"

	"github.com/tobanbot/toban/domain"
)

// maxSlashText bounds what the parser accepts; Slack itself caps slash
// command text near 4,000 characters.
const maxSlashText = 4000

// Command is a parsed /toban invocation.
type Command struct {
	// Name is the subcommand, lower-cased; "help" when none was given.
	Name string
	// Args are the remaining words; quoted phrases stay one argument.
	Args []string
}

// subcommands lists every /toban subcommand with a one-line description,
// in the order help shows them.
var subcommands = []struct{ Name, Usage, Summary string }{
	{"help", "/toban help", "this help"},
	{"incidents", "/toban incidents [mine|all|<service>]", "open incidents, with buttons to acknowledge and resolve"},
	{"oncall", "/toban oncall [<schedule or policy>|follow <schedule>|unfollow]", "who is on call now, until when, and who is next; take the pager"},
	{"trigger", "/toban trigger", "open a PagerDuty incident from a form"},
	{"remind", "/toban remind", "schedule an operations task (daily check, monthly report…)"},
	{"reminders", "/toban reminders [calendar [list]]", "this channel's scheduled tasks; attach an ICS calendar"},
	{"maintenance", "/toban maintenance [list]", "put services into a maintenance window"},
	{"shifts", "/toban shifts import [dry-run]", "load on-call shifts from a CSV file shared in the channel"},
	{"report", "/toban report [week|month|…]", "incident counts, MTTA and MTTR per service"},
	{"subscribe", "/toban subscribe", "feed PagerDuty services' incidents into this channel as live cards (admins)"},
	{"subscriptions", "/toban subscriptions", "what this channel is subscribed to, with Remove buttons"},
	{"link", "/toban link <email>", "link your Slack account to your PagerDuty user"},
}

// ParseCommand splits the text after /toban into a subcommand and its
// arguments. Double or single quotes group words; a backslash is literal.
func ParseCommand(text string) (Command, error) {
	if len(text) > maxSlashText {
		return Command{}, domain.Invalid("That command is too long (%d characters, at most %d).", len(text), maxSlashText)
	}
	if !utf8.ValidString(text) {
		return Command{}, domain.Invalid("That command contains characters I cannot read.")
	}
	words, err := splitWords(text)
	if err != nil {
		return Command{}, err
	}
	if len(words) == 0 {
		return Command{Name: "help"}, nil
	}
	name := strings.ToLower(words[0])
	for _, s := range subcommands {
		if s.Name == name {
			return Command{Name: name, Args: words[1:]}, nil
		}
	}
	return Command{}, domain.Invalid("I don't know `/toban %s`.", chat.Truncate(words[0], 40))
}

func splitWords(text string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range text {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'' || r == '“' || r == '”':
			if r == '“' {
				quote = '”'
			} else {
				quote = r
			}
			inWord = true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0' || r == '\u3000':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, domain.Invalid("A quote is not closed: %s", chat.Truncate(text, 60))
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
