package dedupe

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// fastPathPieces are what the fast-path tests build text from: ASCII
// letters, digits and punctuation next to folded, expanded, ignored,
// unspaced and invalid characters, so that every switch between the ASCII
// runs and the general path is crossed.
var fastPathPieces = []string{"a", "Bc", "Z9", "0", "42", " ", "  ", "\t", "\n", ".", ",", "!", "?", "'", "’", "-", "(", "\"",
	"é", "É", "ß", "Æ", "œ", "ё", "ı", "\u00ad", "\u200d", "\u0301", "ｆ", "①", "中", "日本", "ニュース", "。", "！", "ไทย",
	"한국", "ا", "٣", "…", "؟", "।", "\xff", "\xe2\x80", "Mr.", "U.S.", " The", " 1,200", "3.5"}

func randomText(r *rand.Rand, n int) string {
	var b strings.Builder
	for range r.IntN(n) {
		b.WriteString(fastPathPieces[r.IntN(len(fastPathPieces))])
	}
	return b.String()
}

// TestScanRunsASCIIRunsAgree checks scanRuns, which takes a run of ASCII
// letters and digits in one loop, against the character-by-character
// scanner it replaced (scanRunsRef).
func TestScanRunsASCIIRunsAgree(t *testing.T) {
	collect := func(scan func(string, func(run)), s string) []run {
		var out []run
		scan(s, func(r run) {
			out = append(out, run{text: slices.Clone(r.text), class: r.class, sentenceEnd: r.sentenceEnd})
		})
		return out
	}
	eq := func(a, b run) bool {
		return string(a.text) == string(b.text) && a.class == b.class && a.sentenceEnd == b.sentenceEnd
	}
	r := rand.New(rand.NewPCG(7, 11))
	for range 30000 {
		s := randomText(r, 16)
		if got, want := collect(scanRuns, s), collect(scanRunsRef, s); !slices.EqualFunc(got, want, eq) {
			t.Fatalf("scanRuns(%q) = %+v, want %+v", s, got, want)
		}
	}
}

// TestSplitSentencesASCIISkipAgrees checks splitSentences, which skips
// ASCII that ends no sentence without decoding it, against the splitter
// it replaced (splitSentencesRef).
func TestSplitSentencesASCIISkipAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 17))
	for range 30000 {
		s := randomText(r, 20)
		if got, want := splitSentences(nil, s), splitSentencesRef(nil, s); !slices.Equal(got, want) {
			t.Fatalf("splitSentences(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestFoldSpacesUnitsAgrees checks the one pass of foldSpacesUnits
// against foldSpaces then quickUnits.
func TestFoldSpacesUnitsAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 29))
	for range 30000 {
		s := randomText(r, 24)
		for _, limit := range []int{0, 1, unitsPerWord, 5 * unitsPerWord, 61 * unitsPerWord, 1000} {
			line, u := foldSpacesUnits(s, limit)
			if want := foldSpaces(s); line != want || u != quickUnits(want, limit) {
				t.Fatalf("foldSpacesUnits(%q, %d) = %q, %d, want %q, %d", s, limit, line, u, want, quickUnits(want, limit))
			}
		}
	}
}

// scanRunsRef is scanRuns as it was before its ASCII fast path.
func scanRunsRef(text string, fn func(r run)) {
	text = nfkc(text)
	var buf []byte
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
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		f, c := fold(r)
		switch c {
		case runeWord, runeCJK, runeSEA:
			if class != c && class != runeSep {
				flush(false)
			}
			class = c
			buf = utf8.AppendRune(buf, f)
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
				break
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
}

// splitSentencesRef is splitSentences as it was before its ASCII skip.
func splitSentencesRef(dst []string, line string) []string {
	start := 0
	for i := 0; i < len(line); {
		r, size := utf8.DecodeRuneInString(line[i:])
		i += size
		if !isSentenceEnd(r) {
			continue
		}
		if r == '.' && isAbbreviation(line[start:i-1]) {
			continue
		}
		j := i
		for j < len(line) {
			c, n := utf8.DecodeRuneInString(line[j:])
			if !isClosing(c) {
				break
			}
			j += n
		}
		wide := r == '。' || r == '！' || r == '？' || r == '｡'
		c, n := utf8.DecodeRuneInString(line[j:])
		if !wide && !unicode.IsSpace(c) {
			continue
		}
		k := j
		if !wide || unicode.IsSpace(c) {
			k += n
		}
		for k < len(line) {
			c, n = utf8.DecodeRuneInString(line[k:])
			if !unicode.IsSpace(c) {
				break
			}
			k += n
		}
		if k >= len(line) {
			break
		}
		next, _ := utf8.DecodeRuneInString(line[k:])
		if !wide && !unicode.IsUpper(next) && !unicode.IsDigit(next) && !isOpening(next) && !isCaseless(next) {
			continue
		}
		dst = append(dst, line[start:j])
		start, i = k, k
	}
	if start < len(line) {
		dst = append(dst, line[start:])
	}
	return dst
}
