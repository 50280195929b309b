package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)
var unknownField = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)

// yamlError turns the YAML library's messages into FILE:LINE: field: problem,
// the field as a path from the top (users[1].rol), and an unknown field
// with the known one it most likely meant.
func yamlError(name string, root *yaml.Node, err error) error {
	var te *yaml.TypeError
	var msgs []string
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var es Errors
	for _, m := range msgs {
		fe := FieldError{File: name, Field: "yaml", Msg: m}
		if sub := yamlLine.FindStringSubmatch(m); sub != nil {
			fe.Line, _ = strconv.Atoi(sub[1])
			fe.Msg = sub[2]
			if u := unknownField.FindStringSubmatch(sub[2]); u != nil {
				typ := strings.TrimPrefix(u[2], "config.")
				fe.Field = u[1]
				if p := pathOfKey(root, fe.Line, u[1]); p != "" {
					fe.Field = p
				}
				fe.Msg = "unknown field (in " + typ + ")"
				if near := nearestField(typ, u[1]); near != "" {
					fe.Msg += fmt.Sprintf(`: did you mean %q?`, near)
				}
			} else if p := pathOfKey(root, fe.Line, ""); p != "" {
				fe.Field = p
			}
		}
		es = append(es, fe)
	}
	return es
}

// pathOfKey names the mapping key written on line (with the name key, or
// any key whose value is on the same line when key is ""), as a path
// from the top: sip.ring_timeout, users[1].rol.
func pathOfKey(n *yaml.Node, line int, key string) string {
	if n == nil {
		return ""
	}
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			if p := pathOfKey(c, line, key); p != "" {
				return p
			}
		}
		return ""
	}
	return findKey(n, line, key, "")
}

func findKey(n *yaml.Node, line int, key, prefix string) string {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			if k.Line == line && (k.Value == key || key == "" && v.Line == line) {
				return path
			}
			if p := findKey(v, line, key, path); p != "" {
				return p
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if p := findKey(c, line, key, fmt.Sprintf("%s[%d]", prefix, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// schemaFields maps each struct type of the schema (by its Go name, as the
// YAML library names it in errors) to its YAML field names.
var schemaFields = func() map[string][]string {
	out := map[string][]string{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t.PkgPath() != reflect.TypeFor[Config]().PkgPath() {
			return
		}
		if _, seen := out[t.Name()]; seen {
			return
		}
		out[t.Name()] = nil
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			out[t.Name()] = append(out[t.Name()], name)
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[Config]())
	return out
}()

// nearestField is the field of the struct typ closest to the unknown
// name by edit distance, or "" when none is close enough to be a typo.
func nearestField(typ, name string) string {
	best, bestDist := "", len(name)/2+1
	if bestDist > 3 {
		bestDist = 3
	}
	for _, f := range schemaFields[typ] {
		if d := levenshtein(name, f); d <= bestDist && (best == "" || d < levenshtein(name, best)) {
			best = f
		}
	}
	return best
}

// levenshtein is the edit distance between a and b (insertions,
// deletions, substitutions).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
