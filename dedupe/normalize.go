package dedupe

import (
	"html"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
	"golang.org/x/text/unicode/norm"
)

// Words returns the words of text for comparison: NFKC-normalised, case
// folded, with typography (curly quotes, dashes, NBSP) and punctuation
// reduced so that the same copy set in different type yields the same words.
// Apostrophes inside words are dropped ("Xi’s" and "Xi's" both become
// "xis"); numbers are kept with their inner separators ("1,200", "3.5").
func Words(text string) []string {
	var out []string
	scanWords(text, func(w []byte) { out = append(out, string(w)) })
	return out
}

// appendWordHashes appends the hashes of the words of text (see Words) to
// dst. Bodies are compared by word hashes only, so no word is allocated.
func appendWordHashes(dst []uint64, text string) []uint64 {
	scanWords(text, func(w []byte) { dst = append(dst, xxhash.Sum64(w)) })
	return dst
}

// scanWords calls fn with each word of text (see Words), in a buffer that
// fn must not keep.
func scanWords(text string, fn func(word []byte)) {
	if !isASCII(text) {
		text = norm.NFKC.String(text)
	}
	var arr [64]byte
	buf := arr[:0]
	prev := rune(0)
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		i += size
		switch {
		case 'a' <= r && r <= 'z' || '0' <= r && r <= '9':
			buf = append(buf, byte(r))
		case 'A' <= r && r <= 'Z':
			buf = append(buf, byte(r)+'a'-'A')
		case r < utf8.RuneSelf && r != '\'' && r != ',' && r != '.' && r != '`':
			if len(buf) > 0 {
				fn(buf)
				buf = buf[:0]
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
		case isApostrophe(r) && len(buf) > 0 && i < len(text) && unicode.IsLetter(nextRune(text[i:])):
			// inside a word: drop it
		case (r == ',' || r == '.') && len(buf) > 0 && unicode.IsDigit(prev) && i < len(text) && unicode.IsDigit(nextRune(text[i:])):
			buf = append(buf, byte(r))
		default:
			if len(buf) > 0 {
				fn(buf)
				buf = buf[:0]
			}
		}
		prev = r
	}
	if len(buf) > 0 {
		fn(buf)
	}
}

func nextRune(s string) rune {
	if s[0] < utf8.RuneSelf {
		return rune(s[0])
	}
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '\u2019', '\u2018', '\u02bc', '\u0060', '\u00b4':
		return true
	}
	return false
}

// cleaned is a body as the comparison sees it.
type cleaned struct {
	// words are the hashes of the body's words, in order, after
	// boilerplate, datelines, credits and URLs are removed.
	words []uint64
	// fresh are the distinct hashes of the kept sentences: what the feed's
	// boilerplate learning counts.
	fresh []uint64
}

// cleanBody turns an item's body into the words that are compared. It
// removes residual markup and entities, the title repeated as the first
// line, known site furniture (see furniture.go), short label lines, a
// leading dateline and byline, agency credits, URLs and every sentence that
// learned reports as the feed's boilerplate.
func cleanBody(text, title string, learned func(uint64) bool) cleaned {
	text = stripMarkup(text)
	out := cleaned{words: make([]uint64, 0, len(text)/5)}
	var titleWords []uint64
	if title != "" {
		titleWords = appendWordHashes(nil, title)
	}
	first := true // no line kept yet
	kept := 0
	dated := false
	var sentences []string
	for line := range strings.SplitSeq(text, "\n") {
		line = foldSpaces(line)
		if line == "" {
			continue
		}
		if first && titleWords != nil && slices.Equal(appendWordHashes(nil, line), titleWords) {
			continue // the headline repeated as the body's first line
		}
		if isFurniture(line) {
			continue
		}
		if first && isByline(line) {
			continue
		}
		first = false
		// The dateline opens the lede, which unknown furniture may precede.
		if !dated && kept < datelineLines {
			var ok bool
			line, ok = stripDateline(line)
			dated = ok
		}
		kept++
		line = stripURLs(line)
		sentences = splitSentences(sentences[:0], line)
		for _, s := range sentences {
			if isCredit(s) {
				continue
			}
			n := len(out.words)
			out.words = appendWordHashes(out.words, s)
			if len(out.words) == n {
				continue
			}
			h := sequenceHash(out.words[n:])
			if learned != nil && learned(h) {
				out.words = out.words[:n]
				continue
			}
			if !slices.Contains(out.fresh, h) {
				out.fresh = append(out.fresh, h)
			}
		}
	}
	return out
}

// sequenceHash is the identity of a run of words (a sentence, a body),
// never 0.
func sequenceHash(ws []uint64) uint64 {
	h := combine(ws)
	if h == 0 {
		h = 1
	}
	return h
}

