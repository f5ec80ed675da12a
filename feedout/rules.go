package feedout

import (
	"regexp"
	"strings"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/searchtext"
)

// Rules select stories by topic. A story matches when any of its members
// matches any one rule: a keyword or pattern found in the member's title,
// summary or categories, a category equal to one listed, or a tag of the
// member's feed equal to one listed. Rules with nothing listed match
// nothing.
//
// Matching any member, not only the representative, is deliberate: when one
// outlet files a story under "Sport", excluding sport excludes the story
// wherever else it appeared.
type Rules struct {
	// Keywords are words or phrases matched whole, in any case and with
	// accents ignored, as search compares them (internal/searchtext):
	// "cricket" matches "Cricket:" but not "crickets"; "南海" matches
	// "南海局势", since Chinese, Japanese, Korean and Thai are compared by
	// character.
	Keywords []string
	// Patterns are regular expressions (RE2 syntax; add (?i) for case
	// insensitivity).
	Patterns []*regexp.Regexp
	// Categories are compared case-insensitively with each whole category
	// the item carries.
	Categories []string
	// Tags are compared case-insensitively with the tags the config gives
	// the member's feed.
	Tags []string
}

// Empty reports whether r lists nothing.
func (r Rules) Empty() bool {
	return len(r.Keywords) == 0 && len(r.Patterns) == 0 && len(r.Categories) == 0 && len(r.Tags) == 0
}

// Output is one merged feed: the main feed (Name "") at /feed.<ext>, or a
// named output at /feeds/<Name>.<ext>. Every output also obeys the global
// exclude rules of HandlerOptions.
type Output struct {
	Name        string
	Title       string // feed title; empty means the main feed's
	Description string
	// MaxItems is how many entries a response carries unless ?limit= asks
	// for fewer; 0 means HandlerOptions.DefaultLimit.
	MaxItems int
	Include  Rules // when not empty, only stories that match
	Exclude  Rules // stories that match are left out
}

// selector decides which stories belong to an output.
type selector struct {
	include, exclude, global Rules
	tags                     map[string][]string // lower-cased feed name -> tags
}

func newSelector(out Output, global Rules, feeds []wirefeed.Feed) *selector {
	s := &selector{include: out.Include, exclude: out.Exclude, global: global, tags: map[string][]string{}}
	for _, f := range feeds {
		s.tags[strings.ToLower(f.Name)] = f.Tags
	}
	return s
}

// keep reports whether st belongs to the output. It is nil when the output
// has no rules at all, so the store need not ask.
func (s *selector) keepFunc() func(*wirefeed.Story) bool {
	if s.include.Empty() && s.exclude.Empty() && s.global.Empty() {
		return nil
	}
	return s.keep
}

func (s *selector) keep(st *wirefeed.Story) bool {
	if s.matches(s.global, st) || s.matches(s.exclude, st) {
		return false
	}
	return s.include.Empty() || s.matches(s.include, st)
}

func (s *selector) matches(r Rules, st *wirefeed.Story) bool {
	if r.Empty() {
		return false
	}
	for i := range st.Members {
		if s.memberMatches(r, &st.Members[i]) {
			return true
		}
	}
	return false
}

func (s *selector) memberMatches(r Rules, m *wirefeed.Member) bool {
	for _, want := range r.Tags {
		for _, tag := range s.tags[strings.ToLower(m.FeedName)] {
			if strings.EqualFold(tag, want) {
				return true
			}
		}
	}
	for _, want := range r.Categories {
		for _, c := range m.Category {
			if strings.EqualFold(strings.TrimSpace(c), want) {
				return true
			}
		}
	}
	if len(r.Keywords) == 0 && len(r.Patterns) == 0 {
		return false
	}
	fields := make([]string, 0, 2+len(m.Category))
	fields = append(fields, m.Title, m.Summary)
	fields = append(fields, m.Category...)
	for _, re := range r.Patterns {
		for _, f := range fields {
			if re.MatchString(f) {
				return true
			}
		}
	}
	if len(r.Keywords) > 0 {
		for _, f := range fields {
			words := searchtext.Tokens(f)
			for _, k := range r.Keywords {
				if searchtext.Contains(words, searchtext.Tokens(k)) {
					return true
				}
			}
		}
	}
	return false
}
