// Package pdcontract holds toban and its PagerDuty fake to PagerDuty's
// published REST API specification (spec/, see spec/SOURCES.md): every
// request must name an operation the spec has, carry the headers it
// requires (Accept, From where declared, Authorization) and a body that
// fits its schema with no field the schema does not name; every answer
// must fit the spec's response for its status. kin-openapi does the
// validating; this package adds the unknown-field rule (the spec's
// schemas leave additionalProperties open, so a misspelt or invented
// field would pass) and a short allowlist of the spec's own
// contradictions (allowlist.go).
//
// Tests attach it to the fake: fake.CheckContract(t, pdcontract.MustLoad(t)).
//
// It owns the specs and the check and imports no toban package; only tests
// import it.
package pdcontract

import (
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

//go:embed spec/pagerduty-rest-openapiv3.json.gz
var specGzip []byte

//go:embed spec/pagerduty-events-v2-openapiv3.json.gz
var eventsSpecGzip []byte

// specServer is the REST spec's server; requests are matched as if sent
// there. Events API requests (under eventsPrefix) are matched against the
// Events API v2 spec at eventsServer.
const (
	specServer   = "https://api.pagerduty.com"
	eventsServer = "https://events.pagerduty.com"
	eventsPrefix = "/v2/"
)

// Validator checks PagerDuty REST and Events API v2 traffic against the
// specifications. It is safe for concurrent use.
type Validator struct {
	doc    *openapi3.T
	router routers.Router
	events routers.Router
}

var load = sync.OnceValues(func() (*Validator, error) {
	data, err := gunzip(specGzip)
	if err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	if data, err = trim(data); err != nil {
		return nil, fmt.Errorf("trim spec: %w", err)
	}
	doc, router, err := route(data, specServer)
	if err != nil {
		return nil, err
	}
	events, err := gunzip(eventsSpecGzip)
	if err != nil {
		return nil, fmt.Errorf("read events spec: %w", err)
	}
	_, eventsRouter, err := route(events, eventsServer+"/v2")
	if err != nil {
		return nil, fmt.Errorf("events spec: %w", err)
	}
	return &Validator{doc: doc, router: router, events: eventsRouter}, nil
})

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// route loads a spec and routes requests to its operations as if sent to
// server.
func route(data []byte, server string) (*openapi3.T, routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, nil, fmt.Errorf("load spec: %w", err)
	}
	doc.Servers = openapi3.Servers{{URL: server}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("route spec: %w", err)
	}
	return doc, router, nil
}

// Load parses the vendored specification once per process (about a
// second) and returns the shared Validator.
func Load() (*Validator, error) { return load() }

// TB is the part of testing.TB MustLoad needs.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// MustLoad is Load for tests: it stops the test when the spec cannot be read.
func MustLoad(t TB) *Validator {
	t.Helper()
	v, err := Load()
	if err != nil {
		t.Fatalf("pdcontract: %v", err)
	}
	return v
}

// Violation is one way a request or answer breaks the specification.
type Violation struct {
	// Operation is "METHOD /path/template", or the concrete path when
	// the spec has no such operation.
	Operation string
	Problems  []string
}

func (v *Violation) Error() string {
	return "pagerduty contract: " + v.Operation + ": " + strings.Join(v.Problems, "; ")
}

// input finds the operation of r and builds kin-openapi's input for it.
func (v *Validator) input(r *http.Request, body []byte) (*openapi3filter.RequestValidationInput, string, error) {
	server, router := specServer, v.router
	if strings.HasPrefix(r.URL.Path, eventsPrefix) {
		server, router = eventsServer, v.events
	}
	u, err := url.Parse(server + r.URL.RequestURI())
	if err != nil {
		return nil, "", err
	}
	req := r.Clone(context.Background())
	req.URL, req.Host, req.RequestURI = u, u.Host, ""
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	route, params, err := router.FindRoute(req)
	if err != nil {
		return nil, r.Method + " " + r.URL.Path, fmt.Errorf("no such operation in PagerDuty's API (%v)", err)
	}
	op := r.Method + " " + route.Path
	opts := &openapi3filter.Options{
		MultiError: true,
		// The spec marks every Reference's id and type readOnly, yet a
		// request must name what it refers to by them (its own examples
		// do): readOnly cannot be enforced on this spec.
		ExcludeReadOnlyValidations: true,
		IncludeResponseStatus:      true,
		AuthenticationFunc:         checkAuth,
	}
	return &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}, op, nil
}

