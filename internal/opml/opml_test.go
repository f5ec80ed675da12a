package opml

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func parseFile(t *testing.T, name string) ([]Feed, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Parse(f)
}

func TestParseReaderExports(t *testing.T) {
	tests := []struct {
		file string
		want []Feed
	}{
		{"readers.opml", []Feed{
			{Title: "BBC News - World", URL: "https://feeds.bbci.co.uk/news/world/rss.xml", Tags: []string{"World"}, Line: 12},
			{Title: "Yonhap", URL: "https://en.yna.co.kr/RSS/news.xml", Tags: []string{"World", "Asia"}, Line: 14},
			{Title: "CNA Asia", URL: "https://www.channelnewsasia.com/api/v1/rss-outbound-feed?_format=xml&category=6511", Tags: []string{"World", "Asia"}, Line: 15},
			{Title: "Foreign Policy", URL: "https://foreignpolicy.com/feed/", Tags: []string{"Journals & analysis", "analysis", "journal", "us"}, Line: 19},
			{Title: "The Diplomat", URL: "https://thediplomat.com/feed/", Tags: []string{"Journals & analysis"}, Line: 20},
			{Title: "Global Voices", URL: "https://globalvoices.org/feed/", Line: 22},
			{Title: "Global Voices", URL: "https://globalvoices.org/feed/?lang=fr", Line: 23},
			{Title: "", URL: "https://untitled.example/rss", Line: 24},
			{Title: "Ελληνικά νέα", URL: "https://greek.example/rss", Line: 25},
		}},
		{"latin1-opml1.opml", []Feed{
			{Title: "Le Monde · International", URL: "https://www.lemonde.fr/international/rss_full.xml", Tags: []string{"Actualités"}, Line: 6},
			{Title: "RFI français", URL: "https://www.rfi.fr/fr/rss", Tags: []string{"Actualités"}, Line: 7},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := parseFile(t, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%s) =\n%+v\nwant\n%+v", tt.file, got, tt.want)
			}
		})
	}
}

func TestParseNamesBadOutlines(t *testing.T) {
	_, err := parseFile(t, "bad-urls.opml")
	if err == nil {
		t.Fatal("bad xmlUrls accepted")
	}
	for _, want := range []string{`outline "Relative" (line 5): bad xmlUrl "/feed.xml"`, `outline "Script" (line 6): bad xmlUrl "javascript:alert(1)"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error\n%v\ndoes not contain %q", err, want)
		}
	}
}

func TestParseBounds(t *testing.T) {
	deep := "<opml><body>" + strings.Repeat(`<outline text="x">`, MaxDepth+1) + "</body></opml>"
	many := "<opml><body>" + strings.Repeat(`<outline text="x" xmlUrl="https://x.example/"/>`, MaxOutlines+1) + "</body></opml>"
	tests := []struct{ name, doc, want string }{
		{"not opml", `<rss version="2.0"><channel/></rss>`, "not an OPML document"},
		{"empty", "", "not an OPML document"},
		{"too deep", deep, "nested deeper than"},
		{"too many", many, "more than 20000 outlines"},
		{"too large", "<opml><body>" + strings.Repeat(" ", MaxBytes) + "</body></opml>", "larger than"},
		{"broken", "<opml><body><outline text=\"x\"", "opml: line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse = %v, want an error containing %q", err, tt.want)
			}
			if tt.name == "not opml" && !errors.Is(err, ErrNotOPML) {
				t.Errorf("error %v is not ErrNotOPML", err)
			}
		})
	}
}
