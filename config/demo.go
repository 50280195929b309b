package config

import _ "embed"

//go:embed demo.yaml
var demoYAML []byte

// DemoYAML is the embedded demo configuration, as text.
func DemoYAML() []byte { return append([]byte(nil), demoYAML...) }

// Demo parses the embedded demo configuration.
func Demo() (*Config, error) { return Parse(demoYAML, DemoPath) }

// DemoPath is the Path of the embedded demo config.
const DemoPath = "<demo>"