// checkAuth is the api_key scheme: an Authorization header of the form
// PagerDuty documents.
func checkAuth(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	if !strings.HasPrefix(h, "Token token=") && !strings.HasPrefix(h, "Bearer ") {
		return errors.New(`the Authorization header is missing or not "Token token=…"`)
	}
	return nil
}

// CheckRequest validates one request toban sent, body included (the
// caller has read it). It returns nil or a *Violation.
func (v *Validator) CheckRequest(r *http.Request, body []byte) error {
	in, op, err := v.input(r, body)
	if err != nil {
		return &Violation{Operation: op, Problems: []string{err.Error()}}
	}
	var problems []string
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		problems = append(problems, flatten(err)...)
	}
	if rb := in.Route.Operation.RequestBody; rb != nil && rb.Value != nil && len(body) > 0 {
		if mt := rb.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
			problems = append(problems, unknownFields(mt.Schema, body)...)
		}
	}
	return v.verdict(op, "request", problems)
}

// CheckResponse validates the answer given to r: its status must be one
// the operation documents, and its body must fit that status's schema.
func (v *Validator) CheckResponse(r *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	in, op, err := v.input(r, reqBody)
	if err != nil {
		return &Violation{Operation: op, Problems: []string{err.Error()}}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header, Options: in.Options}
	out.SetBodyBytes(sample(body))
	var problems []string
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		problems = append(problems, flatten(err)...)
	}
	return v.verdict(op, fmt.Sprintf("response %d", status), problems)
}

// sampleItems is how many items of each list in an answer are checked.
const sampleItems = 3

// sample cuts the lists of an answer (the top-level array, or arrays
// directly under the top-level object, like "incidents") to their first
// sampleItems items. Validating 100 incidents against PagerDuty's schemas
// takes long enough under -race to time the client out, and the fake
// renders every item of a list with the same code.
func sample(body []byte) []byte {
	var arr []json.RawMessage
	if json.Unmarshal(body, &arr) == nil {
		if len(arr) <= sampleItems {
			return body
		}
		b, _ := json.Marshal(arr[:sampleItems])
		return b
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return body
	}
	for k, v := range obj {
		if json.Unmarshal(v, &arr) == nil && len(arr) > sampleItems {
			obj[k], _ = json.Marshal(arr[:sampleItems])
		}
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return body
	}
	return b
}

// verdict drops the allowlisted problems and returns the rest as a
// Violation, or nil.
func (v *Validator) verdict(op, what string, problems []string) error {
	var left []string
	for _, p := range problems {
		if !allowed(op, what, p) {
			left = append(left, what+": "+p)
		}
	}
	if len(left) == 0 {
		return nil
	}
	return &Violation{Operation: op, Problems: left}
}

// flatten turns kin-openapi's nested errors into one line per problem.
func flatten(err error) []string {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		var out []string
		for _, e := range me {
			out = append(out, flatten(e)...)
		}
		return out
	}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) && re.Err != nil {
		prefix := "body"
		if re.Parameter != nil {
			prefix = re.Parameter.In + " " + re.Parameter.Name
		}
		var inner []string
		for _, p := range flatten(re.Err) {
			inner = append(inner, prefix+": "+p)
		}
		return inner
	}
	var rs *openapi3filter.ResponseError
	if errors.As(err, &rs) && rs.Err != nil {
		return flatten(rs.Err)
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return []string{"at /" + strings.Join(se.JSONPointer(), "/") + ": " + se.Reason}
	}
	return []string{strings.ReplaceAll(err.Error(), "\n", " ")}
}