// foldSpaces trims a line and folds its runs of white space, NBSP and
// other Unicode spaces included, to single plain spaces: the dateline
// patterns and furniture prefixes are written with those.
func foldSpaces(line string) string {
	clean := len(line) > 0 && line[0] != ' ' && line[len(line)-1] != ' '
	for i := 0; clean && i < len(line); i++ {
		c := line[i]
		clean = c < utf8.RuneSelf && c != '\t' && c != '\r' && c != '\v' && c != '\f' && !(c == ' ' && line[i+1] == ' ')
	}
	if clean {
		return line
	}
	return strings.Join(strings.Fields(line), " ")
}

// blockTags end a line when markup is left in a body.
var blockTags = map[string]bool{
	"p": true, "br": true, "div": true, "li": true, "ul": true, "ol": true, "h1": true, "h2": true,
	"h3": true, "h4": true, "h5": true, "h6": true, "blockquote": true, "tr": true, "td": true,
	"section": true, "article": true, "figure": true, "figcaption": true, "hr": true, "pre": true,
	"header": true, "footer": true, "aside": true, "table": true,
}

// stripMarkup removes tags and decodes entities left in a plain-text body
// (feeds that escape their HTML twice, or put markup in a text field).
// Block tags become line breaks; other tags vanish.
func stripMarkup(s string) string {
	if strings.Contains(s, "<") {
		var b strings.Builder
		b.Grow(len(s))
		for {
			i := strings.IndexByte(s, '<')
			if i < 0 {
				b.WriteString(s)
				break
			}
			j := strings.IndexByte(s[i:], '>')
			name := tagName(s[i+1:])
			if j < 0 || name == "" {
				b.WriteString(s[:i+1])
				s = s[i+1:]
				continue
			}
			b.WriteString(s[:i])
			if blockTags[name] {
				b.WriteByte('\n')
			}
			s = s[i+j+1:]
		}
		s = b.String()
	}
	if strings.Contains(s, "&") {
		// Twice: "&amp;#8217;" is a common double escape.
		s = html.UnescapeString(html.UnescapeString(s))
	}
	return s
}

// tagName returns the lower-cased name of the tag that s (the text after
// a '<') starts, or "" when s does not start a tag.
func tagName(s string) string {
	s = strings.TrimPrefix(s, "/")
	n := 0
	for n < len(s) && n < 12 && (s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z' || n > 0 && s[n] >= '0' && s[n] <= '9') {
		n++
	}
	if n == 0 || n < len(s) && s[n] != '>' && s[n] != ' ' && s[n] != '/' && s[n] != '\t' && s[n] != '\n' {
		return ""
	}
	return strings.ToLower(s[:n])
}

// stripURLs removes web addresses: they differ between outlets (tracking
// parameters, their own domains) and say nothing about the story.
func stripURLs(s string) string {
	if !strings.Contains(s, "http") && !strings.Contains(s, "www.") {
		return s
	}
	fields := strings.Fields(s)
	kept := fields[:0]
	for _, f := range fields {
		l := strings.ToLower(strings.TrimLeft(f, "([<\"'"))
		if strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "www.") {
			continue
		}
		kept = append(kept, f)
	}
	return strings.Join(kept, " ")
}

// Dateline patterns. A dateline opens the first paragraph of wire copy and
// changes with every outlet: "BERLIN (dpa) -", "WASHINGTON, June 14
// (Reuters) -", "UNITED NATIONS (AP) —", "Geneva, 3 March (AFP) –",
// "New Delhi, June 14:", "(Reuters) -". Only the first datelineLines kept
// lines are examined, and only one dateline is removed.
const (
	dlMonth  = `(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?`
	dlDate   = `(?:\d{1,2}\s+` + dlMonth + `|` + dlMonth + `\s+\d{1,2})(?:,?\s+\d{4})?`
	dlAgency = `\([^()]{1,40}\)`
	dlDash   = `\s*[-–—:|]+\s+`
)

var datelineREs = []*regexp.Regexp{
	// An upper-case place, optionally a region, a date and an agency.
	regexp.MustCompile(`^\p{Lu}[\p{Lu}.'’ ]{1,30}(?:,\s*\p{Lu}[\p{L}.'’ ]{1,30}?)?(?:,\s*(?i:` + dlDate + `))?\s*(?:` + dlAgency + `)?` + dlDash),
	// A capitalised place of up to three words with a date or an agency.
	regexp.MustCompile(`^\p{Lu}[\p{L}.'’-]*(?:\s+\p{Lu}[\p{L}.'’-]*){0,2}(?:,\s*(?i:` + dlDate + `)\s*(?:` + dlAgency + `)?|\s*` + dlAgency + `)` + dlDash),
	// An agency alone.
	regexp.MustCompile(`^` + dlAgency + dlDash),
}

