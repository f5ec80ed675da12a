package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const outputsBase = `
[[feeds]]
name = "Agency"
url = "https://agency.example/rss"
tags = ["world"]
`

func TestOutputsConfig(t *testing.T) {
	tests := []struct {
		name string
		toml string
		want []string // problems, each a substring of one line of the error
	}{
		{"valid", `
[exclude]
keywords = ["celebrity"]
patterns = ['(?i)^live:']
[static]
dir = "public"
[[outputs]]
name = "asia-pacific"
max_items = 100
include = { tags = ["asia"], keywords = ["ASEAN"] }
exclude = { categories = ["Sport"] }
`, nil},
		{"bad global pattern", `
[exclude]
patterns = ["(unclosed"]
`, []string{`c.toml:3: exclude.patterns: bad regular expression "(unclosed"`}},
		{"blank keyword", `
[exclude]
keywords = ["ok", " "]
`, []string{`c.toml:3: exclude.keywords: bad value " "`}},
		{"output problems", `
[[outputs]]
name = "Asia Pacific"
max_items = 5000
include = { patterns = ["a(b"] }

[[outputs]]
title = "no name"

[[outputs]]
name = "dup"
[[outputs]]
name = "dup"
exclude = { tags = [""] }
`, []string{
			`c.toml:3: outputs[0].name: bad output name "Asia Pacific"`,
			`c.toml:4: outputs[0].max_items: must be between 1 and 1000`,
			`c.toml:5: outputs[0].include.patterns: bad regular expression "a(b"`,
			`c.toml:7: outputs[1].name: missing`,
			`c.toml:13: outputs[3].name: duplicate output name "dup" (also outputs[2], line 11)`,
			`c.toml:14: outputs[3].exclude.tags: bad value ""`,
		}},
		{"unknown key", `
[[outputs]]
name = "x"
maxitems = 3
`, []string{`c.toml:4: outputs[0].maxitems: unknown key`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The feeds come last so the test's line numbers start at 1.
			cfg, err := ParseConfig("c.toml", []byte(tc.toml+outputsBase))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("ParseConfig: %v", err)
				}
				outs := cfg.FeedOutputs()
				if len(outs) != 1 || outs[0].Name != "asia-pacific" || outs[0].MaxItems != 100 ||
					!slices.Equal(outs[0].Include.Tags, []string{"asia"}) || len(feedRules(cfg.Exclude).Patterns) != 1 {
					t.Errorf("FeedOutputs = %+v", outs)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseConfig accepted it; want %q", tc.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Errorf("%d problems, want %d:\n%s", len(lines), len(tc.want), err)
			}
			for _, w := range tc.want {
				found := false
				for _, l := range lines {
					found = found || strings.Contains(l, w)
				}
				if !found {
					t.Errorf("no problem reads %q; got:\n%s", w, err)
				}
			}
		})
	}
}

// TestFetchOut runs `wirefeed fetch --out DIR` against two local feeds and
// checks the static files: every output in every format, and the sources.
func TestFetchOut(t *testing.T) {
	feed := func(title, guid, itemTitle string) string {
		return fmt.Sprintf(`<?xml version="1.0"?><rss version="2.0"><channel><title>%s</title><link>https://x.example/</link><description>d</description>
<item><title>%s</title><link>https://x.example/%s</link><guid>%s</guid><description>Some text about %s that is long enough to be a body of its own here.</description><pubDate>Wed, 14 Jun 2023 10:00:00 GMT</pubDate></item>
</channel></rss>`, title, itemTitle, guid, guid, itemTitle)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		switch r.URL.Path {
		case "/world.xml":
			fmt.Fprint(w, feed("World", "w1", "Summit in Geneva"))
		case "/sport.xml":
			fmt.Fprint(w, feed("Sport", "s1", "Cup final tonight"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "public")
	cfgPath := filepath.Join(dir, "wirefeed.toml")
	cfg := fmt.Sprintf(`data_dir = %q
allow_private_addresses = true
log_level = "warn"
%s[server]
base_url = "https://news.example/"
[exclude]
keywords = ["cup final"]
[[outputs]]
name = "sport"
include = { tags = ["sport"] }
[[feeds]]
name = "World"
url = "%s/world.xml"
tags = ["world"]
[[feeds]]
name = "Sport"
url = "%s/sport.xml"
tags = ["sport"]
`, filepath.Join(dir, "data"), storeTable(t), srv.URL, srv.URL)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"fetch", "-config", cfgPath, "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("fetch --out: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	want := map[string]int{"feed.rss": 1, "feed.atom": 1, "feed.json": 1, "feeds/sport.rss": 0, "feeds/sport.atom": 0, "feeds/sport.json": 0}
	for name, entries := range want {
		body, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		n := bytes.Count(body, []byte("urn:wirefeed:story:"))
		if strings.HasSuffix(name, ".rss") || strings.HasSuffix(name, ".atom") {
			if err := xml.Unmarshal(body, new(struct{})); err != nil {
				t.Errorf("%s is not well-formed: %v", name, err)
			}
		}
		if n != entries {
			t.Errorf("%s has %d entries, want %d (the cup final is excluded everywhere)", name, n, entries)
		}
	}
	opml, err := os.ReadFile(filepath.Join(out, "sources.opml"))
	if err != nil || !bytes.Contains(opml, []byte(srv.URL+"/sport.xml")) {
		t.Errorf("sources.opml = %q, %v; want both feeds", opml, err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(out, ".*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %q", leftovers)
	}
}
