package htmlsafe

import (
	"strings"
	"unicode/utf8"
)

// Label returns a single line of plain text (a title, an outlet's or an
// author's name, a category) without the characters that let a source
// spoof what a reader sees: the bidirectional embeddings and overrides
// (U+202A to U+202E) and isolates (U+2066 to U+2069), with which
// "\u202egnp.exe" reads "exe.png", and the Unicode noncharacters (U+FDD0 to
// U+FDEF and every U+xFFFE and U+xFFFF), which no text may carry.
// Invalid UTF-8 becomes U+FFFD. It is safe for concurrent use.
func Label(s string) string {
	if !strings.ContainsFunc(s, spoofing) && utf8.ValidString(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if spoofing(r) {
			return -1
		}
		return r
	}, s)
}

func spoofing(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	case r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE:
		return true
	}
	return false
}
