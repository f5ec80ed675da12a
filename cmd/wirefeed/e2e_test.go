package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mmcdole/gofeed"
	"github.com/wirefeed/wirefeed/feedout"
	"github.com/wirefeed/wirefeed/store"
)

// fixtureServer serves the feeds in testdata/e2e with real validators:
// each response carries an ETag of its bytes, and a matching If-None-Match
// gets 304. Which file a path serves can change between cycles.
type fixtureServer struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	files  map[string]string // path -> file in testdata/e2e
	hits   map[string]int    // status code -> count
	uagent string
}

func newFixtureServer(t *testing.T, files map[string]string) *fixtureServer {
	fs := &fixtureServer{t: t, files: files, hits: map[string]int{}}
	fs.srv = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.srv.Close)
	return fs
}

func (fs *fixtureServer) set(path, file string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.files[path] = file
}

func (fs *fixtureServer) counts() map[string]int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := map[string]int{}
	for k, v := range fs.hits {
		out[k] = v
	}
	clear(fs.hits)
	return out
}

func (fs *fixtureServer) serve(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	file, ok := fs.files[r.URL.Path]
	fs.uagent = r.Header.Get("User-Agent")
	fs.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "e2e", file))
	if err != nil {
		fs.t.Errorf("fixture %s: %v", file, err)
		http.Error(w, err.Error(), 500)
		return
	}
	body := bytes.ReplaceAll(raw, []byte("{{BASE}}"), []byte(fs.srv.URL))
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	status := http.StatusOK
	if r.Header.Get("If-None-Match") == etag {
		status = http.StatusNotModified
	}
	fs.mu.Lock()
	fs.hits[fmt.Sprint(status)]++
	fs.mu.Unlock()
	w.Header().Set("ETag", etag)
	if status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	switch filepath.Ext(file) {
	case ".json":
		w.Header().Set("Content-Type", "application/feed+json")
	default:
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	}
	_, _ = w.Write(body)
}

