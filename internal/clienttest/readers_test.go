package clienttest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// python is Debian's interpreter, where python3-feedparser is installed
// (a python3 earlier on PATH, such as pyenv's, would not have it).
func python() string {
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

// TestFeedReaders runs the republishing world through the daemon for four
// rounds (the fourth changes nothing) with newsboat subscribed to the Atom
// output, then checks every output in every format with feedparser and
// xmllint.
func TestFeedReaders(t *testing.T) {
	requireClients(t, "newsboat", "sqlite3", "xmllint", python())
	d := startDaemon(t)
	nb := newNewsboat(t, d.base+"/feed.atom")

	var ids []string
	var etag string
	for round := 1; round <= 4; round++ {
		if round <= 3 {
			ids = d.waitRound(t, round)
		} else {
			// Nothing changes: after a few cycles of 304s the feed is the
			// same, byte for byte.
			d.world.SetRound(round)
			time.Sleep(3500 * time.Millisecond)
			if _, h := d.get(t, "/feed.atom"); h.Get("ETag") != etag {
				t.Errorf("round 4 changed nothing upstream, yet the Atom ETag moved from %s to %s", etag, h.Get("ETag"))
			}
		}
		_, h := d.get(t, "/feed.atom")
		etag = h.Get("ETag")
		nb.reload(t)
		rows := nb.query(t, "SELECT count(*) FROM rss_item")
		guids := nb.query(t, "SELECT guid FROM rss_item ORDER BY guid")
		want := len(d.world.Visible(round, notSport))
		t.Logf("round %d: newsboat holds %s articles; the world has %d stories", round, rows[0], want)
		if rows[0] != strconv.Itoa(want) {
			t.Errorf("round %d: newsboat's cache holds %s articles, want %d (each story exactly once)", round, rows[0], want)
		}
		wantIDs := slices.Clone(ids)
		slices.Sort(wantIDs)
		if !slices.Equal(guids, wantIDs) {
			t.Errorf("round %d: newsboat's guids %q\nwant the merged feed's story ids %q", round, guids, wantIDs)
		}
	}

	// Cache-Control follows the schedule: cycles run every second, so no
	// response may be cached for long, although max_age allows an hour.
	if _, h := d.get(t, "/feed.atom"); h.Get("Cache-Control") != "no-cache" && h.Get("Cache-Control") != "public, max-age=1" {
		t.Errorf("Cache-Control = %q with a cycle every second; want no-cache or max-age=1", h.Get("Cache-Control"))
	}

	// The daemon's static export after its last cycle holds what it serves
	// (no next links: every output here fits in one page).
	t.Run("static export", func(t *testing.T) {
		for _, p := range append(outputPaths(), "/sources.opml") {
			file, err := os.ReadFile(filepath.Join(d.staticDir(), filepath.FromSlash(p)))
			if err != nil {
				t.Fatal(err)
			}
			if body, _ := d.get(t, p); !bytes.Equal(file, body) {
				t.Errorf("static %s differs from GET %s", p, p)
			}
		}
	})

	t.Run("feedparser", func(t *testing.T) {
		var urls []string
		for _, p := range outputPaths() {
			urls = append(urls, d.base+p)
		}
		cmd := exec.Command(python(), append([]string{"testdata/feedparser_check.py"}, urls...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("feedparser_check.py: %v\n%s", err, stderr.String())
		}
		type result struct {
			URL           string   `json:"url"`
			Parser        string   `json:"parser"`
			Version       string   `json:"version"`
			Bozo          bool     `json:"bozo"`
			BozoException string   `json:"bozo_exception"`
			Entries       int      `json:"entries"`
			IDs           []string `json:"ids"`
		}
		byOutput := map[string][]result{}
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(nil, 1<<20)
		n := 0
		for sc.Scan() {
			var r result
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			n++
			t.Logf("%s: %s, format %q, bozo %v, %d entries", strings.TrimPrefix(r.URL, d.base), r.Parser, r.Version, r.Bozo, r.Entries)
			if r.Bozo {
				t.Errorf("%s: bozo: %s", r.URL, r.BozoException)
			}
			if r.Version == "" {
				t.Errorf("%s: feedparser did not recognise the format", r.URL)
			}
			out := strings.TrimSuffix(r.URL, filepath.Ext(r.URL))
			byOutput[out] = append(byOutput[out], r)
		}
		if n != len(urls) {
			t.Fatalf("%d results for %d feeds", n, len(urls))
		}
		for out, rs := range byOutput {
			for _, r := range rs[1:] {
				if r.Entries != rs[0].Entries || !slices.Equal(r.IDs, rs[0].IDs) {
					t.Errorf("%s: %s has %d entries %q, %s has %d %q", out, rs[0].URL, rs[0].Entries, rs[0].IDs, r.URL, r.Entries, r.IDs)
				}
			}
			if rs[0].Entries == 0 {
				t.Errorf("%s: no entries", out)
			}
		}
		if main := byOutput[d.base+"/feed"]; len(main) > 0 && main[0].Entries != len(ids) {
			t.Errorf("main feed: feedparser saw %d entries, the daemon has %d stories", main[0].Entries, len(ids))
		}
	})

	t.Run("xmllint", func(t *testing.T) {
		dir := t.TempDir()
		for _, p := range outputPaths() {
			if strings.HasSuffix(p, ".json") {
				continue
			}
			body, _ := d.get(t, p)
			file := filepath.Join(dir, strings.ReplaceAll(strings.TrimPrefix(p, "/"), "/", "_"))
			if err := os.WriteFile(file, body, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("xmllint", "--noout", file).CombinedOutput()
			if err != nil || len(out) > 0 {
				t.Errorf("xmllint %s: %v\n%s", p, err, out)
			} else {
				t.Logf("xmllint %s: well-formed (%d bytes)", p, len(body))
			}
		}
	})
}

// newsboat is a newsboat profile subscribed to one URL, with its own cache.
type newsboat struct {
	dir, urls, cache, config string
}

func newNewsboat(t *testing.T, url string) *newsboat {
	t.Helper()
	dir := t.TempDir()
	nb := &newsboat{dir: dir, urls: filepath.Join(dir, "urls"), cache: filepath.Join(dir, "cache.db"), config: filepath.Join(dir, "config")}
	if err := os.WriteFile(nb.urls, []byte(url+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Keep every article: newsboat must show what a reader accumulates.
	if err := os.WriteFile(nb.config, []byte("max-items 0\nkeep-articles-days 0\nreload-threads 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return nb
}

func (nb *newsboat) reload(t *testing.T) {
	t.Helper()
	cmd := exec.Command("newsboat", "-x", "reload", "-u", nb.urls, "-c", nb.cache, "-C", nb.config)
	cmd.Env = append(os.Environ(), "HOME="+nb.dir, "LANG=C.UTF-8", "TERM=dumb")
	cmd.Dir = nb.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("newsboat -x reload: %v\n%s", err, out)
	}
}

// query runs SQL on newsboat's cache with Debian's sqlite3 and returns the
// output lines.
func (nb *newsboat) query(t *testing.T, sql string) []string {
	t.Helper()
	out, err := exec.Command("sqlite3", nb.cache, sql).Output()
	if err != nil {
		t.Fatalf("sqlite3 %q: %v", sql, err)
	}
	s := strings.TrimSpace(string(out))
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
