package dedupe

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed/fetcher"
)

// sharedDir returns the shared directory beside the project (or
// $WIREFEED_SHARED), or skips.
func sharedDir(t *testing.T, sub string) string {
	t.Helper()
	dir := os.Getenv("WIREFEED_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared")
	}
	dir = filepath.Join(dir, sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s not available (set WIREFEED_SHARED to the shared directory): %v", dir, err)
	}
	return dir
}

// TestRealFeeds records the real feed captures of the shared corpus (read
// in place) through the store with an Engine, each file as its own feed:
//
//   - miniflux's large_rss.xml and large_atom.xml carry the same 25 posts,
//     one as RSS, one as Atom. With their links withheld, only their bodies
//     can pair them: each post must end up as one story with both copies.
//   - no other two items from different files may share a story unless
//     they are the same item (the same title: the corpus holds a few items
//     in two captures, such as a Golem.de item in RSS 1.0 and in plain
//     XML): the captures are otherwise unrelated sites.
func TestRealFeeds(t *testing.T) {
	corpus := sharedDir(t, "corpus")
	var files []string
	for _, pattern := range []string{
		"feed-rs/feed-rs/fixture/*/*.xml", "feed-rs/feed-rs/fixture/jsonfeed/*.json",
		"miniflux-v2/internal/reader/*/testdata/*.xml",
	} {
		m, err := filepath.Glob(filepath.Join(corpus, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	r := newRecorder(t, Options{})
	at := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	type stored struct{ file, title string }
	byKey := map[itemKey]stored{}
	pairs := map[string][]itemKey{} // miniflux post title -> its copies
	for _, path := range files {
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := fetcher.Parse(body, "", "https://corpus.example/", at, fetcher.Limits{})
		if err != nil || len(doc.Items) == 0 {
			continue // broken on purpose, or empty
		}
		name := strings.TrimPrefix(path, corpus+string(filepath.Separator))
		large := strings.HasSuffix(name, "large_rss.xml") || strings.HasSuffix(name, "large_atom.xml")
		for i := range doc.Items {
			it := &doc.Items[i]
			if large {
				it.URL = "" // bodies alone must pair them
				pairs[it.Title] = append(pairs[it.Title], itemKey{name, it.GUID})
			}
			// Same-day dates, so that the window holds everything.
			it.Published, it.Updated = at, at
			byKey[itemKey{name, it.GUID}] = stored{file: name, title: titleKey(it.Title)}
		}
		r.add(name, at, doc.Items...)
		at = at.Add(time.Minute)
	}
	if len(byKey) < 100 {
		t.Fatalf("only %d items parsed from %d files", len(byKey), len(files))
	}
	clusters := storedClusters(t, r.st)
	members := map[string][]itemKey{}
	for k, c := range clusters {
		members[c] = append(members[c], k)
	}
	paired := 0
	for title, ks := range pairs {
		if len(ks) != 2 {
			continue
		}
		if clusters[ks[0]] == clusters[ks[1]] {
			paired++
		} else {
			t.Errorf("post %q: its RSS and Atom copies are in different stories", title)
		}
	}
	if paired < 20 {
		t.Errorf("%d RSS/Atom pairs in one story, want at least 20", paired)
	}
	same := 0
	for c, ks := range members {
		for i, a := range ks {
			for _, b := range ks[i+1:] {
				sa, sb := byKey[a], byKey[b]
				switch {
				case sa.file == sb.file || isLargePair(a.feed, b.feed):
				case sa.title != "" && sa.title == sb.title:
					same++
				default:
					t.Errorf("story %s joins unrelated items of %s and %s", c, a.feed, b.feed)
				}
			}
		}
	}
	t.Logf("%d items from %d files, %d stories; %d RSS/Atom pairs joined by their bodies; %d other pairs of one item in two captures",
		len(byKey), len(files), len(members), paired, same)
}

func isLargePair(a, b string) bool {
	large := func(s string) bool {
		return strings.HasSuffix(s, "large_rss.xml") || strings.HasSuffix(s, "large_atom.xml")
	}
	return large(a) && large(b)
}
