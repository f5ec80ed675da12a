package dedupe

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text in every script. A body is compared as a sequence of tokens:
//
//   - in scripts that separate words with spaces (Latin, Cyrillic, Greek,
//     Arabic, Hebrew, Hangul, Devanagari...), a token is a word: letters,
//     marks and digits, with apostrophes inside a word dropped and the
//     separators inside a number kept;
//   - in scripts that do not (Han, Hiragana and Katakana, Thai, Lao, Khmer,
//     Myanmar), a token is a character bigram: every two consecutive
//     characters of a run of that script ("外交部长" gives 外交, 交部, 部长).
//     Words are not marked in such text, and a dictionary segmenter would
//     make the tokens depend on its dictionary; bigrams need none and are
//     the usual unit for comparing CJK text. A run of one character is one
//     token.
//
// Unicode's word segmentation (UAX #29) draws the same boundaries in spaced
// scripts; in the unspaced ones its default rules split between every
// ideograph and kana and leave Thai, Lao, Khmer and Myanmar runs whole, so
// bigrams over runs would be needed with it too. A table lookup per rune
// does both here, in the hot path, without a dependency.
//
// Before comparison every character is folded (foldRune): NFKC (full-width
// forms, compatibility characters), lower case, and the variants copy desks
// change: Latin and Greek diacritics (unaccented capitals, tonos), Russian
// ё, Arabic hamza forms, ta marbuta, alef maksura, tatweel and diacritics,
// Persian and Arabic yeh and kaf, the zero-width joiners, and digits of
// every script.
//
// Lengths are counted in word units: a word is one unit, a Korean word
// (a noun with its particle, "외교장관이": "the foreign minister") one and a
// half, a Han or kana character half of one (a Chinese or Japanese word is
// about two characters), a Thai, Lao, Khmer or Myanmar character a sixth,
// so thresholds written in words hold in every script.

// unitsPerWord is the fixed-point scale of token weights.
const unitsPerWord = 6

// script classes of a folded rune
const (
	runeSep      = iota // ends a token
	runeWord            // part of a spaced-script word
	runeCJK             // Han, Hiragana, Katakana: bigrams, half a word each
	runeSEA             // Thai, Lao, Khmer, Myanmar: bigrams, a sixth of a word each
	runeIgnore          // format characters inside words (ZWNJ, ZWJ, soft hyphen): dropped
	runeApos            // an apostrophe: dropped inside a word, else a separator
	runeNumSep          // ',' or '.': kept between digits, else a separator
	runeExpand          // folds to two runes (ß, æ, œ): see expand
	runeSentence        // ends a sentence in an unspaced script (。！？): a separator
)

// runeUnits are the word units of one character of each class.
var runeUnits = [...]int{runeCJK: 3, runeSEA: 1}

// hangulWordUnits are the word units of a Korean word.
const hangulWordUnits = 9

// wordUnits returns the word units of a word of a spaced script.
func wordUnits(w []byte) int {
	if len(w) > 0 && w[0] >= 0xea && w[0] <= 0xed {
		if r, _ := utf8.DecodeRune(w); isHangul(r) {
			return hangulWordUnits
		}
	}
	return unitsPerWord
}

func isHangul(r rune) bool { return r >= 0xac00 && r <= 0xd7a3 }

// foldTab folds runes below foldTabSize (Latin to Myanmar, Hangul jamo,
// Khmer, Latin and Greek extended, general punctuation): the folded rune,
// or -1 to drop it. classTab holds each rune's class. Han, kana and Hangul
// syllables have fast paths in fold; other runes are folded by foldSlow.
const foldTabSize = 0x2100

// (Initialised by expression, not in init, so that the package's folded
// word lists, which are initialised before init functions run, see them.)
var foldTab, classTab = foldTables()

func foldTables() (f *[foldTabSize]rune, c *[foldTabSize]uint8) {
	f, c = new([foldTabSize]rune), new([foldTabSize]uint8)
	for r := rune(0); r < foldTabSize; r++ {
		f[r], c[r] = foldSlow(r)
	}
	return f, c
}

