package feedout

import (
	"regexp"
	"testing"

	"github.com/wirefeed/wirefeed"
)

// TestKeywordMatching checks keyword rules on a member's title: whole
// words, any case and script, accents ignored, unspaced scripts by
// character.
func TestKeywordMatching(t *testing.T) {
	tests := []struct {
		text, word string
		want       bool
	}{
		{"cricket: england win", "cricket", true},
		{"crickets sing", "cricket", false},
		{"the world cup final", "cup final", true},
		{"a cupfinal", "cup final", false},
		{"türkiye and greece", "türkiye", true},
		{"latürkiye", "türkiye", false},
		{"celebrity-news", "celebrity", true},
		{"g20 summit", "g20", true},
		{"g200 summit", "g20", false},
		{"sport sport2 sport", "sport", true}, // a later occurrence counts
		{"", "x", false},
		{"x", "", false},
		{"Cricket: England win", "CRICKET", true},
		{"Turkiye and Greece", "Türkiye", true},
		{"中国在南海举行演习", "南海", true},
		{"中国在南部海域", "南海", false},
		{"Визит в МОСКВУ", "москву", true},
		{"Визит в Москву", "москва", false},
	}
	sel := newSelector(Output{}, Rules{}, nil)
	for _, tc := range tests {
		m := &wirefeed.Member{Title: tc.text}
		if got := sel.memberMatches(Rules{Keywords: []string{tc.word}}, m); got != tc.want {
			t.Errorf("keyword %q in %q = %v, want %v", tc.word, tc.text, got, tc.want)
		}
	}
}

func TestSelector(t *testing.T) {
	feeds := []wirefeed.Feed{{Name: "Sport Desk", Tags: []string{"Sport"}}, {Name: "World", Tags: []string{"world"}}}
	story := func(members ...wirefeed.Member) *wirefeed.Story {
		return &wirefeed.Story{Members: members, Representative: members[0]}
	}
	world := wirefeed.Member{FeedName: "World", Title: "Ceasefire in Gaza", Summary: "Talks in Cairo", Category: []string{"Middle East"}}
	sportCopy := wirefeed.Member{FeedName: "Sport Desk", Title: "Ceasefire in Gaza"}
	celeb := wirefeed.Member{FeedName: "World", Title: "Royal visit", Summary: "A CELEBRITY wedding", Category: []string{" Lifestyle "}}
	tests := []struct {
		name    string
		out     Output
		global  Rules
		story   *wirefeed.Story
		keep    bool
		nilKeep bool
	}{
		{"no rules keeps all (and needs no filter)", Output{}, Rules{}, story(world), true, true},
		{"include tag", Output{Include: Rules{Tags: []string{"WORLD"}}}, Rules{}, story(world), true, false},
		{"include tag misses", Output{Include: Rules{Tags: []string{"sport"}}}, Rules{}, story(world), false, false},
		{"include matches any member", Output{Include: Rules{Tags: []string{"sport"}}}, Rules{}, story(world, sportCopy), true, false},
		{"exclude matches any member", Output{Exclude: Rules{Tags: []string{"sport"}}}, Rules{}, story(world, sportCopy), false, false},
		{"global exclude wins over include", Output{Include: Rules{Tags: []string{"world"}}}, Rules{Keywords: []string{"celebrity"}}, story(celeb), false, false},
		{"category trimmed and folded", Output{Exclude: Rules{Categories: []string{"lifestyle"}}}, Rules{}, story(celeb), false, false},
		{"keyword in summary", Output{Include: Rules{Keywords: []string{"cairo"}}}, Rules{}, story(world), true, false},
		{"keyword in category", Output{Include: Rules{Keywords: []string{"east"}}}, Rules{}, story(world), true, false},
		{"pattern", Output{Include: Rules{Patterns: []*regexp.Regexp{regexp.MustCompile(`^Ceasefire`)}}}, Rules{}, story(world), true, false},
		{"pattern is case-sensitive unless (?i)", Output{Include: Rules{Patterns: []*regexp.Regexp{regexp.MustCompile(`ceasefire`)}}}, Rules{}, story(world), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keep := newSelector(tc.out, tc.global, feeds).keepFunc()
			if (keep == nil) != tc.nilKeep {
				t.Fatalf("keepFunc nil = %v, want %v", keep == nil, tc.nilKeep)
			}
			got := keep == nil || keep(tc.story)
			if got != tc.keep {
				t.Errorf("keep = %v, want %v", got, tc.keep)
			}
		})
	}
}
