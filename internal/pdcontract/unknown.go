package pdcontract

import (
	"encoding/json"
	"sort"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
)

// unknownFields lists the fields of a JSON body that its schema does not
// name. PagerDuty's schemas leave additionalProperties unset (so anything
// validates) and compose objects with allOf, so the rule cannot be a
// schema flag: at each object, the fields named by the schema and all its
// allOf/oneOf/anyOf parts are known, and an object whose schema names no
// fields, or allows additional ones explicitly, is free-form.
func unknownFields(ref *openapi3.SchemaRef, body []byte) []string {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil // kin-openapi reports the syntax
	}
	var out []string
	walk([]*openapi3.SchemaRef{ref}, v, "", &out)
	sort.Strings(out)
	return out
}

// parts returns the schemas refs stand for, with their composed parts.
func parts(refs []*openapi3.SchemaRef) []*openapi3.Schema {
	var out []*openapi3.Schema
	var add func(r *openapi3.SchemaRef, depth int)
	add = func(r *openapi3.SchemaRef, depth int) {
		if r == nil || r.Value == nil || depth > 16 {
			return
		}
		s := r.Value
		out = append(out, s)
		for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
			for _, p := range group {
				add(p, depth+1)
			}
		}
	}
	for _, r := range refs {
		add(r, 0)
	}
	return out
}

func walk(refs []*openapi3.SchemaRef, v any, at string, out *[]string) {
	schemas := parts(refs)
	switch v := v.(type) {
	case map[string]any:
		named, open := false, false
		for _, s := range schemas {
			named = named || len(s.Properties) > 0
			ap := s.AdditionalProperties
			open = open || (ap.Has != nil && *ap.Has) || ap.Schema != nil
		}
		for key, child := range v {
			var sub []*openapi3.SchemaRef
			for _, s := range schemas {
				if p := s.Properties[key]; p != nil {
					sub = append(sub, p)
				}
			}
			if len(sub) == 0 {
				if named && !open {
					*out = append(*out, "body: at "+at+"/"+key+": field not in PagerDuty's schema")
				}
				continue
			}
			walk(sub, child, at+"/"+key, out)
		}
	case []any:
		var items []*openapi3.SchemaRef
		for _, s := range schemas {
			if s.Items != nil {
				items = append(items, s.Items)
			}
		}
		for i, child := range v {
			walk(items, child, at+"/"+strconv.Itoa(i), out)
		}
	}
}
