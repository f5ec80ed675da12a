package dedupe

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Words returns the words of text for comparison: NFKC-normalised, case
// folded, with typography (curly quotes, dashes, NBSP) and punctuation
// reduced so that the same copy set in different type yields the same words.
// Apostrophes inside words are dropped ("Xi’s" and "Xi's" both become
// "xis"); numbers are kept with their inner separators ("1,200", "3.5").
func Words(text string) []string {
	text = norm.NFKC.String(text)
	var words []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			words = append(words, b.String())
			b.Reset()
		}
	}
	runes := []rune(text)
	for i, r := range runes {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(unicode.ToLower(r))
		case isApostrophe(r) && b.Len() > 0 && i+1 < len(runes) && unicode.IsLetter(runes[i+1]):
			// inside a word: drop it
		case (r == ',' || r == '.') && b.Len() > 0 && i+1 < len(runes) && unicode.IsDigit(runes[i+1]) && unicode.IsDigit(runes[i-1]):
			b.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return words
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '\u2019', '\u2018', '\u02bc', '\u0060', '\u00b4':
		return true
	}
	return false
}
