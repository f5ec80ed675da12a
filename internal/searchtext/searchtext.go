// Package searchtext turns text into the words that search and topic
// rules compare, the same way for both: case folded by Unicode's rules,
// accents removed from Latin and Greek letters (and the vowel points of
// Arabic-script and Hebrew letters), split on anything that is
// not a letter, digit or mark, and with the scripts that do not separate
// words by spaces (Chinese, Japanese, Korean, Thai, Lao, Khmer, Myanmar,
// Tibetan) cut into single characters, so that a phrase of characters
// matches wherever it occurs in a run of them.
//
// The store indexes items in SQLite FTS5 as Normalize gives them, and
// checks the order of a search's words with HasPhrase; feedout matches
// keyword rules with Tokens and Contains. "москва" therefore finds "Москва", "sao paulo"
// finds "São Paulo", and "南海" finds "南海局势" in search and rules alike.
package searchtext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

var folder = cases.Fold()

// Tokens returns the words of s, folded.
func Tokens(s string) []string {
	var out []string
	each(s, func(tok string) { out = append(out, tok) })
	return out
}

// Normalize returns the words of s, folded and joined by single spaces:
// what the search index holds.
func Normalize(s string) string {
	if isASCII(s) {
		return normalizeASCII(s)
	}
	var b strings.Builder
	each(s, func(tok string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(tok)
	})
	return b.String()
}

// Contains reports whether the words of phrase occur in words, one after
// another.
func Contains(words, phrase []string) bool {
	if len(phrase) == 0 {
		return false
	}
outer:
	for i := 0; i+len(phrase) <= len(words); i++ {
		for j, w := range phrase {
			if words[i+j] != w {
				continue outer
			}
		}
		return true
	}
	return false
}

// HasPhrase reports whether text holds the words of phrase one after
// another, both as Normalize returns them (words joined by single spaces):
// Contains on the normalised strings, without cutting them into words.
// With prefix, the last word of phrase need only begin a word of text, as
// the last word of a search term ending in '*' does.
func HasPhrase(text, phrase string, prefix bool) bool {
	if phrase == "" {
		return false
	}
	for i := 0; i+len(phrase) <= len(text); {
		j := strings.Index(text[i:], phrase)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(phrase)
		if (j == 0 || text[j-1] == ' ') && (prefix || end == len(text) || text[end] == ' ') {
			return true
		}
		i = j + 1
	}
	return false
}

// each calls fn with every word of s.
//
// Text that is mostly ASCII with a few other characters (curly quotes,
// one accented name) goes the ASCII way except for the pieces around those
// characters: the general path folds, decomposes and recomposes the whole
// text it is given, which cost a twentieth of an ingest (issue 13). s is
// cut only after an ASCII separator that an ASCII character follows.
// Nothing joins across such a cut: folding is per character, no character
// composes with an ASCII one that follows it, a separator ends a word, and
// it clears stripAccents' state, so the words are those of s read whole.
func each(s string, fn func(string)) {
	for len(s) > 0 {
		k := firstNonASCII(s)
		if k < 0 {
			eachASCII(s, fn)
			return
		}
		if c := lastCut(s, k); c > 0 {
			eachASCII(s[:c], fn)
			s, k = s[c:], k-c
		}
		e := nextCut(s, k)
		eachGeneral(s[:e], fn)
		s = s[e:]
	}
}

// firstNonASCII returns the index of the first byte of s that is not
// ASCII, or -1.
func firstNonASCII(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return i
		}
	}
	return -1
}

// isCut reports whether s may be cut before byte i (see each).
func isCut(s string, i int) bool {
	return s[i] < utf8.RuneSelf && isASCIISeparator(s[i-1])
}

func isASCIISeparator(c byte) bool {
	return c < utf8.RuneSelf && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')
}

// lastCut returns the last place s may be cut before byte k, or 0.
func lastCut(s string, k int) int {
	for i := k - 1; i > 0; i-- {
		if isCut(s, i) {
			return i
		}
	}
	return 0
}

// nextCut returns the first place s may be cut after byte k, or len(s).
func nextCut(s string, k int) int {
	for i := k + 1; i < len(s); i++ {
		if isCut(s, i) {
			return i
		}
	}
	return len(s)
}

// eachGeneral is each for any text: folded by Unicode's rules, accents
// stripped, recomposed, and cut into words by character class.
func eachGeneral(s string, fn func(string)) {
	s = norm.NFC.String(stripAccents(folder.String(s)))
	start := -1 // start of the word being read, or -1
	flush := func(end int) {
		if start >= 0 {
			fn(s[start:end])
			start = -1
		}
	}
	for i, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r):
			// A mark belongs to the character before it.
		case unspaced(r):
			flush(i)
			start = i
			// A character of an unspaced script is a word of its own;
			// its marks follow it.
			j := i + len(string(r))
			for _, m := range s[j:] {
				if !unicode.Is(unicode.Mn, m) && !unicode.Is(unicode.Mc, m) {
					break
				}
				j += len(string(m))
			}
			fn(s[i:j])
			start = -1
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsNumber(r):
			if start < 0 {
				start = i
			}
		default:
			flush(i)
		}
	}
	flush(len(s))
}

// normalizeASCII is Normalize for ASCII text, in one pass and one
// allocation.
func normalizeASCII(s string) string {
	b := make([]byte, 0, len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		default:
			space = len(b) > 0
			continue
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		b = append(b, c)
	}
	return string(b)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// eachASCII is each for ASCII text, where folding is lower-casing and
// there is nothing to normalise: most of an English corpus, at a fraction
// of the cost.
func eachASCII(s string, fn func(string)) {
	var word []byte
	flush := func() {
		if len(word) > 0 {
			fn(string(word))
			word = word[:0]
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			word = append(word, c+('a'-'A'))
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			word = append(word, c)
		default:
			flush()
		}
	}
	flush()
}

// stripAccents removes the combining marks that follow Latin and Greek
// letters (é -> e, ά -> α), and Arabic-script and Hebrew letters, whose
// marks are vowel points and signs most text leaves out (مُحَمَّد ->
// محمد, وزیرِ -> وزیر, שָׁלוֹם -> שלום), leaving those of other scripts,
// where a mark makes another letter (Devanagari vowel signs, Japanese
// voicing marks).
func stripAccents(s string) string {
	d := norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(d))
	strip := false
	for _, r := range d {
		if unicode.Is(unicode.Mn, r) {
			if strip {
				continue
			}
		} else {
			strip = unicode.In(r, unicode.Latin, unicode.Greek, unicode.Arabic, unicode.Hebrew)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// unspacedScripts write words without spaces between them.
var unspacedScripts = []*unicode.RangeTable{
	unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul,
	unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar, unicode.Tibetan,
}

func unspaced(r rune) bool {
	return r >= 0x0E00 && unicode.In(r, unspacedScripts...)
}