// writeTestConfig writes a config for feeds on the fixture server, with
// loopback allowed explicitly.
func writeTestConfig(t *testing.T, base string, feeds map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir = %q\nallow_private_addresses = true\nlog_level = \"warn\"\n", filepath.Join(dir, "data"))
	b.WriteString(storeTable(t))
	b.WriteString("[server]\nlisten = \"127.0.0.1:0\"\ntitle = \"wirefeed e2e\"\nbase_url = \"http://wirefeed.test/\"\n")
	for _, name := range []string{"Outlet A", "Outlet B", "Outlet C"} {
		fmt.Fprintf(&b, "[[feeds]]\nname = %q\nurl = %q\n", name, base+feeds[name])
	}
	path := filepath.Join(dir, "wirefeed.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// cli runs the wirefeed command line in-process.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestEndToEnd drives the real pipeline: fixture feeds over real HTTP, a
// fetch cycle into a SQLite file, the merged feed in all three formats;
// then a third outlet republishes the story; then every server answers 304.
func TestEndToEnd(t *testing.T) {
	fx := newFixtureServer(t, map[string]string{
		"/a/feed.rss":  "outlet-a.rss",
		"/b/feed.atom": "outlet-b.atom",
		"/c/feed.json": "outlet-c-1.json",
	})
	cfgPath := writeTestConfig(t, fx.srv.URL, map[string]string{"Outlet A": "/a/feed.rss", "Outlet B": "/b/feed.atom", "Outlet C": "/c/feed.json"})

	// Cycle 1: the shared story is in A and B under different URLs with
	// identical text.
	code, out, errOut := cli(t, "fetch", "-config", cfgPath)
	if code != exitOK {
		t.Fatalf("fetch cycle 1: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if !strings.Contains(out, "3 feeds: 3 fetched") {
		t.Errorf("fetch cycle 1 summary = %q, want 3 fetched", out)
	}
	if got := fx.counts()["200"]; got != 3 {
		t.Errorf("cycle 1: server sent %d full responses, want 3", got)
	}
	if !strings.HasPrefix(fx.uagent, "wirefeed/") {
		t.Errorf("User-Agent = %q, want wirefeed/...", fx.uagent)
	}

	shared := checkAllFormats(t, cfgPath, 4, "EU", []string{"Outlet A", "Outlet B"})

	// Cycle 2: a third outlet republishes the story.
	fx.set("/c/feed.json", "outlet-c-2.json")
	if code, out, errOut := cli(t, "fetch", "-config", cfgPath); code != exitOK {
		t.Fatalf("fetch cycle 2: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if c := fx.counts(); c["200"] != 1 || c["304"] != 2 {
		t.Errorf("cycle 2: server answered %v, want one 200 and two 304", c)
	}
	if again := checkAllFormats(t, cfgPath, 4, "EU", []string{"Outlet A", "Outlet B", "Outlet C"}); again != shared {
		t.Errorf("shared story id changed: %q, then %q", shared, again)
	}
	etag1, gen1 := servedETag(t, cfgPath)

	// Cycle 3: every server answers 304; nothing changes.
	if code, out, errOut := cli(t, "fetch", "-config", cfgPath); code != exitOK || !strings.Contains(out, "3 not modified") {
		t.Fatalf("fetch cycle 3: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if c := fx.counts(); c["304"] != 3 || c["200"] != 0 {
		t.Errorf("cycle 3: server answered %v, want three 304", c)
	}
	etag2, gen2 := servedETag(t, cfgPath)
	if etag1 != etag2 || gen1 != gen2 {
		t.Errorf("after an all-304 cycle the output changed: ETag %s -> %s, generation %d -> %d", etag1, etag2, gen1, gen2)
	}
}

// checkAllFormats exports the merged feed in every format, checks there are
// wantEntries entries and that exactly one entry whose title mentions
// titleWord lists every outlet in members, and returns that entry's id.
func checkAllFormats(t *testing.T, cfgPath string, wantEntries int, titleWord string, members []string) string {
	t.Helper()
	var ids []string
	for _, format := range []string{"rss", "atom", "json"} {
		code, out, errOut := cli(t, "export", "-config", cfgPath, "-format", format)
		if code != exitOK {
			t.Fatalf("export %s: exit %d: %s", format, code, errOut)
		}
		feed, err := gofeed.NewParser().ParseString(out)
		if err != nil {
			t.Fatalf("export %s does not parse: %v\n%s", format, err, out)
		}
		if len(feed.Items) != wantEntries {
			t.Errorf("%s: %d entries, want %d", format, len(feed.Items), wantEntries)
		}
		var matches []*gofeed.Item
		for _, it := range feed.Items {
			if strings.Contains(it.Title, titleWord) || strings.Contains(it.Title, "sanctions") {
				matches = append(matches, it)
			}
		}
		if len(matches) != 1 {
			t.Fatalf("%s: %d entries for the shared story, want 1:\n%s", format, len(matches), out)
		}
		it := matches[0]
		if !strings.HasPrefix(it.GUID, feedout.StoryIDPrefix) {
			t.Errorf("%s: entry id %q lacks prefix %s", format, it.GUID, feedout.StoryIDPrefix)
		}
		ids = append(ids, it.GUID)
		// The representative's outlet is the entry itself; every other
		// outlet is listed under "Also reported by".
		content := it.Content + it.Description
		if !strings.Contains(content, "Also reported by") {
			t.Errorf("%s: shared entry has no member list:\n%s", format, content)
		}
		listed := 0
		for _, m := range members {
			if strings.Contains(content, m) {
				listed++
			}
		}
		if listed < len(members)-1 {
			t.Errorf("%s: shared entry lists %d of the outlets %v:\n%s", format, listed, members, content)
		}
		if format == "atom" {
			// gofeed reports alternate links only; count the related ones in the XML.
			if n := strings.Count(out, `rel="related"`); n != len(members)-1 {
				t.Errorf("atom: %d related links, want one per other outlet (%d):\n%s", n, len(members)-1, out)
			}
		}
		if format == "json" {
			checkJSONMembers(t, out, it.GUID, members)
		}
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Errorf("shared story has different ids across formats: %v", ids)
	}
	return ids[0]
}

func checkJSONMembers(t *testing.T, out, id string, members []string) {
	t.Helper()
	var doc struct {
		Items []struct {
			ID       string `json:"id"`
			Wirefeed struct {
				StoryID   string `json:"cluster_id"`
				FirstSeen string `json:"first_seen"`
				Members   []struct {
					Feed      string `json:"feed"`
					FeedURL   string `json:"feed_url"`
					GUID      string `json:"guid"`
					URL       string `json:"url"`
					Title     string `json:"title"`
					Published string `json:"published"`
				} `json:"members"`
			} `json:"_wirefeed"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json export: %v", err)
	}
	for _, it := range doc.Items {
		if it.ID != id {
			if len(it.Wirefeed.Members) != 1 {
				t.Errorf("json: unrelated entry %s has %d members, want 1", it.ID, len(it.Wirefeed.Members))
			}
			continue
		}
		if feedout.StoryIDPrefix+it.Wirefeed.StoryID != id || it.Wirefeed.FirstSeen == "" {
			t.Errorf("json: _wirefeed cluster_id %q / first_seen %q do not match entry %s", it.Wirefeed.StoryID, it.Wirefeed.FirstSeen, id)
		}
		var got []string
		for _, m := range it.Wirefeed.Members {
			got = append(got, m.Feed)
			if m.URL == "" || m.GUID == "" || m.FeedURL == "" || m.Published == "" || m.Title == "" {
				t.Errorf("json: member %+v has empty fields", m)
			}
			if strings.Contains(m.URL, "utm_") || strings.Contains(m.URL, "#") {
				t.Errorf("json: member url %q is not canonical", m.URL)
			}
		}
		if strings.Join(got, ",") != strings.Join(members, ",") {
			t.Errorf("json: members = %v, want %v (earliest first)", got, members)
		}
		return
	}
	t.Errorf("json: no entry %s", id)
}

// servedETag serves /feed.atom from the database through the real handler
// and returns its ETag and the store generation.
func servedETag(t *testing.T, cfgPath string) (string, int64) {
	t.Helper()
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Database(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	gen, err := st.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := feedout.NewHandler(st, feedout.HandlerOptions{Meta: cfg.feedMeta()})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/feed.atom", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /feed.atom: %d", rec.Code)
	}
	etag := rec.Header().Get("ETag")
	// The same request with that ETag must get 304.
	req := httptest.NewRequest(http.MethodGet, "/feed.atom", nil)
	req.Header.Set("If-None-Match", etag)
	rec2 := httptest.NewRecorder()
	h.ServeHTTP(rec2, req)
	if rec2.Code != http.StatusNotModified {
		t.Errorf("conditional GET /feed.atom: %d, want 304", rec2.Code)
	}
	// And export prints the same bytes the handler serves.
	code, out, _ := cli(t, "export", "-config", cfgPath, "-format", "atom")
	if code != exitOK || out != rec.Body.String() {
		t.Errorf("export bytes differ from served bytes (exit %d)", code)
	}
	_, _ = io.Copy(io.Discard, rec.Body)
	return etag, gen
}
