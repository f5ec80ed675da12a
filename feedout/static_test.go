package feedout

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestWriteStatic(t *testing.T) {
	st, h := newTestHandler(t, HandlerOptions{Outputs: []Output{{Name: "europe", Include: Rules{Tags: []string{"europe"}}}}})
	dir := filepath.Join(t.TempDir(), "public")
	ctx := context.Background()
	if err := h.WriteStatic(ctx, dir); err != nil {
		t.Fatal(err)
	}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"feed.atom", "feed.json", "feed.rss", "feeds/europe.atom", "feeds/europe.json", "feeds/europe.rss", "sources.opml"}
	if !slices.Equal(files, want) {
		t.Fatalf("files = %q, want %q (and no temporary files)", files, want)
	}
	// Each file holds what the server sends for the same path, but for
	// the RSS channel link: without server.base_url the server takes it
	// from the request's host, which a file written ahead has no way of
	// knowing.
	for _, name := range want {
		body, _ := os.ReadFile(filepath.Join(dir, name))
		w := get(t, h, "GET", "/"+name)
		served := bytes.Replace(w.Body.Bytes(), []byte("<link>http://example.com/</link>"), []byte("<link></link>"), 1)
		if !bytes.Equal(served, body) {
			t.Errorf("%s differs from GET /%s", name, name)
		}
	}

	// Unchanged files are not rewritten; changed ones are.
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	for _, name := range want {
		if err := os.Chtimes(filepath.Join(dir, name), old, old); err != nil {
			t.Fatal(err)
		}
	}
	add(t, st, testItem{feed: "Agency", guid: "z1", title: "New agency story", minutes: 60})
	if err := h.WriteStatic(ctx, dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range want {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		changed := !fi.ModTime().Equal(old)
		wantChanged := name == "feed.atom" || name == "feed.json" || name == "feed.rss"
		if changed != wantChanged {
			t.Errorf("%s rewritten = %v, want %v", name, changed, wantChanged)
		}
	}
}

func TestExportMatchesServedBytes(t *testing.T) {
	_, h := newTestHandler(t, HandlerOptions{Outputs: []Output{{Name: "europe", Include: Rules{Tags: []string{"europe"}}}}})
	for _, tc := range []struct {
		output, path string
		limit        int
	}{{"", "/feed.atom?limit=2", 2}, {"", "/feed.atom", 0}, {"europe", "/feeds/europe.atom?limit=1", 1}} {
		var buf bytes.Buffer
		if err := h.Export(context.Background(), &buf, tc.output, Atom, tc.limit); err != nil {
			t.Fatal(err)
		}
		if w := get(t, h, "GET", tc.path); !bytes.Equal(w.Body.Bytes(), buf.Bytes()) {
			t.Errorf("Export(%q, %d) differs from GET %s", tc.output, tc.limit, tc.path)
		}
	}
	if err := h.Export(context.Background(), &bytes.Buffer{}, "nope", Atom, 0); err == nil {
		t.Error("Export of an unknown output did not fail")
	}
}
