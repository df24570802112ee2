package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"regexp"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestDeployFilesMatchConfig keeps deploy/ true: every file parses, every
// variable it sets is one toban reads, and the Kubernetes probes use the
// endpoints toban serves.
func TestDeployFilesMatchConfig(t *testing.T) {
	known := map[string]bool{}
	for _, e := range envVars {
		known[e.Name] = true
	}
	compose := decodeAll(t, "../../deploy/compose.yaml")
	env, _ := dig(compose[0], "services", "toban", "environment").(map[string]any)
	if len(env) == 0 {
		t.Fatal("compose.yaml: services.toban.environment is empty")
	}
	for name := range env {
		if !known[name] {
			t.Errorf("compose.yaml sets %s, which toban does not read", name)
		}
	}
	if got := dig(compose[0], "services", "toban", "deploy", "replicas"); got != 2 {
		t.Errorf("compose.yaml runs %v replicas, want 2", got)
	}

	docs := decodeAll(t, "../../deploy/kubernetes/toban.yaml")
	kinds := map[string]bool{}
	for _, d := range docs {
		kinds[dig(d, "kind").(string)] = true
	}
	for _, want := range []string{"Deployment", "PodDisruptionBudget", "Service"} {
		if !kinds[want] {
			t.Errorf("toban.yaml has no %s", want)
		}
	}
	container := dig(docs[0], "spec", "template", "spec", "containers").([]any)[0]
	for _, e := range dig(container, "env").([]any) {
		if name := dig(e, "name").(string); !known[name] {
			t.Errorf("toban.yaml sets %s, which toban does not read", name)
		}
	}
	for probe, path := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
		if got := dig(container, probe, "httpGet", "path"); got != path {
			t.Errorf("%s path = %v, want %s", probe, got, path)
		}
	}
	raw, _ := os.ReadFile("../../deploy/kubernetes/toban.yaml")
	for _, m := range regexp.MustCompile(`--from-literal=([A-Z_]+)=`).FindAllSubmatch(raw, -1) {
		if !known[string(m[1])] {
			t.Errorf("toban.yaml's Secret has %s, which toban does not read", m[1])
		}
	}
}

func decodeAll(t *testing.T, path string) []any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var docs []any
	for {
		var d any
		if err := dec.Decode(&d); errors.Is(err, io.EOF) {
			return docs
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		docs = append(docs, d)
	}
}

// dig walks nested maps by key; nil when a key is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
