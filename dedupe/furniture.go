package dedupe

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Known boilerplate. Sites wrap wire copy in furniture: ad markers, share
// and follow buttons, "See also <another headline>", newsletter and cookie
// notices, photo captions, agency credits. Each is recognised as a whole
// line of the body (a paragraph), never inside running text, so a story
// that merely mentions a newsletter keeps its sentence. What these rules
// miss, a feed's learned boilerplate usually catches (see Engine).

// furniturePrefixes open a furniture line of at most furnitureMaxWords
// words. They are matched against the line lower-cased, with curly
// apostrophes made straight.
var furniturePrefixes = []string{
	"see also", "read more", "read also", "also read", "read next", "read:", "related:", "related stories",
	"related articles", "related news", "related coverage", "more important news", "more news",
	"more on this", "advertisement", "sponsored", "story continues", "article continues", "continue reading",
	"sign up", "subscribe", "follow us", "follow our", "share this", "share on", "share via",
	"share:", "click here", "tap here", "download the", "download our", "get our", "get the latest",
	"join our", "don't miss", "do not miss", "recommended", "trending", "most read", "most popular",
	"popular now", "watch:", "watch now", "listen:", "listen to this", "photo:", "photos:",
	"image:", "file photo", "(photo", "[photo", "picture:", "video:", "(video", "editor's note",
	"this article was", "this story was", "this story has been", "this article has been", "copyright",
	"©", "(c) ", "all rights reserved", "reporting by", "additional reporting", "editing by", "writing by",
	"compiled by", "(reporting", "(additional reporting", "(editing", "(writing", "source:", "sources:",
	"with inputs from", "with input from", "with agency inputs", "originally published",
	"we use cookies", "by continuing", "never miss", "support our", "support independent", "[embedded",
	"embedded content", "you may also like", "you might also like", "top stories", "latest news",
	"breaking news", "news alert", "keep reading", "more stories",
	"leave a comment", "print this", "email this", "tags:", "topics:", "filed under",
}

// furnitureContains mark a short line (at most furnitureShortWords words)
// wherever they occur in it.
var furnitureContains = []string{
	"cookie", "newsletter", "appeared first on", "all rights reserved", "privacy policy", "terms of use",
	"javascript", "your inbox", "sign up for", "subscribe to", "follow us on", "whatsapp channel",
	"telegram channel", "google news", "click here",
}

const (
	furnitureMaxWords   = 30
	furnitureShortWords = 25
	labelMaxWords       = 4  // a line this short without closing punctuation is a label
	stampMaxWords       = 12 // "Updated on 06/14/2023 at 12:11 pm"
)

// stampPrefixes open a line that only dates the page.
var stampPrefixes = []string{"updated", "last updated", "published", "first published", "posted", "modified"}

// isFurniture reports whether a body line is site furniture rather than
// copy.
func isFurniture(line string) bool {
	words := countWords(line, furnitureMaxWords+1)
	if words == 0 {
		return true
	}
	if words <= labelMaxWords && !endsSentence(line) {
		return true // "Advertisement", "More important news", "World", "June 21, 2024"
	}
	if words > furnitureMaxWords {
		return false
	}
	low := strings.ToLower(strings.ReplaceAll(line, "’", "'"))
	low = strings.TrimLeft(low, "•*>-–—|#▶►» \t")
	for _, p := range furniturePrefixes {
		if strings.HasPrefix(low, p) {
			return true
		}
	}
	if words <= furnitureShortWords {
		for _, c := range furnitureContains {
			if strings.Contains(low, c) {
				return true
			}
		}
	}
	if words <= stampMaxWords && strings.ContainsAny(low, "0123456789") {
		for _, p := range stampPrefixes {
			if strings.HasPrefix(low, p) {
				return true
			}
		}
	}
	return false
}

// endsSentence reports whether line ends like a sentence: a full stop,
// question or exclamation mark, possibly inside closing quotes.
func endsSentence(line string) bool {
	line = strings.TrimRightFunc(line, func(r rune) bool { return unicode.IsSpace(r) || isClosing(r) })
	r, _ := utf8.DecodeLastRuneInString(line)
	return r == '.' || r == '!' || r == '?' || r == '…'
}

// creditPrefixes open a sentence that credits the copy.
var creditPrefixes = []string{
	"reporting by", "additional reporting", "editing by", "writing by", "compiled by", "©", "copyright",
	"(c) ", "source:", "with inputs from", "with input from",
}

// isCredit reports whether a sentence credits the copy rather than telling
// the story: "(Reporting by ...; Editing by ...)", "(AFP)", "— dpa",
// "AFP".
func isCredit(s string) bool {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return true
	case s[0] == '(' && strings.HasSuffix(strings.TrimRight(s, "."), ")"):
		return countWords(s, 26) <= 25
	case strings.IndexFunc(s, func(r rune) bool { return r == '-' || r == '–' || r == '—' }) == 0:
		return countWords(s, 5) <= 4
	case len(s) <= 8 && countWords(s, 2) == 1 && strings.ToUpper(s) == s && strings.IndexFunc(s, unicode.IsLetter) >= 0:
		return true // a bare agency name: "AFP", "AP", "DPA"
	}
	low := strings.ToLower(s[:min(len(s), 24)])
	for _, p := range creditPrefixes {
		if strings.HasPrefix(low, p) {
			return true
		}
	}
	return false
}

// countWords counts the space-separated words of s, stopping at limit.
func countWords(s string, limit int) int {
	n := 0
	in := false
	for _, r := range s {
		if r == ' ' || r < utf8.RuneSelf && r <= '\r' && r >= '\t' || r >= utf8.RuneSelf && unicode.IsSpace(r) {
			in = false
			continue
		}
		if !in {
			if n++; n >= limit {
				return n
			}
			in = true
		}
	}
	return n
}
