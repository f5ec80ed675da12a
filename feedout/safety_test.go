package feedout

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/redact"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
	"github.com/wirefeed/wirefeed/store"
)

// TestEveryOutputHidesSecretsAndSpoofing: a feed whose URL carries
// credentials and an API key, and whose items carry bidi overrides and
// noncharacters in their titles and links with userinfo, is served in
// every format, in the static files, the OPML and the status page without
// any of it.
func TestEveryOutputHidesSecretsAndSpoofing(t *testing.T) {
	const feedURL = "https://bob:Pa55-w0rd-X@private.example/feed.rss?api_key=K3y-1234567&lang=en"
	feeds := []wirefeed.Feed{
		{Name: "Private \u202Ewire", URL: feedURL},
		{Name: "Public", URL: "https://public.example/rss"},
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "wirefeed.db"), store.Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.SyncFeeds(context.Background(), feeds); err != nil {
		t.Fatal(err)
	}
	rec := func(f wirefeed.Feed, it wirefeed.Item, err error) {
		t.Helper()
		o := &wirefeed.Outcome{Feed: f, Attempted: t0.Add(time.Hour), Status: 200}
		if err != nil {
			o.Err, o.Status, o.NextDue = err, 500, t0.Add(2*time.Hour)
		} else {
			o.Items = []wirefeed.Item{it}
		}
		if _, err := st.Record(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	pub := t0.Add(time.Minute)
	rec(feeds[0], wirefeed.Item{GUID: "https://reader:hunter2-link@private.example/1", URL: "https://reader:hunter2-link@private.example/1?k=K3y-1234567",
		Title: "Invoice \u202Egnp.exe \uFFFE\uFDD0\u2066x\u2069", Summary: "Talks.", Text: "Talks.", ContentHTML: "<p>Talks.</p>",
		Published: pub, Updated: pub, Authors: []string{"\u202Eeman"}, Categories: []string{"World\u202E"}}, nil)
	rec(feeds[1], wirefeed.Item{GUID: "p1", URL: "https://reader:hunter2-link@private.example/1?k=K3y-1234567", Title: "Also \u202Ehere",
		Summary: "Talks.", Text: "Talks.", ContentHTML: "<p>Talks.</p>", Published: pub, Updated: pub}, nil)
	// An error recorded by an older version, with the URL in it.
	rec(feeds[0], wirefeed.Item{}, errorString(`feed "Private": fetcher: Get "`+feedURL+`": EOF`))

	red := redact.New(nil, feedURL)
	h := NewHandler(st, HandlerOptions{Meta: Meta{Title: "Safe", Redact: red}, Feeds: feeds})
	var shown []string
	for _, path := range []string{"/feed.rss", "/feed.atom", "/feed.json", "/", "/sources.opml"} {
		w := get(t, h, "GET", path)
		if w.Code != 200 {
			t.Fatalf("GET %s = %d", path, w.Code)
		}
		shown = append(shown, path+"\n"+w.Body.String())
	}
	dir := t.TempDir()
	if err := h.WriteStatic(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			shown = append(shown, p+"\n"+string(b))
		}
		return err
	})
	for _, out := range shown {
		name, _, _ := strings.Cut(out, "\n")
		for _, secret := range []string{"Pa55-w0rd-X", "K3y-1234567", "hunter2-link", "bob:", "reader:"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s carries %q", name, secret)
			}
		}
		if i := strings.IndexFunc(out, spoofingRune); i >= 0 {
			t.Errorf("%s carries %U near %q", name, []rune(out[i:])[0], out[max(0, i-40):min(len(out), i+40)])
		}
	}
	all := strings.Join(shown, "\n")
	for _, want := range []string{"https://private.example/feed.rss?api_key=REDACTED&amp;lang=en", "https://private.example/1?k=REDACTED", "Invoice gnp.exe", "<bdi>"} {
		if !strings.Contains(all, want) {
			t.Errorf("no output shows %q", want)
		}
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func spoofingRune(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || (r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE
}
