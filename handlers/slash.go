package handlers

import (
	"strings"
	"unicode/utf8"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
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
	for _, s := range commandList() {
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
