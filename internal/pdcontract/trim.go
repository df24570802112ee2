package pdcontract

import (
	"encoding/json"
	"fmt"
	"strings"
)

// usedPaths are the operations' paths toban and its fake use. Only these
// are loaded: the full spec has broken parts elsewhere (a requestBody that
// refers to a response, for one) that kin-openapi refuses to load, and a
// request to any other path is reported as unknown, so a new PagerDuty
// call is added here on purpose.
var usedPaths = []string{
	"/users", "/users/{id}",
	"/services", "/services/{id}",
	"/escalation_policies", "/escalation_policies/{id}",
	"/schedules", "/schedules/{id}", "/schedules/{id}/users",
	"/schedules/{id}/overrides", "/schedules/{id}/overrides/{override_id}",
	"/oncalls",
	"/incidents", "/incidents/{id}", "/incidents/{id}/notes", "/incidents/{id}/log_entries",
	"/incidents/{id}/status_updates", "/incidents/{id}/responder_requests", "/incidents/{id}/snooze",
	"/priorities",
	"/log_entries", "/log_entries/{id}",
	"/maintenance_windows", "/maintenance_windows/{id}",
	"/automation_actions/actions/{id}/invocations", "/automation_actions/invocations/{id}",
}

// trim keeps usedPaths and the components they refer to, directly or not.
func trim(data []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	paths, _ := doc["paths"].(map[string]any)
	comps, _ := doc["components"].(map[string]any)
	keptPaths := map[string]any{}
	keptComps := map[string]map[string]any{}
	var visit func(v any)
	visit = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				seg := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
				if len(seg) >= 2 {
					kind, name := seg[0], seg[1]
					if keptComps[kind] == nil {
						keptComps[kind] = map[string]any{}
					}
					if _, done := keptComps[kind][name]; !done {
						group, _ := comps[kind].(map[string]any)
						keptComps[kind][name] = group[name]
						visit(group[name])
					}
				}
			}
			for _, c := range v {
				visit(c)
			}
		case []any:
			for _, c := range v {
				visit(c)
			}
		}
	}
	for _, p := range usedPaths {
		item, ok := paths[p]
		if !ok {
			return nil, fmt.Errorf("spec has no path %s", p)
		}
		keptPaths[p] = item
		visit(item)
	}
	out := map[string]any{}
	for k, v := range keptComps {
		out[k] = v
	}
	out["securitySchemes"] = comps["securitySchemes"]
	doc["paths"], doc["components"] = keptPaths, out
	delete(doc, "x-tagGroups")
	return json.Marshal(doc)
}
