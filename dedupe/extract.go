package dedupe

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Taking the article out of the page. Some outlets put the whole web page
// into content:encoded: a section label, the headline again, a standfirst,
// photos and captions, "19 Aug 2026 05:45AM (Updated: ...)", a share bar,
// "Set us as your preferred source on Google", then the wire text, then
// blocks of related stories. The fetcher keeps the page's block structure
// (one line per paragraph, list item, heading or caption), which is enough
// to find the article in it, by the shape of its lines:
//
//   - A line is text when it ends like a sentence (or is long, or is
//     Thai, Lao, Khmer or Burmese prose, which ends none), else a heading: headlines, labels, timestamps, share buttons,
//     bylines, related-story links. Headings are dropped wherever they are,
//     unless the body has no text at all (a summary without a full stop).
//   - Known furniture (furniture.go), photo captions (their credit marks
//     them) and the item's title repeated are dropped wherever they are.
//   - Runs of pageGap or more such lines in a row are the page's chrome
//     between its parts. They cut the body into blocks; the block with the
//     most text is the article. Blocks before or after it with much less
//     text (a standfirst and a caption on top, teasers of related stories
//     below) are dropped. Furniture that a copy desk inserted between two
//     paragraphs is one or two lines and cuts nothing.
//
// The rules read only the stored plain text, so a stored item extracts the
// same way every time (its sanitised HTML adds only link density to that
// structure, and would be read for every candidate) and a restart changes
// no decision. Lines are short and few, so this costs little next to
// tokenising the text.

const (
	// pageGap is the shortest run of non-text lines that separates a
	// page's parts.
	pageGap = 3
	// headingMaxUnits: an unterminated line longer than this (in word
	// units) is text, not a heading: Thai has no full stops.
	headingMaxUnits = 16 * unitsPerWord
	// asideMaxUnits: a block with more text than this is never dropped as
	// the page's aside.
	asideMaxUnits = 60 * unitsPerWord
	// titleLines is how far into a body the title repeated is looked for.
	titleLines = 6
)

// lineClass is what a body line is.
type lineClass uint8

const (
	lineText lineClass = iota
	lineHeading
	lineFurniture
	lineCaption
	lineTitle
)

var lineWhy = [...]string{
	lineHeading:   "a heading, label or link (no sentence end)",
	lineFurniture: "site furniture",
	lineCaption:   "a photo caption",
	lineTitle:     "the title repeated",
}

// extract returns the lines of text that belong to the article, in order.
// titleKey is the item's title as the title rule compares it.
func extract(text, title, titleKey string, trace *bodyTrace) []string {
	var lines []string
	var classes []lineClass
	var units []int
	var titleWords []uint64
	titleUnits := quickUnits(title, 64*unitsPerWord)
	hasText := false
	for line := range strings.SplitSeq(text, "\n") {
		line, u := foldSpacesUnits(line, asideMaxUnits+unitsPerWord) // enough units for every rule here
		if line == "" {
			continue
		}
		c := lineText
		switch {
		case len(lines) < titleLines && title != "" && u <= titleUnits+(staticTailWords+1)*unitsPerWord && isTitleLine(line, title, titleKey, &titleWords):
			c = lineTitle
		case isFurnitureUnits(line, min(u, (furnitureMaxWords+1)*unitsPerWord)):
			c = lineFurniture
		case endsSentence(line):
			hasText = true
		case isCaption(line, u): // captions end with a credit, not a full stop
			c = lineCaption
		case proseWithoutStops(line, u):
			hasText = true
		case u <= headingMaxUnits:
			c = lineHeading
		default:
			hasText = true
		}
		lines, classes, units = append(lines, line), append(classes, c), append(units, u)
	}
	if !hasText {
		// A summary with no full stop: its headings are its text.
		for i, c := range classes {
			if c == lineHeading {
				classes[i] = lineText
			}
		}
	}
	keep := make([]bool, len(lines))
	for i, c := range classes {
		keep[i] = c == lineText
	}
	dropAsides(classes, units, keep)
	out := lines[:0:0]
	for i, line := range lines {
		switch {
		case keep[i]:
			out = append(out, line)
		case classes[i] == lineText:
			trace.drop(line, "outside the article (a standfirst, caption or teaser block of the page)")
		default:
			trace.drop(line, lineWhy[classes[i]])
		}
	}
	return out
}

// dropAsides clears keep for the blocks of text that the page's chrome
// separates from the article and that are much shorter than it.
func dropAsides(classes []lineClass, units []int, keep []bool) {
	type block struct{ start, end, text int }
	var blocks []block
	cur := block{start: -1}
	gap := 0
	for i, c := range classes {
		if c != lineText {
			gap++
			continue
		}
		if cur.start >= 0 && gap >= pageGap {
			blocks = append(blocks, cur)
			cur = block{start: -1}
		}
		gap = 0
		if cur.start < 0 {
			cur.start = i
		}
		cur.end = i + 1
		cur.text += units[i]
	}
	if cur.start >= 0 {
		blocks = append(blocks, cur)
	}
	if len(blocks) < 2 {
		return
	}
	main := slices.MaxFunc(blocks, func(a, b block) int { return a.text - b.text })
	for _, b := range blocks {
		if b == main || 3*b.text >= main.text || b.text > asideMaxUnits {
			continue
		}
		for i := b.start; i < b.end; i++ {
			keep[i] = false
		}
	}
}

// proseWithoutStops reports whether a line that ends in Thai, Lao, Khmer
// or Burmese letters is prose: those scripts end sentences with a space,
// not a stop, so a line of some length with a space in it is text, while a
// headline is usually one unbroken run.
func proseWithoutStops(line string, units int) bool {
	r, _ := utf8.DecodeLastRuneInString(strings.TrimRightFunc(line, func(r rune) bool { return unicode.IsSpace(r) || isClosing(r) }))
	return unspacedClass(r) == runeSEA && units >= minBodyWords*unitsPerWord && strings.Contains(line, " ")
}

// isTitleLine reports whether a body line is the item's title repeated:
// the same words, or the same once the site name and wire slugs are
// removed from both, or that followed by a source's name (an aggregator's
// description). k is the title's key; titleWords caches its word hashes.
func isTitleLine(line, title, k string, titleWords *[]uint64) bool {
	if *titleWords == nil {
		*titleWords = appendWordHashes([]uint64{}, title)
	}
	if slices.Equal(appendWordHashes(nil, line), *titleWords) {
		return true
	}
	lk := titleKey(line)
	if k == "" {
		return false
	}
	return lk == k || strings.HasPrefix(lk, k+" ") && countUnits(lk[len(k)+1:], (staticTailWords+1)*unitsPerWord) <= staticTailWords*unitsPerWord
}