// fold returns the folded form of r and its class. A folded rune of -1 is
// dropped.
func fold(r rune) (rune, uint8) {
	switch {
	case r < foldTabSize:
		return foldTab[r], classTab[r]
	case r >= 0x4e00 && r <= 0x9fff, r >= 0x3400 && r <= 0x4dbf, r >= 0x3041 && r <= 0x3096, r >= 0x30a1 && r <= 0x30fa:
		return r, runeCJK
	case r >= 0xac00 && r <= 0xd7a3:
		return r, runeWord
	}
	return foldSlow(r)
}

// foldSlow computes what fold returns, for the tables and for runes above
// them.
func foldSlow(r rune) (rune, uint8) {
	switch {
	case 'a' <= r && r <= 'z' || '0' <= r && r <= '9':
		return r, runeWord
	case 'A' <= r && r <= 'Z':
		return r + 'a' - 'A', runeWord
	case r == ',' || r == '.':
		return r, runeNumSep
	case isApostrophe(r):
		return r, runeApos
	case r < utf8.RuneSelf:
		return r, runeSep
	}
	switch r {
	case 'ß', 'æ', 'Æ', 'œ', 'Œ':
		return r, runeExpand
	case '\u00ad', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u0640': // soft hyphen, zero-width characters, tatweel
		return -1, runeIgnore
	case 'ё', 'Ё':
		return 'е', runeWord
	case 'ı': // Turkish dotless i, as ASCII-only Turkish copy writes it
		return 'i', runeWord
	case 'ς':
		return 'σ', runeWord
	case 'أ', 'إ', 'آ', 'ٱ', 'ٲ', 'ٳ':
		return 'ا', runeWord
	case 'ؤ':
		return 'و', runeWord
	case 'ئ', 'ى', 'ی', 'ې', 'ۍ':
		return 'ي', runeWord
	case 'ة', 'ۀ', 'ە':
		return 'ه', runeWord
	case 'ک', 'ڪ':
		return 'ك', runeWord
	case '\u318d', '\u119e': // Hangul "araea" used as a middle dot (한ㆍ미)
		return r, runeSep
	case '。', '！', '？', '｡':
		return r, runeSentence
	case '々', '〆', '〇', 'ー', 'ｰ':
		return r, runeCJK
	}
	if unicode.IsDigit(r) {
		if d := digitValue(r); d >= 0 {
			return '0' + d, runeWord
		}
		return r, runeWord
	}
	switch {
	case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana):
		if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) {
			return r, runeCJK
		}
	case unicode.In(r, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar):
		if unicode.IsLetter(r) || unicode.IsMark(r) {
			return r, runeSEA
		}
	}
	if !unicode.IsLetter(r) && !unicode.IsMark(r) {
		return r, runeSep
	}
	if unicode.IsMark(r) && dropsMarks(r) {
		return -1, runeIgnore
	}
	l := unicode.ToLower(r)
	if unicode.In(l, unicode.Latin, unicode.Greek) {
		if d := norm.NFD.String(string(l)); d != string(l) {
			base, n := utf8.DecodeRuneInString(d)
			if allMarks(d[n:]) {
				l = base
			}
		}
		if l == 'ς' {
			l = 'σ'
		}
	}
	return l, runeWord
}

// dropsMarks reports whether a combining mark is an accent that copy desks
// add or leave out (Latin, Greek, Cyrillic combining diacritics, Arabic
// harakat, Hebrew points), as opposed to the vowel signs of Indic and other
// scripts, which spell the word.
func dropsMarks(r rune) bool {
	return r >= 0x0300 && r <= 0x036f || r >= 0x0483 && r <= 0x0489 || r >= 0x0591 && r <= 0x05c7 ||
		r >= 0x0610 && r <= 0x061a || r >= 0x064b && r <= 0x065f || r == 0x0670 || r >= 0x06d6 && r <= 0x06ed ||
		r >= 0x1ab0 && r <= 0x1aff || r >= 0x1dc0 && r <= 0x1dff || r >= 0x20d0 && r <= 0x20ff || r >= 0xfe20 && r <= 0xfe2f
}

