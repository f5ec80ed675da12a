package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/store"
)

// explainFixture stores a wire story, a content farm's copy of it, a
// one-sentence summary of it and an unrelated story, and returns the config
// path.
func explainFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "wirefeed.toml")
	cfgText := "data_dir = " + `"` + filepath.Join(dir, "data") + `"` + "\nlog_level = \"warn\"\n" + storeTable(t) + validFeeds
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Database(), store.Options{Matcher: dedupe.New(cfg.dedupeOptions(nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lede := "Finland will reopen one rail crossing on its border with Russia for freight traffic from next month, the government said on Friday, while keeping all road crossings closed to passengers."
	wire := strings.Join([]string{
		"HELSINKI, April 12 (Reuters) - " + lede,
		"Finland closed its entire 1,340-kilometre border with Russia last year after more than 1,300 asylum seekers without visas arrived in a few weeks.",
		"\"The threat has not disappeared, but we can allow limited goods traffic under strict controls,\" Interior Minister Kaisa Lehtonen told a news conference.",
		"The Vainikkala crossing in southeastern Finland handles rail cargo including timber and chemicals.",
	}, "\n\n")
	farm := strings.Replace(wire, "\n\nThe Vainikkala", "\n\nSee also: Markets rally as oil slips\n\nThe Vainikkala", 1)
	other := "Norway will increase its defence budget by 600 billion crowns over 12 years, the government said on Tuesday, to reach NATO's target of spending 2% of economic output on defence."
	at := time.Date(2024, 4, 12, 11, 0, 0, 0, time.UTC)
	record := func(feed string, it wirefeed.Item) {
		it.Published, it.Updated = at, at
		if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: wirefeed.Feed{Name: feed, URL: "https://" + strings.ToLower(feed) + ".example/feed.xml"}, Attempted: at, Status: 200, Items: []wirefeed.Item{it}}); err != nil {
			t.Fatal(err)
		}
		at = at.Add(10 * time.Minute)
	}
	record("One", wirefeed.Item{GUID: "wire", URL: "https://one.example/wire", Title: "Finland to reopen one border crossing with Russia for freight", Text: wire})
	record("Two", wirefeed.Item{GUID: "farm", URL: "https://two.example/farm", Title: "Finnish government allows cargo trains across Russian border", Text: farm})
	record("Two", wirefeed.Item{GUID: "sum", URL: "https://two.example/sum", Title: "Finland freight crossing", Text: lede})
	record("Two", wirefeed.Item{GUID: "other", URL: "https://two.example/other", Title: "Norway raises defence spending", Text: other})
	return cfgPath
}

func TestExplain(t *testing.T) {
	cfg := explainFixture(t)
	cases := []struct {
		name  string
		a, b  string
		code  int
		wants []string
	}{
		{"copy", "https://one.example/wire", "https://two.example/farm", 0, []string{"the SAME story", "Jaccard", "candidate: yes", "in one story now  yes",
			"compared text of B (after extraction):\n  | Finland will reopen", `"See also: Markets rally as oil slips": site furniture`}},
		{"summary by GUID", "wire", "sum", 0, []string{"the SAME story", "containment", "one body holds the other"}},
		{"unrelated", "https://one.example/wire", "other", 0, []string{"DIFFERENT stories", "not the same copy", "in one story now  no"}},
		{"missing", "https://one.example/wire", "https://nowhere.example/", 1, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cli(t, "explain", "-config", cfg, tc.a, tc.b)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, errOut)
			}
			for _, w := range tc.wants {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	if code, _, _ := cli(t, "explain", "-config", cfg, "only-one"); code != exitUsage {
		t.Errorf("explain with one item: exit %d, want %d", code, exitUsage)
	}
}

func TestDedupeConfig(t *testing.T) {
	cfg, err := ParseConfig("ok.toml", []byte(validFeeds))
	if err != nil {
		t.Fatal(err)
	}
	opts := cfg.dedupeOptions(nil)
	if opts.Window != dedupe.DefaultWindow || opts.Jaccard != dedupe.DefaultJaccard || opts.Containment != dedupe.DefaultContainment ||
		opts.TitleSimilarity != dedupe.DefaultTitleSimilarity || opts.TitleWindow != dedupe.DefaultTitleWindow ||
		opts.BoilerplateStories != dedupe.DefaultBoilerplateStories {
		t.Errorf("default dedupe options: %+v", opts)
	}
	bad := []struct{ line, key string }{
		{`window = "3 days"`, "dedupe.window"},
		{`window = "30m"`, "dedupe.window"},
		{`window = "2000h"`, "dedupe.window"},
		{`jaccard = 0`, "dedupe.jaccard"},
		{`containment = 1.5`, "dedupe.containment"},
		{`title_similarity = -0.1`, "dedupe.title_similarity"},
		{`title_window = "soon"`, "dedupe.title_window"},
		{`boilerplate_stories = 1`, "dedupe.boilerplate_stories"},
	}
	for _, tc := range bad {
		t.Run(tc.line, func(t *testing.T) {
			_, err := ParseConfig("bad.toml", []byte("[dedupe]\n"+tc.line+"\n"+validFeeds))
			if err == nil || !strings.Contains(err.Error(), "bad.toml:2: "+tc.key+":") {
				t.Errorf("ParseConfig(%s) = %v, want an error naming line 2 and %s", tc.line, err, tc.key)
			}
		})
	}
}
