package blockkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// pt is a plain_text object of text.
func pt(text string) string { return fmt.Sprintf(`{"type":"plain_text","text":%q}`, text) }

// md is a mrkdwn object of text.
func md(text string) string { return fmt.Sprintf(`{"type":"mrkdwn","text":%q}`, text) }

func rep(n int) string { return strings.Repeat("é", n) } // one character, two bytes

func button(text, actionID string) string {
	return fmt.Sprintf(`{"type":"button","text":%s,"action_id":%q,"value":"v"}`, text, actionID)
}

func repeatJSON(item string, n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = strings.ReplaceAll(item, "#", fmt.Sprint(i))
	}
	return strings.Join(items, ",")
}

func TestCheckMessage(t *testing.T) {
	tests := []struct {
		name, text, blocks string
		want               string // Slack's error code, "" when accepted
		wantPtr            string // a json-pointer the refusal names
	}{
		{"PlainSection", "hi", `[{"type":"section","text":` + md("hi") + `}]`, "", ""},
		{"TextOnly", "hi", ``, "", ""},
		{"Text40000", rep(40000), ``, "", ""},
		{"Text40001", rep(40001), ``, CodeMsgTooLong, "/text"},
		{"50Blocks", "", `[` + repeatJSON(`{"type":"divider"}`, 50) + `]`, "", ""},
		{"51Blocks", "", `[` + repeatJSON(`{"type":"divider"}`, 51) + `]`, CodeInvalidBlocks, "/blocks"},
		{"Section3000", "", `[{"type":"section","text":` + md(rep(3000)) + `}]`, "", ""},
		{"Section3001", "", `[{"type":"section","text":` + md(rep(3001)) + `}]`, CodeInvalidBlocks, "/blocks/0/text/text"},
		{"SectionEmptyText", "", `[{"type":"section","text":` + md("") + `}]`, CodeInvalidBlocks, "/blocks/0/text/text"},
		{"SectionNothing", "", `[{"type":"section"}]`, CodeInvalidBlocks, "/blocks/0"},
		{"10Fields", "", `[{"type":"section","fields":[` + repeatJSON(md("f#"), 10) + `]}]`, "", ""},
		{"11Fields", "", `[{"type":"section","fields":[` + repeatJSON(md("f#"), 11) + `]}]`, CodeInvalidBlocks, "/blocks/0/fields"},
		{"Field2001", "", `[{"type":"section","fields":[` + md(rep(2001)) + `]}]`, CodeInvalidBlocks, "/blocks/0/fields/0/text"},
		{"Header150", "", `[{"type":"header","text":` + pt(rep(150)) + `}]`, "", ""},
		{"Header151", "", `[{"type":"header","text":` + pt(rep(151)) + `}]`, CodeInvalidBlocks, "/blocks/0/text/text"},
		{"HeaderMrkdwn", "", `[{"type":"header","text":` + md("x") + `}]`, CodeInvalidBlocks, "/blocks/0/text/type"},
		{"Context11", "", `[{"type":"context","elements":[` + repeatJSON(md("c"), 11) + `]}]`, CodeInvalidBlocks, "/blocks/0/elements"},
		{"ContextEmpty", "", `[{"type":"context","elements":[]}]`, CodeInvalidBlocks, "/blocks/0/elements"},
		{"Actions25", "", `[{"type":"actions","elements":[` + repeatJSON(button(pt("b"), "a#"), 25) + `]}]`, "", ""},
		{"Actions26", "", `[{"type":"actions","elements":[` + repeatJSON(button(pt("b"), "a#"), 26) + `]}]`, CodeInvalidBlocks, "/blocks/0/elements"},
		{"BlockID255", "", `[{"type":"divider","block_id":"` + strings.Repeat("b", 255) + `"}]`, "", ""},
		{"BlockID256", "", `[{"type":"divider","block_id":"` + strings.Repeat("b", 256) + `"}]`, CodeInvalidBlocks, "/blocks/0/block_id"},
		{"DuplicateBlockID", "", `[{"type":"divider","block_id":"x"},{"type":"divider","block_id":"x"}]`, CodeInvalidBlocks, "/blocks/1/block_id"},
		{"ActionID256", "", `[{"type":"actions","elements":[` + button(pt("b"), strings.Repeat("a", 256)) + `]}]`, CodeInvalidBlocks, "/blocks/0/elements/0/action_id"},
		{"DuplicateActionID", "", `[{"type":"actions","elements":[` + button(pt("b"), "a") + `,` + button(pt("c"), "a") + `]}]`, CodeInvalidBlocks, "/blocks/0/elements/1/action_id"},
		{"SameActionIDOtherBlocks", "", `[{"type":"actions","elements":[` + button(pt("b"), "a") + `]},{"type":"actions","elements":[` + button(pt("c"), "a") + `]}]`, "", ""},
		{"ButtonText75", "", `[{"type":"actions","elements":[` + button(pt(rep(75)), "a") + `]}]`, "", ""},
		{"ButtonText76", "", `[{"type":"actions","elements":[` + button(pt(rep(76)), "a") + `]}]`, CodeInvalidBlocks, "/blocks/0/elements/0/text/text"},
		{"ButtonMrkdwn", "", `[{"type":"actions","elements":[` + button(md("b"), "a") + `]}]`, CodeInvalidBlocks, "/blocks/0/elements/0/text/type"},
		{"ButtonValue2001", "", `[{"type":"actions","elements":[{"type":"button","text":` + pt("b") + `,"value":"` + rep(2001) + `"}]}]`, CodeInvalidBlocks, "/blocks/0/elements/0/value"},
		{"ButtonURL3001", "", `[{"type":"actions","elements":[{"type":"button","text":` + pt("b") + `,"url":"` + rep(3001) + `"}]}]`, CodeInvalidBlocks, "/blocks/0/elements/0/url"},
		{"ButtonStyle", "", `[{"type":"actions","elements":[{"type":"button","text":` + pt("b") + `,"style":"green"}]}]`, CodeInvalidBlocks, "/blocks/0/elements/0/style"},
		{"Option76", "", `[{"type":"actions","elements":[{"type":"static_select","options":[{"text":` + pt(rep(76)) + `,"value":"v"}]}]}]`, CodeInvalidBlocks, "/blocks/0/elements/0/options/0/text/text"},
		{"OptionValue151", "", `[{"type":"actions","elements":[{"type":"static_select","options":[{"text":` + pt("o") + `,"value":"` + rep(151) + `"}]}]}]`, CodeInvalidBlocks, "/blocks/0/elements/0/options/0/value"},
		{"Options100", "", `[{"type":"actions","elements":[{"type":"static_select","options":[` + repeatJSON(`{"text":`+pt("o")+`,"value":"#"}`, 100) + `]}]}]`, "", ""},
		{"Options101", "", `[{"type":"actions","elements":[{"type":"static_select","options":[` + repeatJSON(`{"text":`+pt("o")+`,"value":"#"}`, 101) + `]}]}]`, CodeInvalidBlocks, "/blocks/0/elements/0/options"},
		{"Groups101", "", `[{"type":"actions","elements":[{"type":"static_select","option_groups":[` + repeatJSON(`{"label":`+pt("g")+`,"options":[{"text":`+pt("o")+`,"value":"#"}]}`, 101) + `]}]}]`, CodeInvalidBlocks, "/blocks/0/elements/0/option_groups"},
		{"Overflow6", "", `[{"type":"section","text":` + md("s") + `,"accessory":{"type":"overflow","options":[` + repeatJSON(`{"text":`+pt("o")+`,"value":"#"}`, 6) + `]}}]`, CodeInvalidBlocks, "/blocks/0/accessory/options"},
		{"ConfirmTitle101", "", `[{"type":"actions","elements":[{"type":"button","text":` + pt("b") + `,"confirm":{"title":` + pt(rep(101)) + `,"text":` + md("t") + `,"confirm":` + pt("y") + `,"deny":` + pt("n") + `}}]}]`, CodeInvalidBlocks, "/blocks/0/elements/0/confirm/title/text"},
		{"UnknownBlock", "", `[{"type":"sektion"}]`, CodeInvalidBlocks, "/blocks/0/type"},
		{"NotAnArray", "", `{"type":"divider"}`, CodeInvalidBlocks, "/blocks"},
		{"BlocksTextTooLong", "", `[` + repeatJSON(`{"type":"section","text":`+md(rep(2500))+`}`, 5) + `]`, CodeMsgBlocksTooLong, "/blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckMessage(tt.text, json.RawMessage(tt.blocks), nil)
			checkResult(t, err, tt.want, tt.wantPtr)
		})
	}
}