func allMarks(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Mn, r) {
			return false
		}
	}
	return true
}

// digitZeros are the zeros of the decimal digit blocks that copy desks
// write numbers in; Unicode keeps each block's ten digits in order.
var digitZeros = []rune{0x0660, 0x06f0, 0x07c0, 0x0966, 0x09e6, 0x0a66, 0x0ae6, 0x0b66, 0x0be6, 0x0c66, 0x0ce6,
	0x0d66, 0x0de6, 0x0e50, 0x0ed0, 0x0f20, 0x1040, 0x1090, 0x17e0, 0x1810, 0xff10}

// digitValue returns the value of a decimal digit, or -1.
func digitValue(r rune) rune {
	for _, z := range digitZeros {
		if r >= z && r <= z+9 {
			return r - z
		}
	}
	return -1
}

// expand returns the two runes a runeExpand rune folds to.
func expand(r rune) (rune, rune) {
	switch r {
	case 'ß':
		return 's', 's'
	case 'æ', 'Æ':
		return 'a', 'e'
	}
	return 'o', 'e'
}

// run is one unit of text the scanner yields: a word of a spaced script
// (folded), or a run of an unspaced script (folded) with its class.
type run struct {
	text  []byte
	class uint8 // runeWord, runeCJK or runeSEA
	// sentenceEnd is set on the last run before a CJK sentence end
	// (。！？), which has no space after it to split sentences on.
	sentenceEnd bool
}

// scanRuns calls fn with the runs of text, folded, in a buffer fn must not
// keep.
func scanRuns(text string, fn func(r run)) {
	scanRunsInto(make([]byte, 0, 96), text, fn)
}

// scanRunsInto is scanRuns with buf (its length ignored) as the buffer; it
// returns the buffer, grown as it had to be, for the next call: a body's
// sentences are scanned with one.
func scanRunsInto(buf []byte, text string, fn func(r run)) []byte {
	text = nfkc(text)
	buf = buf[:0]
	class := uint8(runeSep)
	prev := rune(0)
	flush := func(end bool) {
		if len(buf) > 0 {
			fn(run{text: buf, class: class, sentenceEnd: end})
			buf = buf[:0]
		}
		class = runeSep
	}
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		i += size
		var f rune
		var c uint8
		if r < foldTabSize { // fold's tables, without a call per character
			f, c = foldTab[r], classTab[r]
		} else {
			f, c = fold(r)
		}
		switch c {
		case runeWord, runeCJK, runeSEA:
			if class != c && class != runeSep {
				flush(false)
			}
			class = c
			buf = utf8.AppendRune(buf, f)
			// The rest of a run of ASCII letters and digits goes on
			// the same way, without the switch.
			for c == runeWord && i < len(text) && text[i] < utf8.RuneSelf && classTab[text[i]] == runeWord {
				f = foldTab[text[i]]
				buf = append(buf, byte(f))
				i++
			}
		case runeExpand:
			if class != runeWord {
				flush(false)
			}
			class = runeWord
			a, b := expand(r)
			buf = append(buf, byte(a), byte(b))
		case runeIgnore:
		case runeApos:
			if class == runeWord && i < len(text) && isWordStart(text[i:]) {
				break // inside a word: drop it ("Xi’s" is "xis")
			}
			flush(false)
		case runeNumSep:
			if class == runeWord && prev >= '0' && prev <= '9' && i < len(text) && isDigitStart(text[i:]) {
				buf = append(buf, byte(r))
				break
			}
			flush(false)
		case runeSentence:
			flush(true)
		default:
			flush(false)
		}
		prev = f
	}
	flush(false)
	return buf
}

// isDigitStart reports whether s starts with a decimal digit of any
// script.
func isDigitStart(s string) bool {
	if s[0] < utf8.RuneSelf {
		return s[0] >= '0' && s[0] <= '9'
	}
	r, _ := utf8.DecodeRuneInString(s)
	f, _ := fold(r)
	return f >= '0' && f <= '9'
}

