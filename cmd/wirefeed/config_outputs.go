package main

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/wirefeed/wirefeed/feedout"
)

// outputNameRE: an output's name is a path segment and a file name.
var outputNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// validateOutputs checks [exclude], [[outputs]] and [static].
func (c *Config) validateOutputs() []string {
	var ps []string
	ps = append(ps, c.validateRules("exclude", c.Exclude)...)
	names := map[string]int{}
	for i, o := range c.Outputs {
		key := fmt.Sprintf("outputs[%d]", i)
		switch j, dup := names[o.Name]; {
		case o.Name == "":
			ps = append(ps, c.problem(c.lines.entry(key), key+".name", "missing; every output needs a name"))
		case !outputNameRE.MatchString(o.Name):
			ps = append(ps, c.at(key+".name", "bad output name %q: want 1 to 64 of a-z, 0-9, - and _, starting with a letter or digit (it is served at /feeds/<name>.atom)", o.Name))
		case dup:
			ps = append(ps, c.at(key+".name", "duplicate output name %q (also outputs[%d], line %d)", o.Name, j, c.lines[fmt.Sprintf("outputs[%d].name", j)]))
		default:
			names[o.Name] = i
		}
		if o.MaxItems < 0 || o.MaxItems > feedout.MaxLimit {
			ps = append(ps, c.at(key+".max_items", "must be between 1 and %d (or 0 for server.default_limit), not %d", feedout.MaxLimit, o.MaxItems))
		}
		ps = append(ps, c.validateRules(key+".include", o.Include)...)
		ps = append(ps, c.validateRules(key+".exclude", o.Exclude)...)
	}
	if c.Static.Dir != "" && strings.TrimSpace(c.Static.Dir) == "" {
		ps = append(ps, c.at("static.dir", "must not be blank (leave it out to turn static export off)"))
	}
	return ps
}

// validateRules checks one rules table. Its keys may be set in a table of
// their own ([exclude], key "exclude.keywords") or inline
// (include = { keywords = [...] }, key "outputs[0].include"); problems name
// the line of whichever the file has.
func (c *Config) validateRules(key string, r RulesConfig) []string {
	var ps []string
	line := func(field string) int {
		if n, ok := c.lines[key+"."+field]; ok {
			return n
		}
		return c.lines[key]
	}
	for _, f := range []struct {
		field string
		list  []string
	}{{"keywords", r.Keywords}, {"categories", r.Categories}, {"tags", r.Tags}} {
		field := f.field
		for _, v := range f.list {
			if strings.TrimSpace(v) == "" || utf8.RuneCountInString(v) > 200 {
				ps = append(ps, c.problem(line(field), key+"."+field, fmt.Sprintf("bad value %q: want 1 to 200 characters, not blank", v)))
			}
		}
	}
	for _, p := range r.Patterns {
		if _, err := regexp.Compile(p); err != nil {
			ps = append(ps, c.problem(line("patterns"), key+".patterns", fmt.Sprintf("bad regular expression %q: %v", p, err)))
		}
	}
	return ps
}
