package dedupe

import (
	"html"
	"regexp"
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
	return appendWords(nil, text)
}

// appendWords appends the words of text to dst; see Words.
func appendWords(dst []string, text string) []string {
	if !isASCII(text) {
		text = norm.NFKC.String(text)
	}
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			dst = append(dst, b.String())
			b.Reset()
		}
	}
	prev := rune(0)
	for i, r := range text {
		next, _ := utf8.DecodeRuneInString(text[i+utf8.RuneLen(r):])
		switch {
		case r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9'):
			b.WriteByte(byte(r))
		case r < utf8.RuneSelf && 'A' <= r && r <= 'Z':
			b.WriteByte(byte(r) + 'a' - 'A')
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(unicode.ToLower(r))
		case isApostrophe(r) && b.Len() > 0 && unicode.IsLetter(next):
			// inside a word: drop it
		case (r == ',' || r == '.') && b.Len() > 0 && unicode.IsDigit(prev) && unicode.IsDigit(next):
			b.WriteRune(r)
		default:
			flush()
		}
		prev = r
	}
	flush()
	return dst
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
	// words are the body's words after boilerplate, datelines, credits
	// and URLs are removed.
	words []string
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
	var out cleaned
	titleKey := ""
	if title != "" {
		titleKey = strings.Join(Words(title), " ")
	}
	seen := map[uint64]bool{}
	first := true // no line kept yet
	kept := 0
	dated := false
	var sentences []string
	for line := range strings.SplitSeq(text, "\n") {
		// NBSP and other Unicode spaces become plain spaces: the dateline
		// patterns and furniture prefixes are written with them.
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			continue
		}
		if first && titleKey != "" && strings.Join(Words(line), " ") == titleKey {
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
			out.words = appendWords(out.words, s)
			if len(out.words) == n {
				continue
			}
			h := hashWords(out.words[n:])
			if learned != nil && learned(h) {
				out.words = out.words[:n]
				continue
			}
			if !seen[h] {
				seen[h] = true
				out.fresh = append(out.fresh, h)
			}
		}
	}
	return out
}

// hashWords is the identity of a sentence: its words joined by spaces.
func hashWords(ws []string) uint64 {
	d := xxhash.New()
	for i, w := range ws {
		if i > 0 {
			_, _ = d.WriteString(" ")
		}
		_, _ = d.WriteString(w)
	}
	h := d.Sum64()
	if h == 0 {
		h = 1
	}
	return h
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
