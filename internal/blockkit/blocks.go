package blockkit

import (
	"encoding/json"
	"fmt"
)

// block checks one layout block and the elements in it.
func (c *checker) block(ptr string, v any) {
	b, ok := v.(map[string]any)
	if !ok {
		c.bad(ptr, "block must be an object")
		return
	}
	if id, ok := c.id(ptr+"/block_id", b["block_id"]); ok {
		if c.blockIDs[id] {
			c.bad(ptr+"/block_id", "duplicate block_id %q", id)
		}
		c.blockIDs[id] = true
	}
	actionIDs := map[string]bool{}
	elem := func(p string, e any, allowed map[string]bool) {
		c.element(p, e, allowed, actionIDs)
	}
	typ, _ := b["type"].(string)
	switch typ {
	case "section":
		if b["text"] == nil && b["fields"] == nil {
			c.bad(ptr, "a section needs text or fields")
		}
		c.text(ptr+"/text", b["text"], false, false, 3000)
		if b["fields"] != nil {
			fields, ok := b["fields"].([]any)
			switch {
			case !ok:
				c.bad(ptr+"/fields", "must be an array")
			case len(fields) == 0 || len(fields) > 10:
				c.bad(ptr+"/fields", "must hold 1 to 10 items, has %d", len(fields))
			}
			for i, f := range fields {
				c.text(fmt.Sprintf("%s/fields/%d", ptr, i), f, true, false, 2000)
			}
		}
		if b["accessory"] != nil {
			elem(ptr+"/accessory", b["accessory"], accessoryTypes)
		}
	case "header":
		c.text(ptr+"/text", b["text"], true, true, 150)
	case "divider":
	case "context":
		list, ok := b["elements"].([]any)
		if !ok || len(list) == 0 || len(list) > 10 {
			c.bad(ptr+"/elements", "must hold 1 to 10 items, has %d", len(list))
		}
		for i, e := range list {
			p := fmt.Sprintf("%s/elements/%d", ptr, i)
			if m, isObj := e.(map[string]any); isObj && m["type"] == "image" {
				c.image(p, m)
			} else {
				c.text(p, e, true, false, 3000)
			}
		}
	case "actions":
		list, ok := b["elements"].([]any)
		if !ok || len(list) == 0 || len(list) > 25 {
			c.bad(ptr+"/elements", "must hold 1 to 25 items, has %d", len(list))
		}
		for i, e := range list {
			elem(fmt.Sprintf("%s/elements/%d", ptr, i), e, actionTypes)
		}
	case "input":
		c.text(ptr+"/label", b["label"], true, true, 2000)
		c.text(ptr+"/hint", b["hint"], false, true, 2000)
		if b["element"] == nil {
			c.bad(ptr+"/element", "is required")
		} else {
			elem(ptr+"/element", b["element"], inputTypes)
		}
	case "image":
		c.image(ptr, b)
		c.text(ptr+"/title", b["title"], false, true, 2000)
	case "markdown":
		if s, ok := b["text"].(string); !ok || runes(s) == 0 || runes(s) > 12000 {
			c.bad(ptr+"/text", "must be 1 to 12000 characters")
		} else {
			c.textChars += runes(s)
		}
	case "rich_text", "file", "video":
		// Shapes toban does not send; Slack checks them in ways not
		// modelled here.
	default:
		c.bad(ptr+"/type", "unknown block type %q", typ)
	}
}

// Element types each block accepts.
var (
	selectTypes = []string{"static_select", "external_select", "users_select", "conversations_select",
		"channels_select", "multi_static_select", "multi_external_select", "multi_users_select",
		"multi_conversations_select", "multi_channels_select"}
	accessoryTypes = set(append(selectTypes, "button", "overflow", "datepicker", "timepicker",
		"image", "checkboxes", "radio_buttons")...)
	actionTypes = set(append(selectTypes, "button", "overflow", "datepicker", "timepicker",
		"datetimepicker", "checkboxes", "radio_buttons")...)
	inputTypes = set(append(selectTypes, "plain_text_input", "datepicker", "timepicker",
		"datetimepicker", "checkboxes", "radio_buttons", "email_text_input", "url_text_input",
		"number_input", "rich_text_input", "file_input")...)
)

