package api

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/dialtone/dialtone/config"
	"github.com/dialtone/dialtone/dialer"
	"github.com/dialtone/dialtone/internal/kv"
)

var routePattern = regexp.MustCompile(`^(GET|POST|PUT|PATCH|DELETE) /v1/\S*$`)

// registeredRoutes finds every "METHOD /v1/..." pattern passed to a
// Handle or HandleFunc in the module's code (tests and test/ aside).
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	root := ".."
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "test" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if p, _ := strconv.Unquote(lit.Value); routePattern.MatchString(p) {
				out = append(out, p)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOpenAPIListsEveryRoute(t *testing.T) {
	routes := registeredRoutes(t)
	if len(routes) < 30 {
		t.Fatalf("found only %d routes: %v", len(routes), routes)
	}
	raw, err := json.Marshal(openAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	documented := 0
	for _, ops := range doc.Paths {
		documented += len(ops)
	}
	for _, r := range routes {
		method, path, _ := strings.Cut(r, " ")
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %q is registered but not in the OpenAPI document", r)
		}
	}
	slices.Sort(routes)
	if n := len(slices.Compact(routes)); documented != n {
		t.Errorf("the document has %d operations, the code registers %d: remove the ones that are gone", documented, n)
	}
}

const dialerAuthConfig = `organization: {id: acme}
http:
  listen: 127.0.0.1:0
  tokens: [org-token-1]
roles:
  - {name: agent, permissions: [calls.outbound, dialer]}
  - {name: staff, permissions: [calls.outbound]}
users:
  - {extension: "1001", password: alice-secret, role: agent, api_token: agent-token-1, caller_ids: ["+12125550100"]}
  - {extension: "1002", password: bob-secret-2, role: staff, api_token: staff-token-1}
trunks:
  - {name: carrier, address: 127.0.0.1:5080}
`

func TestDialerRoutesNeedTheDialerPermission(t *testing.T) {
	cfg, err := config.Parse([]byte(dialerAuthConfig), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "dialtone.db"), 0o600, &bbolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	running := new(atomic.Pointer[config.Config])
	running.Store(cfg)
	d, err := dialer.New(dialer.Options{Store: kv.NewBolt(db), Directory: dialer.ConfigDirectory{Config: running.Load}})
	if err != nil {
		t.Fatal(err)
	}
	api, err := New(NewAuth(cfg), Services{Dialer: d})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	tests := []struct {
		token, method, path string
		want                int
	}{
		{"org-token-1", "GET", "/v1/campaigns", 200},
		{"agent-token-1", "GET", "/v1/campaigns", 200},
		{"agent-token-1", "GET", "/v1/dnc", 200},
		{"staff-token-1", "GET", "/v1/campaigns", 403},
		{"staff-token-1", "POST", "/v1/dnc", 403},
		{"agent-token-1", "GET", "/v1/cdrs", 403}, // the rest of the API: organization tokens
		{"", "GET", "/v1/campaigns", 401},
		{"staff-token-1", "GET", "/v1/openapi.json", 200},
		{"", "GET", "/v1/openapi.json", 401},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader("[]"))
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s with %q: %d, want %d", tt.method, tt.path, tt.token, resp.StatusCode, tt.want)
		}
	}
}
