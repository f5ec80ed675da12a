package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// keyLines maps a key path ("server.listen", "feeds[2].url",
// "outputs[0].include.tags") to the line where it is set, and an entry of
// an array of tables ("feeds[2]") to the line of its header (or of its
// first key, for an inline table in an array). It is built from go-toml's
// parser, so every shape TOML allows is placed where the parser placed it:
// tables, arrays of tables and their sub-tables, dotted and quoted keys,
// inline tables and arrays of inline tables.
type keyLines map[string]int

// scanKeyLines parses data (already known to be valid TOML) and records
// where each key is set.
func scanKeyLines(data []byte) keyLines {
	kl := keyLines{}
	w := keyWalker{kl: kl, arrays: map[string]int{}}
	p := unstable.Parser{}
	p.Reset(data)
	for p.NextExpression() {
		w.expression(&p, p.Expression())
	}
	return kl
}

type keyWalker struct {
	kl     keyLines
	prefix string         // the current table, with array indexes
	arrays map[string]int // array-of-tables path -> index of its last entry
}

func (w *keyWalker) line(p *unstable.Parser, n *unstable.Node) int {
	return p.Shape(n.Raw).Start.Line
}

// resolve turns a dotted key under base into a path, inserting the index
// of the current entry after every array of tables it passes through.
func (w *keyWalker) resolve(base string, key unstable.Iterator) (path string, first *unstable.Node) {
	path = base
	for key.Next() {
		n := key.Node()
		if first == nil {
			first = n
		}
		if path != "" {
			path += "."
		}
		path += string(n.Data)
		if idx, ok := w.arrays[path]; ok && !key.IsLast() {
			path = fmt.Sprintf("%s[%d]", path, idx)
		}
	}
	return path, first
}

func (w *keyWalker) expression(p *unstable.Parser, n *unstable.Node) {
	switch n.Kind {
	case unstable.Table:
		path, first := w.resolve("", n.Key())
		if idx, ok := w.arrays[path]; ok {
			path = fmt.Sprintf("%s[%d]", path, idx)
		}
		w.prefix = path
		w.set(path, w.line(p, first))
	case unstable.ArrayTable:
		path, first := w.resolve("", n.Key())
		idx := 0
		if last, ok := w.arrays[path]; ok {
			idx = last + 1
		}
		w.arrays[path] = idx
		// Sub-tables of an earlier entry do not belong to this one.
		for k := range w.arrays {
			if strings.HasPrefix(k, path+"[") {
				delete(w.arrays, k)
			}
		}
		w.prefix = fmt.Sprintf("%s[%d]", path, idx)
		w.set(w.prefix, w.line(p, first))
	case unstable.KeyValue:
		w.keyValue(p, w.prefix, n)
	}
}

func (w *keyWalker) keyValue(p *unstable.Parser, base string, n *unstable.Node) {
	path, first := w.resolve(base, n.Key())
	line := w.line(p, first)
	w.set(path, line)
	w.value(p, path, n.Value(), line)
}

// value records the keys inside an inline table, or inside the inline
// tables of an array ("feeds = [{ name = ..., url = ... }]").
func (w *keyWalker) value(p *unstable.Parser, path string, v *unstable.Node, line int) {
	switch v.Kind {
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			w.keyValue(p, path, it.Node())
		}
	case unstable.Array:
		it := v.Children()
		for i := 0; it.Next(); i++ {
			if el := it.Node(); el.Kind == unstable.InlineTable {
				entry := fmt.Sprintf("%s[%d]", path, i)
				kv := el.Children()
				if kv.Next() {
					key := kv.Node().Key()
					key.Next()
					w.set(entry, w.line(p, key.Node()))
				} else {
					w.set(entry, line)
				}
				w.value(p, entry, el, line)
			}
		}
	}
}

func (w *keyWalker) set(path string, line int) {
	if _, seen := w.kl[path]; !seen {
		w.kl[path] = line
	}
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// locate returns the indexed path and line of a key that the decoder
// reported by its unindexed parts at line row: "feeds.colour" on line 8 is
// "feeds[1].colour". An inline table's key is reported by its own parts
// only ("colour"); it is matched as the end of a path.
func (kl keyLines) locate(parts []string, row int) (string, int) {
	want := strings.Join(parts, ".")
	var suffix string
	for path, line := range kl {
		if line != row {
			continue
		}
		plain := indexRE.ReplaceAllString(path, "")
		if plain == want {
			return path, line
		}
		if strings.HasSuffix(plain, "."+want) && (suffix == "" || len(path) < len(suffix)) {
			suffix = path
		}
	}
	if suffix != "" {
		return suffix, row
	}
	return want, row
}

// entry returns the header line of an array-table entry.
func (kl keyLines) entry(key string) int { return kl[key] }
