package taskfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var yamlLine = regexp.MustCompile(`line (\d+)`)

// readYAML reads a list of task mappings, or a mapping whose one key, tasks,
// holds it. Each record's line is where its mapping starts.
func readYAML(data []byte) (recs []record, errs []RowError) {
	defer func() {
		if p := recover(); p != nil { // the YAML library has panicked on odd input before
			recs, errs = nil, []RowError{{Msg: "The file is not valid YAML."}}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, nil
	} else if err != nil {
		return nil, []RowError{yamlError(err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, []RowError{{Line: extra.Line, Msg: "The file holds more than one YAML document; put every task in one list."}}
	} else if !errors.Is(err, io.EOF) {
		return nil, []RowError{yamlError(err)}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	list := deref(doc.Content[0])
	if list.Kind == yaml.MappingNode {
		if len(list.Content) != 2 || strings.ToLower(list.Content[0].Value) != "tasks" {
			return nil, []RowError{{Line: list.Line, Msg: "Expected a list of tasks, or tasks: followed by one."}}
		}
		list = deref(list.Content[1])
	}
	switch {
	case list.Kind == yaml.ScalarNode && list.ShortTag() == "!!null":
		return nil, nil
	case list.Kind != yaml.SequenceNode:
		return nil, []RowError{{Line: list.Line, Msg: "Expected a list of tasks, each starting with \"- title:\"."}}
	}
	for _, item := range list.Content {
		item = deref(item)
		if item.Kind != yaml.MappingNode {
			errs = append(errs, RowError{Line: item.Line, Msg: "Each task must be a set of field: value lines (title, channel, schedule, ...)."})
			continue
		}
		rec := record{line: item.Line, fields: make(map[string]string, len(item.Content)/2)}
		for i := 0; i+1 < len(item.Content); i += 2 {
			key, value := deref(item.Content[i]), deref(item.Content[i+1])
			name := strings.ToLower(strings.TrimSpace(key.Value))
			switch _, seen := rec.fields[name]; {
			case key.Kind != yaml.ScalarNode || !isColumn(name):
				errs = append(errs, RowError{Line: item.Line, Field: key.Value,
					Msg: "Unknown field; use " + strings.Join(columns, ", ") + "."})
			case seen:
				errs = append(errs, RowError{Line: item.Line, Field: name, Msg: "The field is given twice."})
			case value.Kind != yaml.ScalarNode:
				errs = append(errs, RowError{Line: item.Line, Field: name, Msg: "Expected a single value, not a list or mapping."})
			case value.ShortTag() == "!!null":
				rec.fields[name] = ""
			default:
				rec.fields[name] = value.Value
			}
		}
		recs = append(recs, rec)
	}
	return recs, errs
}

// deref follows an alias to its anchor; YAML aliases cannot nest deeper than
// what they point at, so one step is enough.
func deref(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// yamlError turns a syntax error into a RowError at its line.
func yamlError(err error) RowError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := RowError{Msg: "The file is not valid YAML: " + msg + "."}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		msg = strings.TrimPrefix(msg, m[0]+": ")
		e.Msg = "The file is not valid YAML: " + msg + "."
		if parserProblem(msg) {
			e.Line++ // the library counts parser (not scanner) errors from 0
		}
	}
	return e
}

// parserProblem reports whether msg is one of the YAML library's parser
// errors, whose line it reports counting from 0 (scanner errors count from
// 1).
func parserProblem(msg string) bool {
	for _, p := range []string{"did not find expected", "found duplicate %", "found incompatible YAML", "found undefined tag handle"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// writeYAML writes the rows under tasks:, leaving out empty description,
// grace and escalation.
func writeYAML(w io.Writer, rows []Row) error {
	list := &yaml.Node{Kind: yaml.SequenceNode}
	for i, row := range rows {
		values, err := rowValues(row)
		if err != nil {
			return fmt.Errorf("task %d: %w", i+1, err)
		}
		item := &yaml.Node{Kind: yaml.MappingNode}
		for j, col := range columns {
			v := values[j]
			if v == "" || col == "escalation" && v == EscalationNone {
				continue
			}
			item.Content = append(item.Content, str(col), str(v))
		}
		list.Content = append(list.Content, item)
	}
	if len(rows) == 0 {
		list.Style = yaml.FlowStyle // tasks: []
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{str("tasks"), list}}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return err
	}
	return enc.Close()
}

func str(s string) *yaml.Node {
	n := &yaml.Node{}
	n.SetString(s)
	return n
}
