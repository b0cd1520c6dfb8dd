package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/authorizer"
	"github.com/portico-gw/portico/internal/route"
	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/ratelimit"
	"github.com/portico-gw/portico/pkg/transcode"
)

// kind is the kind of a configuration document.
type kind string

// Kinds of documents, by the name a user gives them on the command line.
const (
	kindRoutes      kind = "routes"
	kindLimits      kind = "limits"
	kindAuth        kind = "auth"
	kindPolicy      kind = "policy"
	kindDescriptors kind = "descriptors"
)

var kindNames = map[kind]string{
	"":              "document",
	kindRoutes:      "route table",
	kindLimits:      "limits document",
	kindAuth:        "authorizer settings",
	kindPolicy:      "mesh traffic policy",
	kindDescriptors: "gRPC descriptor set",
}

// document is one file named on the command line.
type document struct {
	path string
	kind kind
	// name is a descriptor set's name: the one gRPC routes use
	// ("descriptors": "payments"), from name=file or the file's base name.
	name string
	data []byte
	// detectErr says why the kind of a file named without one could not be
	// told; kind is then empty.
	detectErr error
}

// readDocument reads spec, "[kind:]path" or, for descriptor sets,
// "[descriptors:][name=]path"; without a kind, the kind is told from the
// file's extension (.pb, .binpb, .protoset: a descriptor set) or its JSON.
func readDocument(spec string) (document, error) {
	d := document{path: spec}
	if k, rest, ok := strings.Cut(spec, ":"); ok {
		if _, known := kindNames[kind(k)]; known {
			d.kind, d.path = kind(k), rest
		}
	}
	if d.kind == kindDescriptors || d.kind == "" && isDescriptorFile(d.path) {
		d.kind = kindDescriptors
		if name, p, ok := strings.Cut(d.path, "="); ok {
			d.name, d.path = name, p
		} else {
			base := filepath.Base(d.path)
			d.name = strings.TrimSuffix(base, filepath.Ext(base))
		}
	}
	data, err := os.ReadFile(d.path)
	if err != nil {
		return d, usageError("%v", err)
	}
	d.data = data
	if d.kind == "" {
		d.kind, d.detectErr = detectKind(data)
	}
	return d, nil
}

func isDescriptorFile(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".pb", ".binpb", ".protoset", ".desc":
		return true
	}
	return false
}

// detectKind tells a JSON document's kind by its top-level fields: issuers
// (authorizer settings), rules (limits), version with routes (route table),
// else a mesh policy.
func detectKind(data []byte) (kind, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return "", fmt.Errorf("not a JSON object (%s); name the kind as routes:FILE, limits:FILE, auth:FILE, policy:FILE or descriptors:FILE", jsonProblem(data, err))
	}
	switch _, hasVersion := top["version"]; {
	case top["issuers"] != nil:
		return kindAuth, nil
	case top["rules"] != nil:
		return kindLimits, nil
	case top["routes"] != nil && hasVersion:
		return kindRoutes, nil
	}
	return kindPolicy, nil
}

// jsonProblem describes a JSON error with the line and column it is at, when
// the error says where.
func jsonProblem(data []byte, err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var off int64 = -1
	switch {
	case errors.As(err, &syntax):
		off = syntax.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err.Error()
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}

// parsed holds the documents that parsed, by kind, for the cross-checks and
// the other commands.
type parsed struct {
	routes      *route.Table
	routesPath  string
	limits      []ratelimit.Rule
	limitsPath  string
	auth        *authorizer.Settings
	authPath    string
	descriptors map[string]*transcode.Descriptors
	// integration is API Gateway's integration timeout the route timeouts
	// must fit behind (the API's integration_timeout_ms).
	integration time.Duration
}

// parse checks d with its kind's parser (the functions' own), records it in
// p, and returns a one-line summary or the problem.
func (p *parsed) parse(d document) (string, []string, error) {
	if d.detectErr != nil {
		return "", nil, d.detectErr
	}
	switch d.kind {
	case kindRoutes:
		if err := syntaxCheck(d.data); err != nil {
			return "", nil, err
		}
		t, err := route.Parse(d.data)
		if err != nil {
			return "", nil, errors.New(strings.TrimPrefix(err.Error(), route.ErrInvalid.Error()+": "))
		}
		p.routes, p.routesPath = t, d.path
		// The API's integration timeout is not in the document (-integration-timeout,
		// API Gateway's default otherwise): a misfit is a warning here, and the
		// provider refuses it at plan time, knowing the API's setting.
		integration := p.integration
		if integration == 0 {
			integration = route.APIGatewayTimeout
		}
		return fmt.Sprintf("%d routes, %d permissions", t.Len(), len(t.Document().Permissions)), t.TimeoutProblems(integration), nil
	case kindLimits:
		if err := syntaxCheck(d.data); err != nil {
			return "", nil, err
		}
		rules, err := ratelimit.ParseDocument(d.data)
		if err != nil {
			return "", nil, errors.New(strings.TrimPrefix(err.Error(), ratelimit.ErrConfig.Error()+": "))
		}
		p.limits, p.limitsPath = rules, d.path
		return fmt.Sprintf("%d rules", len(rules)), nil, nil
	case kindAuth:
		if err := syntaxCheck(d.data); err != nil {
			return "", nil, err
		}
		s, err := authorizer.Check(d.data)
		if err != nil {
			return "", nil, errors.New(strings.TrimPrefix(err.Error(), "authorizer: settings: "))
		}
		p.auth, p.authPath = &s, d.path
		return fmt.Sprintf("%d issuers", len(s.Issuers)), nil, nil
	case kindPolicy:
		if _, err := mesh.ParsePolicy(d.data); err != nil {
			return "", nil, err
		}
		return "valid", nil, nil
	case kindDescriptors:
		if !route.ValidDescriptorsName(d.name) {
			return "", nil, fmt.Errorf("name %q: a descriptor set's name is 1 to 64 letters, digits, '-', '_' or '.'; give one as NAME=%s", d.name, d.path)
		}
		set, err := transcode.Load(d.data)
		if err != nil {
			return "", nil, err
		}
		if p.descriptors == nil {
			p.descriptors = map[string]*transcode.Descriptors{}
		}
		p.descriptors[d.name] = set
		return fmt.Sprintf("set %q, services %s", d.name, strings.Join(set.Services(), ", ")), nil, nil
	}
	return "", nil, fmt.Errorf("unknown kind %q", d.kind)
}

// syntaxCheck reports a JSON syntax error with its line and column, which the
// parsers' own messages leave out.
func syntaxCheck(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return errors.New(jsonProblem(data, err))
	}
	return nil
}
