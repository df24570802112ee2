package chat

import (
	"strings"
	"unicode/utf8"

	"github.com/tobanbot/toban/domain"
)

// MaxSlashText bounds what the parser accepts; Slack itself caps slash
// command text near 4,000 characters.
const MaxSlashText = 4000

// Command is a parsed /toban invocation.
type Command struct {
	// Name is the subcommand, lower-cased; "help" when none was given.
	Name string
	// Args are the remaining words; quoted phrases stay one argument.
	Args []string
}

// SplitCommand splits the text after /toban into a subcommand and its
// arguments, without checking that the subcommand exists. Double or single
// quotes group words; a backslash is literal.
func SplitCommand(text string) (Command, error) {
	if len(text) > MaxSlashText {
		return Command{}, domain.Invalid("That command is too long (%d characters, at most %d).", len(text), MaxSlashText)
	}
	if !utf8.ValidString(text) {
		return Command{}, domain.Invalid("That command contains characters I cannot read.")
	}
	words, err := SplitWords(text)
	if err != nil {
		return Command{}, err
	}
	if len(words) == 0 {
		return Command{Name: "help"}, nil
	}
	return Command{Name: strings.ToLower(words[0]), Args: words[1:]}, nil
}

// SplitWords splits text into words; double or single quotes group words.
func SplitWords(text string) ([]string, error) {
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
		return nil, domain.Invalid("A quote is not closed: %s", Truncate(text, 60))
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
