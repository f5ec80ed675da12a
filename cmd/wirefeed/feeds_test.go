package main

import (
	"context"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wirefeed/wirefeed/feedout"
	"github.com/wirefeed/wirefeed/store"
)

func opmlFixture(name string) string {
	return filepath.Join("..", "..", "internal", "opml", "testdata", name)
}

// TestFeedsImportPrints turns an OPML export into [[feeds]] tables that
// load as a config: names from titles (made unique), URLs, folders and
// categories as tags.
func TestFeedsImportPrints(t *testing.T) {
	code, out, errOut := cli(t, "feeds", "import", opmlFixture("readers.opml"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	cfg, err := ParseConfig("imported.toml", []byte(out))
	if err != nil {
		t.Fatalf("the printed tables are not a valid config: %v\n%s", err, out)
	}
	var got []string
	for _, f := range cfg.Feeds {
		got = append(got, f.Name+" | "+f.URL+" | "+strings.Join(f.Tags, ","))
	}
	want := []string{
		"BBC News - World | https://feeds.bbci.co.uk/news/world/rss.xml | World",
		"Yonhap | https://en.yna.co.kr/RSS/news.xml | World,Asia",
		"CNA Asia | https://www.channelnewsasia.com/api/v1/rss-outbound-feed?_format=xml&category=6511 | World,Asia",
		"Foreign Policy | https://foreignpolicy.com/feed/ | Journals & analysis,analysis,journal,us",
		"The Diplomat | https://thediplomat.com/feed/ | Journals & analysis",
		"Global Voices | https://globalvoices.org/feed/ | ",
		"Global Voices (2) | https://globalvoices.org/feed/?lang=fr | ",
		"untitled.example | https://untitled.example/rss | ",
		"Ελληνικά νέα | https://greek.example/rss | ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("imported feeds:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestFeedsImportBadURLNamesTheOutline(t *testing.T) {
	code, out, errOut := cli(t, "feeds", "import", opmlFixture("bad-urls.opml"))
	if code != exitFailure || out != "" {
		t.Errorf("exit %d, stdout %q; want 1 and nothing printed", code, out)
	}
	for _, want := range []string{`outline "Relative" (line 5): bad xmlUrl "/feed.xml"`, `outline "Script" (line 6)`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr\n%s\nlacks %q", errOut, want)
		}
	}
}

// TestFeedsImportWrite appends to a config, keeps it valid, leaves out the
// URLs it has and makes names unique against its feeds.
func TestFeedsImportWrite(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "wirefeed.toml")
	orig := "schedule = \"@hourly\"\n\n[[feeds]]\nname = \"Yonhap\"\nurl = \"https://other.example/yonhap\"\n\n[[feeds]]\nname = \"The Diplomat\"\nurl = \"https://thediplomat.com/feed/\"\n"
	if err := os.WriteFile(cfgPath, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, "feeds", "import", opmlFixture("readers.opml"), "--write", cfgPath)
	if code != exitOK || !strings.Contains(out, "added 8 feeds") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if !strings.Contains(errOut, `skipped: The Diplomat (line 20): https://thediplomat.com/feed/ is there already as "The Diplomat"`) {
		t.Errorf("stderr does not report the duplicate URL: %q", errOut)
	}
	raw, _ := os.ReadFile(cfgPath)
	if !strings.HasPrefix(string(raw), orig) {
		t.Error("the config's own text was changed")
	}
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatalf("config after import: %v", err)
	}
	if len(cfg.Feeds) != 10 || cfg.Feeds[3].Name != "Yonhap (2)" {
		t.Errorf("feeds after import: %d, fourth %+v", len(cfg.Feeds), cfg.Feeds[3])
	}
	if fi, _ := os.Stat(cfgPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v, want 0600 kept", fi.Mode().Perm())
	}
	// A second import adds nothing.
	if code, out, _ := cli(t, "feeds", "import", "--write", cfgPath, opmlFixture("readers.opml")); code != exitOK || !strings.Contains(out, "no new feeds") {
		t.Errorf("second import: exit %d, %q", code, out)
	}
	// A config the import would break is left alone.
	broken := filepath.Join(dir, "inline.toml")
	inline := "feeds = [{ name = \"A\", url = \"https://a.example/\" }]\n"
	os.WriteFile(broken, []byte(inline), 0o644)
	if code, _, errOut := cli(t, "feeds", "import", "--write", broken, opmlFixture("readers.opml")); code != exitFailure || !strings.Contains(errOut, "nothing written") {
		t.Errorf("import into an inline feeds array: exit %d, %q", code, errOut)
	}
	if raw, _ := os.ReadFile(broken); string(raw) != inline {
		t.Error("a refused import changed the config")
	}
}

// TestFeedsImportRoundTrip imports the daemon's own /sources.opml and gets
// the configured feeds back.
func TestFeedsImportRoundTrip(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("..", "..", "config.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	h := feedout.NewHandler(nil, feedout.HandlerOptions{Meta: cfg.feedMeta(), Feeds: cfg.DomainFeeds()})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/sources.opml", nil))
	path := filepath.Join(t.TempDir(), "sources.opml")
	if err := os.WriteFile(path, w.Body.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, "feeds", "import", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	back, err := ParseConfig("back.toml", []byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Feeds) != len(cfg.Feeds) {
		t.Fatalf("%d feeds back, want %d", len(back.Feeds), len(cfg.Feeds))
	}
	for i, f := range cfg.Feeds {
		b := back.Feeds[i]
		if b.Name != f.Name || b.URL != f.URL || !reflect.DeepEqual(b.Tags, f.Tags) {
			t.Errorf("feed %d: %+v, want %+v", i, b, f)
		}
	}
}

// TestFeedsImportSharedCorpus imports every OPML file of the shared
// corpus, when there are any.
func TestFeedsImportSharedCorpus(t *testing.T) {
	root := filepath.Join(sharedDir(t), "corpus")
	var files []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".opml") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Skipf("no .opml files in %s", root)
	}
	for _, f := range files {
		code, out, errOut := cli(t, "feeds", "import", f)
		if code == exitOK {
			if _, err := ParseConfig(f, []byte(out)); out != "" && err != nil {
				t.Errorf("%s: printed tables do not load: %v", f, err)
			}
		} else if !strings.Contains(errOut, f) {
			t.Errorf("%s: exit %d with an error that does not name the file: %s", f, code, errOut)
		}
	}
}

