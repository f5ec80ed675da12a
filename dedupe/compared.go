package dedupe

import (
	"strings"

	"github.com/wirefeed/wirefeed"
)

// The compared form of a body (Decision.Compared). Cleaning a body (taking
// the article out of a page, dropping furniture, captions, the repeated
// title, datelines, credits and URLs, cutting sentences) costs more than
// comparing it, and a stored item is cleaned again each time it is a
// candidate. So the Engine hands the store, with each decision, the
// sentences the body kept, and the store returns them with the item.
//
// What cleaning does depends on two things that may change after an item
// is stored: its feed's learned boilerplate, and the title's key (its
// feed's learned source suffixes; extraction drops the title repeated).
// Learned boilerplate only grows (a feed's is dropped only with the feed,
// and moves with its name), so the sentences kept then, less the ones
// learned since, are the sentences kept now. The key is stored with them;
// when the title's key now differs, the item is cleaned from its text as
// before. Either way an item compares exactly as cleaning its text now
// would make it.

// comparedVersion opens a compared form: a version byte, the title key,
// then the sentences, each on a line.
const comparedVersion = "\x01"

// encodeCompared returns the compared form of a body kept as sentences
// after extraction with the title key key.
func encodeCompared(key string, sentences []string) string {
	var b strings.Builder
	n := len(comparedVersion) + len(key)
	for _, s := range sentences {
		n += len(s) + 1
	}
	b.Grow(n)
	b.WriteString(comparedVersion)
	b.WriteString(key)
	for _, s := range sentences {
		b.WriteByte('\n')
		b.WriteString(s)
	}
	return b.String()
}

// decodeCompared splits a compared form into its title key and the text
// of its sentences, one per line; ok is false for anything else.
func decodeCompared(c string) (key, sentences string, ok bool) {
	rest, ok := strings.CutPrefix(c, comparedVersion)
	if !ok {
		return "", "", false
	}
	key, sentences, _ = strings.Cut(rest, "\n")
	return key, sentences, true
}

// preparedFromCompared prepares a stored item for verification from its
// compared form, as its feed's boilerplate now stands; false when it has
// none or its title's key has changed since (then only its text will do).
func (e *Engine) preparedFromCompared(it wirefeed.StoredItem) (prepared, bool) {
	var p prepared
	key, sentences, ok := decodeCompared(it.Compared)
	if !ok {
		return p, false
	}
	e.prepareTitle(&p, it.Feed, it.Title)
	if p.title != key {
		return p, false
	}
	words := make([]uint64, 0, len(sentences)/5)
	units := make([]uint8, 0, len(sentences)/5)
	var tokens tokenScanner
	for s := range strings.SplitSeq(sentences, "\n") {
		n := len(words)
		words, units = tokens.appendTokens(words, units, s)
		if len(words) == n {
			continue
		}
		if h := sequenceHash(words[n:]); e.learned.has(it.Feed, h) || e.tx.learned.has(it.Feed, h) {
			words, units = words[:n], units[:n]
		}
	}
	c := cleaned{words: words, units: units}
	if n := wordsOf(c.bodyUnits()); n >= minBodyWords {
		p.words = n
		p.body = shingle(words, units)
	}
	return p, true
}
