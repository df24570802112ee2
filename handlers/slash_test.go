package handlers

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		name, text string
		want       Command
	}{
		{"Empty", "", Command{Name: "help"}},
		{"Spaces", "   ", Command{Name: "help"}},
		{"Help", "help", Command{Name: "help", Args: []string{}}},
		{"CaseInsensitive", "OnCall", Command{Name: "oncall", Args: []string{}}},
		{"Args", "incidents mine", Command{Name: "incidents", Args: []string{"mine"}}},
		{"DoubleQuotes", `oncall "Primary Ops"`, Command{Name: "oncall", Args: []string{"Primary Ops"}}},
		{"SingleQuotes", `oncall 'Primary Ops' x`, Command{Name: "oncall", Args: []string{"Primary Ops", "x"}}},
		{"SmartQuotes", "oncall “Primary Ops”", Command{Name: "oncall", Args: []string{"Primary Ops"}}},
		{"IdeographicSpace", "oncall\u3000primary", Command{Name: "oncall", Args: []string{"primary"}}},
		{"EmptyQuoted", `link ""`, Command{Name: "link", Args: []string{""}}},
		{"Tabs", "incidents\tall", Command{Name: "incidents", Args: []string{"all"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCommand(tt.text)
			if err != nil {
				t.Fatalf("ParseCommand(%q): %v", tt.text, err)
			}
			if tt.want.Args == nil && len(got.Args) == 0 {
				got.Args = nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseCommand(%q) = %#v, want %#v", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseCommandErrors(t *testing.T) {
	tests := []struct {
		name, text, wantIn string
	}{
		{"Unknown", "frobnicate now", "I don't know `/toban frobnicate`"},
		{"UnclosedQuote", `oncall "Primary`, "quote is not closed"},
		{"TooLong", "oncall " + strings.Repeat("x", chat.MaxSlashText), "too long"},
		{"InvalidUTF8", "oncall \xff", "cannot read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCommand(tt.text)
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("ParseCommand(%q) error = %v, want ErrInvalid", tt.text, err)
			}
			if got := chat.UserMessage(err); !strings.Contains(got, tt.wantIn) {
				t.Errorf("message = %q, want it to contain %q", got, tt.wantIn)
			}
		})
	}
}

// FuzzParseCommand: any text either parses into a known subcommand or is
// refused as invalid input with a readable message; never a panic.
func FuzzParseCommand(f *testing.F) {
	for _, seed := range []string{"", "help", "oncall \"Primary Ops\"", "incidents mine", "'", "“", "link a@b.c", "\xff", "remind\u3000x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, err := ParseCommand(text)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("error of wrong kind: %v", err)
			}
			if msg := chat.UserMessage(err); !utf8.ValidString(msg) || msg == "" {
				t.Fatalf("unreadable message %q", msg)
			}
			return
		}
		known := false
		for _, s := range commandList() {
			known = known || s.Name == cmd.Name
		}
		if !known {
			t.Fatalf("parsed unknown subcommand %q", cmd.Name)
		}
	})
}