// isWordStart reports whether s starts with a letter of a spaced script.
func isWordStart(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	_, c := fold(r)
	return c == runeWord && unicode.IsLetter(r)
}

// scanTokens calls fn with the tokens of text (see the comment at the top
// of this file) and their word units, in a buffer fn must not keep.
func scanTokens(text string, fn func(tok []byte, units int)) {
	scanTokensInto(make([]byte, 0, 96), text, fn)
}

// scanTokensInto is scanTokens with a buffer, as scanRunsInto.
func scanTokensInto(buf []byte, text string, fn func(tok []byte, units int)) []byte {
	return scanRunsInto(buf, text, func(r run) {
		if r.class == runeWord {
			fn(r.text, wordUnits(r.text))
			return
		}
		u := runeUnits[r.class]
		first, n := utf8.DecodeRune(r.text)
		if n == len(r.text) {
			fn(r.text, u)
			return
		}
		_ = first
		for i := 0; i+n < len(r.text); {
			_, m := utf8.DecodeRune(r.text[i+n:])
			fn(r.text[i:i+n+m], u)
			i, n = i+n, m
		}
	})
}

// countUnits returns the length of text in word units, stopping once it
// reaches limit units.
func countUnits(text string, limit int) int {
	n := 0
	if isASCII(text) {
		return countWords(text, (limit+unitsPerWord-1)/unitsPerWord) * unitsPerWord
	}
	scanRuns(text, func(r run) {
		if n >= limit {
			return
		}
		if r.class == runeWord {
			n += wordUnits(r.text)
			return
		}
		n += runeUnits[r.class] * utf8.RuneCount(r.text)
	})
	return n
}

// wordsOf returns a length in word units as whole words, rounded.
func wordsOf(units int) int { return (units + unitsPerWord/2) / unitsPerWord }

// isWide reports whether r is a CJK character or full-width form, after
// which no space separates sentences.
func isWide(r rune) bool {
	return r >= 0x3000 && r <= 0x9fff || r >= 0xff00 && r <= 0xffef
}

// nfkc returns s in Unicode normalisation form NFKC, for comparison: text
// without the characters NFKC changes in a way folding does not (see
// needsNFKC) is returned as it is, which spares most text a pass.
func nfkc(s string) string {
	if isASCII(s) || !needsNFKC(s) {
		return s
	}
	return norm.NFKC.String(s)
}

// needsNFKC reports whether s has a character that NFKC maps to other
// letters or digits, or composes, where fold alone would not give the same
// result: compatibility characters (superscripts, ligatures,
// presentation forms, full- and half-width forms, enclosed and CJK
// compatibility characters), combining marks and Hangul jamo, Indic
// nuktas, kana voicing marks. The precomposed letters of Latin, Greek,
// Cyrillic and Arabic text, CJK ideographs, kana, Hangul syllables and Thai
// need no pass: fold maps their variants itself.
func needsNFKC(s string) bool {
	for _, r := range s {
		switch {
		case r < 0xa0:
		case r == 0xa8 || r == 0xaa || r == 0xaf || r >= 0xb2 && r <= 0xb5 || r >= 0xb8 && r <= 0xba || r >= 0xbc && r <= 0xbe,
			r >= 0x132 && r <= 0x140, r == 0x149, r == 0x17f, r >= 0x1c4 && r <= 0x1cc, r >= 0x1f1 && r <= 0x1f3,
			r >= 0x2b0 && r <= 0x2b8, r >= 0x2d8 && r <= 0x2dd, r >= 0x2e0 && r <= 0x2e4, r >= 0x300 && r <= 0x36f, r >= 0x900 && r <= 0xdff, r >= 0x1100 && r <= 0x11ff, r >= 0x2070 && r <= 0x24ff,
			r >= 0x3099 && r <= 0x309c, r >= 0x3130 && r <= 0x318f, r >= 0x3200 && r <= 0x33ff, r >= 0xf900 && r <= 0xfaff,
			r >= 0xfb00, r == 0x3000:
			return true
		}
	}
	return false
}