// TestFeedsPrune removes the feeds a config no longer lists, after a dry
// run that changes nothing.
func TestFeedsPrune(t *testing.T) {
	fx := newFixtureServer(t, map[string]string{"/a/feed.rss": "outlet-a.rss", "/b/feed.atom": "outlet-b.atom", "/c/feed.json": "outlet-c-1.json"})
	cfgPath := writeTestConfig(t, fx.srv.URL, map[string]string{"Outlet A": "/a/feed.rss", "Outlet B": "/b/feed.atom", "Outlet C": "/c/feed.json"})
	if code, out, errOut := cli(t, "fetch", "-config", cfgPath); code != exitOK {
		t.Fatalf("fetch: %d %s %s", code, out, errOut)
	}
	raw, _ := os.ReadFile(cfgPath)
	i := strings.Index(string(raw), "[[feeds]]\nname = \"Outlet C\"")
	if err := os.WriteFile(cfgPath, raw[:i], 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := cli(t, "feeds", "prune", "-config", cfgPath, "--dry-run")
	if code != exitOK || !strings.Contains(out, "would prune  Outlet C  1 items") {
		t.Errorf("dry run: exit %d, %q", code, out)
	}
	code, out, errOut := cli(t, "feeds", "prune", "-config", cfgPath)
	if code != exitOK || !strings.Contains(out, "pruned  Outlet C  1 items") || !strings.Contains(out, "1 feeds pruned; 2 configured") {
		t.Errorf("prune: exit %d, %q %q", code, out, errOut)
	}
	cfg, _ := LoadConfig(cfgPath)
	st, err := store.Open(context.Background(), cfg.Database(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	states, _ := st.FeedStates(context.Background())
	if _, ok := states["Outlet C"]; ok || len(states) != 2 {
		t.Errorf("feeds after prune: %v", states)
	}
}