func TestCheckMessageAttachmentBlocks(t *testing.T) {
	err := CheckMessage("", nil, json.RawMessage(`[{"blocks":[{"type":"header","text":`+md("x")+`}]}]`))
	checkResult(t, err, CodeInvalidBlocks, "/attachments/0/blocks/0/text/type")
}

// modal is a modal with one plain_text_input whose element fields are extra.
func modal(extra string) string {
	return `{"type":"modal","title":` + pt("Add note") + `,"submit":` + pt("Save") + `,"blocks":[` +
		`{"type":"input","block_id":"note","label":` + pt("Note") + `,"element":{"type":"plain_text_input","action_id":"text"` + extra + `}}]}`
}

func TestCheckView(t *testing.T) {
	tests := []struct {
		name, view string
		want       string
		wantPtr    string
	}{
		{"Modal", modal(`,"max_length":3000,"min_length":1`), "", ""},
		{"MaxLength1", modal(`,"max_length":1`), "", ""},
		{"MaxLength3001", modal(`,"max_length":3001`), CodeInvalidArguments, "/view/blocks/0/element/max_length"},
		{"MaxLength25000", modal(`,"max_length":25000`), CodeInvalidArguments, "/view/blocks/0/element/max_length"},
		{"MaxLength0", modal(`,"max_length":0`), CodeInvalidArguments, "/view/blocks/0/element/max_length"},
		{"MaxLengthFraction", modal(`,"max_length":30.5`), CodeInvalidArguments, "/view/blocks/0/element/max_length"},
		{"MinLength3001", modal(`,"min_length":3001`), CodeInvalidArguments, "/view/blocks/0/element/min_length"},
		{"MinOverMax", modal(`,"min_length":10,"max_length":5`), CodeInvalidArguments, "/view/blocks/0/element/min_length"},
		{"Placeholder151", modal(`,"placeholder":` + pt(rep(151))), CodeInvalidArguments, "/view/blocks/0/element/placeholder/text"},
		{"PlaceholderMrkdwn", modal(`,"placeholder":` + md("p")), CodeInvalidArguments, "/view/blocks/0/element/placeholder/type"},
		{"Title24", `{"type":"modal","title":` + pt(rep(24)) + `,"blocks":[]}`, "", ""},
		{"Title25", `{"type":"modal","title":` + pt(rep(25)) + `,"blocks":[]}`, CodeInvalidArguments, "/view/title/text"},
		{"TitleMrkdwn", `{"type":"modal","title":` + md("t") + `,"blocks":[]}`, CodeInvalidArguments, "/view/title/type"},
		{"NoTitle", `{"type":"modal","blocks":[]}`, CodeInvalidArguments, "/view/title"},
		{"Submit25", `{"type":"modal","title":` + pt("t") + `,"submit":` + pt(rep(25)) + `,"blocks":[]}`, CodeInvalidArguments, "/view/submit/text"},
		{"Close25", `{"type":"modal","title":` + pt("t") + `,"close":` + pt(rep(25)) + `,"blocks":[]}`, CodeInvalidArguments, "/view/close/text"},
		{"InputWithoutSubmit", `{"type":"modal","title":` + pt("t") + `,"blocks":[{"type":"input","label":` + pt("l") + `,"element":{"type":"plain_text_input"}}]}`, CodeInvalidArguments, "/view/submit"},
		{"Metadata3001", `{"type":"modal","title":` + pt("t") + `,"private_metadata":"` + rep(3001) + `","blocks":[]}`, CodeInvalidArguments, "/view/private_metadata"},
		{"CallbackID256", `{"type":"modal","title":` + pt("t") + `,"callback_id":"` + rep(256) + `","blocks":[]}`, CodeInvalidArguments, "/view/callback_id"},
		{"Label2001", `{"type":"modal","title":` + pt("t") + `,"submit":` + pt("s") + `,"blocks":[{"type":"input","label":` + pt(rep(2001)) + `,"element":{"type":"plain_text_input"}}]}`, CodeInvalidArguments, "/view/blocks/0/label/text"},
		{"LabelMrkdwn", `{"type":"modal","title":` + pt("t") + `,"submit":` + pt("s") + `,"blocks":[{"type":"input","label":` + md("l") + `,"element":{"type":"plain_text_input"}}]}`, CodeInvalidArguments, "/view/blocks/0/label/type"},
		{"InputButton", `{"type":"modal","title":` + pt("t") + `,"submit":` + pt("s") + `,"blocks":[{"type":"input","label":` + pt("l") + `,"element":` + button(pt("b"), "a") + `}]}`, CodeInvalidArguments, "/view/blocks/0/element/type"},
		{"Home100", `{"type":"home","blocks":[` + repeatJSON(`{"type":"divider"}`, 100) + `]}`, "", ""},
		{"Home101", `{"type":"home","blocks":[` + repeatJSON(`{"type":"divider"}`, 101) + `]}`, CodeInvalidArguments, "/view/blocks"},
		{"Modal101", `{"type":"modal","title":` + pt("t") + `,"blocks":[` + repeatJSON(`{"type":"divider"}`, 101) + `]}`, CodeInvalidArguments, "/view/blocks"},
		{"WrongType", `{"type":"workflow_step","blocks":[]}`, CodeInvalidArguments, "/view/type"},
		{"NotJSON", `{`, CodeInvalidArguments, "/view"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkResult(t, CheckView(json.RawMessage(tt.view)), tt.want, tt.wantPtr)
		})
	}
}

func checkResult(t *testing.T, err error, want, wantPtr string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want a %s refusal", err, want)
	}
	if got := e.Code; got != want {
		t.Errorf("code = %q, want %q (%v)", got, want, err)
	}
	if !strings.Contains(err.Error(), "[json-pointer:"+wantPtr+"]") {
		t.Errorf("got %v, want a problem at %s", err, wantPtr)
	}
}
