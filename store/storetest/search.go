package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
	"github.com/wirefeed/wirefeed/store"
)

// testSearchTerms: a term finds the same stories on every backend: words
// folded (case, accents), phrases in order and within one of title,
// summary and text, a prefix with '*', and scripts written without spaces
// matched by their characters.
func testSearchTerms(t *testing.T, b Backend) {
	s := Open(t, b.DSN(t), store.Options{Matcher: wirefeedtest.URLMatcher{}})
	record(t, s, "Agency",
		item("v", "Talks in Vienna", "Foreign ministers met in the Austrian capital.", t0),
		item("p", "Summit in São Paulo", "Leaders gathered in Brazil.", t0.Add(time.Minute)),
		item("c", "南海局势紧张", "各方呼吁克制。", t0.Add(2*time.Minute)),
	)
	tests := []struct {
		term string
		want []string
	}{
		{"vienna", []string{"Talks in Vienna"}},
		{"VIENNA", []string{"Talks in Vienna"}},
		{"ministers met in", []string{"Talks in Vienna"}},
		{"met ministers", nil},  // a phrase keeps its order
		{"vienna foreign", nil}, // and does not span title and text
		{"minis*", []string{"Talks in Vienna"}},
		{"sao paulo", []string{"Summit in São Paulo"}},
		{"南海", []string{"南海局势紧张"}},
		{"局势", []string{"南海局势紧张"}},
		{"in", []string{"Summit in São Paulo", "Talks in Vienna"}}, // newest first
		{"!!", nil},
	}
	for _, tt := range tests {
		got := titles(stories(t, s, wirefeed.StoryQuery{Terms: []string{tt.term}}))
		if !slices.Equal(got, tt.want) {
			t.Errorf("search %q: %q, want %q", tt.term, got, tt.want)
		}
	}
}