// datelineLines is how many kept lines at the top of a body are searched
// for a dateline.
const datelineLines = 3

// stripDateline removes a leading dateline from a line, and reports
// whether it found one.
func stripDateline(line string) (string, bool) {
	for _, re := range datelineREs {
		if loc := re.FindStringIndex(line); loc != nil && loc[1] < len(line) {
			return line[loc[1]:], true
		}
	}
	return line, false
}

// bylineRE matches a line that only names the writer: "By Jane Doe",
// "By Jane Doe and John Roe, Reuters".
var bylineRE = regexp.MustCompile(`^(?i:by)\s+\p{Lu}[\p{L}.'’-]*(?:\s+(?:\p{Lu}[\p{L}.'’-]*|and|&|in|,))*(?:\s*[,|/-]\s*\p{Lu}[\p{L} ]{0,30})?$`)

func isByline(line string) bool {
	return len(line) < 100 && bylineRE.MatchString(line)
}

// splitSentences appends the sentences of line to dst. A sentence ends at
// '.', '!', '?' or '…' (after any closing quotes or brackets) followed by
// a space and then an upper-case letter, a digit or an opening quote;
// initials ("U.S.", "J. Doe") and common abbreviations ("Mr.", "Gen.",
// "Jan.") do not end one. The rule only needs to be the same for every
// copy, so straight and curly quotes split alike.
func splitSentences(dst []string, line string) []string {
	start := 0
	for i := 0; i < len(line); {
		r, size := utf8.DecodeRuneInString(line[i:])
		i += size
		if r != '.' && r != '!' && r != '?' && r != '…' {
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
		c, n := utf8.DecodeRuneInString(line[j:])
		if !unicode.IsSpace(c) {
			continue
		}
		k := j + n
		for k < len(line) {
			c, n = utf8.DecodeRuneInString(line[k:])
			if !unicode.IsSpace(c) {
				break
			}
			k += n
		}
		next, _ := utf8.DecodeRuneInString(line[k:])
		if k < len(line) && !unicode.IsUpper(next) && !unicode.IsDigit(next) && !isOpening(next) {
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

func isClosing(r rune) bool {
	switch r {
	case '"', '\'', '’', '”', '»', ')', ']':
		return true
	}
	return false
}

func isOpening(r rune) bool {
	switch r {
	case '"', '\'', '‘', '“', '«', '(', '[':
		return true
	}
	return false
}

// abbreviations do not end a sentence when followed by a full stop.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "gen": true, "lt": true, "col": true,
	"maj": true, "capt": true, "sgt": true, "adm": true, "sen": true, "rep": true, "gov": true,
	"st": true, "no": true, "vs": true, "jan": true, "feb": true, "mar": true, "apr": true, "jun": true,
	"jul": true, "aug": true, "sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"inc": true, "co": true, "corp": true, "ltd": true, "jr": true, "sr": true, "mt": true, "ft": true,
}

// isAbbreviation reports whether the text before a full stop ends with an
// initial or a known abbreviation.
func isAbbreviation(before string) bool {
	i := len(before)
	for i > 0 {
		r, n := utf8.DecodeLastRuneInString(before[:i])
		if !unicode.IsLetter(r) {
			break
		}
		i -= n
	}
	word := before[i:]
	if word == "" {
		return false
	}
	if utf8.RuneCountInString(word) == 1 {
		return true // an initial: "U.S.", "J. Doe"
	}
	return abbreviations[strings.ToLower(word)]
}

// titlePrefixRE matches wire slugs and labels in front of a headline.
var titlePrefixRE = regexp.MustCompile(`^(?i:(?:update|wrapup|refile|corrected|exclusive|breaking|watch|live|video|analysis|factbox|explainer|insight|opinion)(?:\s+\d+)?\s*[-:|–—]\s*)+`)

// titleSeparators split a site name off a headline ("... - Reuters",
// "... | DW").
var titleSeparators = []string{" - ", " | ", " – ", " — ", " :: ", " · "}

// titleKey returns a headline normalised for comparison: wire slugs and a
// trailing site name of at most four words removed, then reduced to its
// words.
func titleKey(title string) string {
	t := strings.TrimSpace(stripMarkup(title))
	t = titlePrefixRE.ReplaceAllString(t, "")
	for _, sep := range titleSeparators {
		if i := strings.LastIndex(t, sep); i > 0 {
			if tail := strings.Fields(t[i+len(sep):]); len(tail) > 0 && len(tail) <= 4 && len(strings.Fields(t[:i])) >= 3 {
				t = t[:i]
			}
		}
	}
	return strings.Join(Words(t), " ")
}