func set(xs ...string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func (c *checker) image(ptr string, m map[string]any) {
	if m["image_url"] == nil && m["slack_file"] == nil {
		c.bad(ptr+"/image_url", "is required")
	}
	c.str(ptr+"/image_url", m["image_url"], 3000)
	if s, ok := m["alt_text"].(string); !ok || runes(s) == 0 {
		c.bad(ptr+"/alt_text", "is required")
	}
	c.str(ptr+"/alt_text", m["alt_text"], 2000)
}

// element checks an interactive element; actionIDs are those already used
// in its block.
func (c *checker) element(ptr string, v any, allowed, actionIDs map[string]bool) {
	e, ok := v.(map[string]any)
	if !ok {
		c.bad(ptr, "element must be an object")
		return
	}
	typ, _ := e["type"].(string)
	if !allowed[typ] {
		c.bad(ptr+"/type", "element type %q is not allowed here", typ)
		return
	}
	if typ == "image" {
		c.image(ptr, e)
		return
	}
	if id, ok := c.id(ptr+"/action_id", e["action_id"]); ok {
		if actionIDs[id] {
			c.bad(ptr+"/action_id", "duplicate action_id %q", id)
		}
		actionIDs[id] = true
	}
	c.text(ptr+"/placeholder", e["placeholder"], false, true, 150)
	if e["confirm"] != nil {
		c.confirm(ptr+"/confirm", e["confirm"])
	}
	switch typ {
	case "button":
		c.text(ptr+"/text", e["text"], true, true, 75)
		c.str(ptr+"/value", e["value"], 2000)
		c.str(ptr+"/url", e["url"], 3000)
		if s, has := e["style"]; has && s != "primary" && s != "danger" {
			c.bad(ptr+"/style", "must be primary or danger")
		}
	case "plain_text_input":
		c.lengths(ptr, e)
		c.str(ptr+"/initial_value", e["initial_value"], 3000)
	case "overflow":
		c.options(ptr+"/options", e["options"], 1, 5, true, true)
	case "radio_buttons", "checkboxes":
		c.options(ptr+"/options", e["options"], 1, 10, true, false)
	case "static_select", "multi_static_select":
		if e["options"] != nil && e["option_groups"] != nil {
			c.bad(ptr, "options and option_groups cannot both be set")
		}
		if e["options"] == nil && e["option_groups"] == nil {
			c.bad(ptr, "options or option_groups are required")
		}
		if e["options"] != nil {
			c.options(ptr+"/options", e["options"], 1, 100, true, true)
		}
		if e["option_groups"] != nil {
			c.groups(ptr+"/option_groups", e["option_groups"])
		}
	}
}

// lengths checks plain_text_input's min_length and max_length: Slack
// refuses a max_length outside 1–3000 and a min_length outside 0–3000.
func (c *checker) lengths(ptr string, e map[string]any) {
	get := func(key string) (int64, bool) {
		v, has := e[key]
		if !has {
			return 0, false
		}
		n, isNum := v.(json.Number)
		i, err := n.Int64()
		if !isNum || err != nil {
			c.bad(ptr+"/"+key, "must be an integer")
			return 0, false
		}
		return i, true
	}
	maxLen, hasMax := get("max_length")
	minLen, hasMin := get("min_length")
	if hasMax && (maxLen < 1 || maxLen > 3000) {
		c.bad(ptr+"/max_length", "must be between 1 and 3000, is %d", maxLen)
	}
	if hasMin && (minLen < 0 || minLen > 3000) {
		c.bad(ptr+"/min_length", "must be between 0 and 3000, is %d", minLen)
	}
	if hasMin && hasMax && minLen > maxLen {
		c.bad(ptr+"/min_length", "must not exceed max_length")
	}
}

// options checks an options array of minN to maxN options.
func (c *checker) options(ptr string, v any, minN, maxN int, required, plainOnly bool) {
	list, ok := v.([]any)
	if !ok {
		if required {
			c.bad(ptr, "must be an array")
		}
		return
	}
	if len(list) < minN || len(list) > maxN {
		c.bad(ptr, "must hold %d to %d items, has %d", minN, maxN, len(list))
	}
	for i, o := range list {
		p := fmt.Sprintf("%s/%d", ptr, i)
		m, isObj := o.(map[string]any)
		if !isObj {
			c.bad(p, "option must be an object")
			continue
		}
		c.text(p+"/text", m["text"], true, plainOnly, 75)
		if s, isStr := m["value"].(string); !isStr || s == "" {
			c.bad(p+"/value", "is required")
		}
		c.str(p+"/value", m["value"], 150)
		c.text(p+"/description", m["description"], false, plainOnly, 75)
		c.str(p+"/url", m["url"], 3000)
	}
}

func (c *checker) groups(ptr string, v any) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 || len(list) > 100 {
		c.bad(ptr, "must hold 1 to 100 groups")
	}
	for i, g := range list {
		p := fmt.Sprintf("%s/%d", ptr, i)
		m, _ := g.(map[string]any)
		c.text(p+"/label", m["label"], true, true, 75)
		c.options(p+"/options", m["options"], 1, 100, true, true)
	}
}

// confirm checks a confirmation dialog object.
func (c *checker) confirm(ptr string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		c.bad(ptr, "must be an object")
		return
	}
	c.text(ptr+"/title", m["title"], true, true, 100)
	c.text(ptr+"/text", m["text"], true, false, 300)
	c.text(ptr+"/confirm", m["confirm"], true, true, 30)
	c.text(ptr+"/deny", m["deny"], true, true, 30)
	if s, has := m["style"]; has && s != "primary" && s != "danger" {
		c.bad(ptr+"/style", "must be primary or danger")
	}
}
