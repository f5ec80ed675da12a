package dedupe

import (
	"html"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
)

// Words returns the tokens of text for comparison (see script.go): the
// words of spaced scripts and the character bigrams of unspaced ones,
// NFKC-normalised, case folded and with the variants copy desks change
// folded, typography (curly quotes, dashes, NBSP) and punctuation reduced
// so that the same copy set in different type yields the same tokens.
// Apostrophes inside words are dropped ("Xi’s" and "Xi's" both become
// "xis"); numbers are kept with their inner separators ("1,200", "3.5").
func Words(text string) []string {
	var out []string
	scanTokens(text, func(w []byte, _ int) { out = append(out, string(w)) })
	return out
}

// appendTokens appends the hashes of the tokens of text (see Words) to dst
// and their word units to units. Bodies are compared by token hashes only,
// so no token is allocated.
func appendTokens(dst []uint64, units []uint8, text string) ([]uint64, []uint8) {
	var t tokenScanner
	return t.appendTokens(dst, units, text)
}

// tokenScanner is appendTokens with a buffer kept from one call to the
// next: a body is tokenised a sentence at a time.
type tokenScanner struct{ buf []byte }

func (t *tokenScanner) appendTokens(dst []uint64, units []uint8, text string) ([]uint64, []uint8) {
	if t.buf == nil {
		t.buf = make([]byte, 0, 96)
	}
	t.buf = scanTokensInto(t.buf, text, func(w []byte, u int) {
		dst = append(dst, xxhash.Sum64(w))
		units = append(units, uint8(u))
	})
	return dst, units
}

// appendWordHashes appends the hashes of the tokens of text to dst.
func appendWordHashes(dst []uint64, text string) []uint64 {
	scanTokens(text, func(w []byte, _ int) { dst = append(dst, xxhash.Sum64(w)) })
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
	// words are the hashes of the body's tokens, in order, after the
	// page around the article, boilerplate, datelines, credits and URLs
	// are removed; units are their lengths in word units.
	words []uint64
	units []uint8
	// fresh are the distinct hashes of the kept sentences: what the feed's
	// boilerplate learning counts.
	fresh []uint64
	// sentences are the kept sentences, as they were tokenised.
	sentences []string
}

// bodyTrace records, for `wirefeed explain`, the text a body is compared
// by and what was left out of it and why.
type bodyTrace struct {
	Kept    []string // the kept lines, as compared (dateline and URLs removed)
	Dropped []DroppedLine
}

// DroppedLine is a line of a body that the comparison leaves out.
type DroppedLine struct {
	Line, Why string
}

func (t *bodyTrace) drop(line, why string) {
	if t != nil {
		t.Dropped = append(t.Dropped, DroppedLine{line, why})
	}
}

// cleanBody turns an item's body into the tokens that are compared. It
// removes residual markup and entities, then takes the article out of the
// page around it (see extract.go): the title repeated, known site
// furniture, photo captions, headline-like lines, and the blocks that a
// page puts before and after the article (standfirst, share bars,
// related stories). In what is left it removes a leading dateline and
// byline, agency credits, URLs and every sentence that learned reports as
// the feed's boilerplate. trace, when not nil, records the result for
// explanations.
func cleanBody(text, title string, learned func(uint64) bool, trace *bodyTrace) cleaned {
	var key string
	if title != "" {
		key = parseTitle(title, learned).key
	}
	return cleanBodyKeyed(text, title, key, learned, trace)
}

// cleanBodyKeyed is cleanBody for a title whose key (see parseTitle) the
// caller has.
func cleanBodyKeyed(text, title, key string, learned func(uint64) bool, trace *bodyTrace) cleaned {
	text = stripMarkup(text)
	out := cleaned{words: make([]uint64, 0, len(text)/5), units: make([]uint8, 0, len(text)/5)}
	lines := extract(text, title, key, trace)
	kept := 0
	dated := false
	var sentences []string
	var tokens tokenScanner
	for _, line := range lines {
		if kept == 0 && isByline(line) {
			trace.drop(line, "byline")
			continue
		}
		// The dateline opens the lede, which unknown furniture may precede.
		if !dated && kept < datelineLines {
			var ok bool
			line, ok = stripDateline(line)
			dated = ok
		}
		kept++
		line = stripURLs(line)
		sentences = splitSentences(sentences[:0], line)
		var b strings.Builder
		for _, s := range sentences {
			if isCredit(s) {
				trace.drop(s, "credit")
				continue
			}
			n := len(out.words)
			out.words, out.units = tokens.appendTokens(out.words, out.units, s)
			if len(out.words) == n {
				continue
			}
			h := sequenceHash(out.words[n:])
			if learned != nil && learned(h) {
				out.words, out.units = out.words[:n], out.units[:n]
				trace.drop(s, "the feed's learned boilerplate")
				continue
			}
			if !slices.Contains(out.fresh, h) {
				out.fresh = append(out.fresh, h)
			}
			out.sentences = append(out.sentences, s)
			if trace != nil {
				if r, _ := utf8.DecodeLastRuneInString(b.String()); b.Len() > 0 && !isWide(r) {
					b.WriteByte(' ')
				}
				b.WriteString(s)
			}
		}
		if trace != nil && b.Len() > 0 {
			trace.Kept = append(trace.Kept, b.String())
		}
	}
	return out
}

// bodyUnits returns the length of a cleaned body in word units.
func (c *cleaned) bodyUnits() int {
	n := 0
	for _, u := range c.units {
		n += int(u)
	}
	return n
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
		switch spaceByte[line[i]] {
		case 0:
		case asciiSpace:
			clean = false
		case plainSpace:
			clean = line[i+1] != ' ' // never the last byte: checked above
		case nonASCII:
			r, size := utf8.DecodeRuneInString(line[i:])
			clean = !unicode.IsSpace(r)
			i += size - 1
		}
	}
	if clean {
		return line
	}
	var b strings.Builder
	b.Grow(len(line))
	pending := false
	for i := 0; i < len(line); {
		c := line[i]
		size, space := 1, c == ' ' || c >= '\t' && c <= '\r'
		if c >= utf8.RuneSelf {
			var r rune
			r, size = utf8.DecodeRuneInString(line[i:])
			space = unicode.IsSpace(r)
		}
		if space {
			pending = true
		} else {
			if pending && b.Len() > 0 {
				b.WriteByte(' ')
			}
			pending = false
			b.WriteString(line[i : i+size])
		}
		i += size
	}
	return b.String()
}

// foldSpacesUnits returns foldSpaces(line) and its length in word units
// as quickUnits(folded, limit) counts them. A line of ASCII with no white
// space to fold (most lines of a body) is read once for both; any other
// takes the two passes.
func foldSpacesUnits(line string, limit int) (string, int) {
	if len(line) == 0 || line[0] == ' ' || line[len(line)-1] == ' ' {
		return foldSpacesThenUnits(line, limit)
	}
	n, in := 0, false
	for i := 0; i < len(line); i++ {
		switch spaceByte[line[i]] {
		case 0:
			if !in && n < limit {
				n += unitsPerWord
			}
			in = true
		case plainSpace:
			if line[i+1] == ' ' { // never the last byte: checked above
				return foldSpacesThenUnits(line, limit)
			}
			in = false
		default:
			return foldSpacesThenUnits(line, limit)
		}
	}
	return line, n
}

func foldSpacesThenUnits(line string, limit int) (string, int) {
	line = foldSpaces(line)
	return line, quickUnits(line, limit)
}

// spaceByte classes the bytes of a line for foldSpaces, one load per byte.
var spaceByte = func() (t [256]uint8) {
	for _, c := range "\t\n\v\f\r" {
		t[c] = asciiSpace
	}
	t[' '] = plainSpace
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = nonASCII
	}
	return t
}()

const (
	asciiSpace = 1 + iota // white space foldSpaces always replaces
	plainSpace            // ' ': replaced when another follows
	nonASCII              // the start or middle of a multi-byte character
)

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

// datelines are the dateline patterns, each with a cheap test that a line
// must pass before the pattern is tried: most lines open no dateline, and
// the patterns are the costliest part of cleaning a body.
var datelines = []struct {
	may func(line string) bool
	re  *regexp.Regexp
}{
	// An upper-case place, optionally a region, a date and an agency.
	{hasDash, regexp.MustCompile(`^\p{Lu}[\p{Lu}.'’ ]{1,30}(?:,\s*\p{Lu}[\p{L}.'’ ]{1,30}?)?(?:,\s*(?i:` + dlDate + `))?\s*(?:` + dlAgency + `)?` + dlDash)},
	// A capitalised place of up to three words with a date or an agency.
	{hasDash, regexp.MustCompile(`^\p{Lu}[\p{L}.'’-]*(?:\s+\p{Lu}[\p{L}.'’-]*){0,2}(?:,\s*(?i:` + dlDate + `)\s*(?:` + dlAgency + `)?|\s*` + dlAgency + `)` + dlDash)},
	// An agency alone.
	{opensBracket, regexp.MustCompile(`^` + dlAgency + dlDash)},
	// A place and a day and month in any language, then the agency in
	// slashes, after a dash, after a full stop, or in brackets:
	// "МОСКВА, 17 августа. /ТАСС/.", "МОСКВА, 17 авг — РИА Новости.",
	// "Москва. 18 августа. INTERFAX.RU -", "Київ, 17 серпня (Укрінформ) –".
	{hasEarlyDigit, regexp.MustCompile(`^\p{Lu}[\p{L}'’. -]{1,30}[,.]\s*\d{1,2}\s+\p{L}{3,12}\.?(?:\s*/[^/]{1,20}/\.?|\s*[-–—]+\s*[^.\s][^.]{0,30}\.|\.\s*\S{1,20}\s*[-–—]+|\s*\([^()]{1,40}\)\s*\.?[-–—:]+|\s*[-–—:]+)\s+`)},
	// EFE and Europa Press: "Bogotá, 17 ago (EFE).-", "MADRID, 17 (EUROPA PRESS)".
	{hasEarlyDigit, regexp.MustCompile(`^\p{Lu}[\p{L}'’. -]{1,30},\s*\d{1,2}(?:\s+\p{L}{3,12}\.?)?\s*\([^()]{1,40}\)\s*\.?[-–—:]*\s+`)},
	// Scripts without case: a place (and a date) and an agency in
	// brackets: "القاهرة (رويترز) -", "กรุงเทพฯ 17 ส.ค. (สำนักข่าวไทย) -".
	{opensCaseless, regexp.MustCompile(`^[\p{Arabic}\p{Thai}\p{Hebrew}]{2,20}(?:\s+[\p{Arabic}\p{Thai}\p{Hebrew}\p{Nd}.]{1,20}){0,3}\s*\([^()]{1,40}\)\s*[-–—:]+\s*`)},
	// Persian agencies: "به گزارش ایرنا،".
	{opensPersian, regexp.MustCompile(`^به گزارش [^،,]{2,40}[،,]\s*`)},
	// Chinese agencies: "新华社北京8月17日电（记者王晓明）", "据新华社报道，".
	{hasXinhua, regexp.MustCompile(`^\p{Han}{2,12}\d{1,2}月\d{1,2}日电(?:[（(][^）)]{0,30}[）)])?\s*`)},
	{opensJu, regexp.MustCompile(`^据[^，,。]{1,16}报道[，,]\s*`)},
	// Japanese agencies: "【北京共同】", "［東京　１７日　ロイター］ -".
	{opensJaBracket, regexp.MustCompile(`^【[^】]{1,20}】\s*`)},
	{opensJaBracket, regexp.MustCompile(`^[［\[][^］\]]{1,30}[］\]]\s*[-–—－]*\s*`)},
	// A place alone before a dash ("Ankara - ", "القاهرة - ") or a full
	// stop ("Berlin. ", "Київ. "): a copy desk's dateline.
	{opensPlace, regexp.MustCompile(`^(?:\p{Lu}\p{Ll}{2,20}(?:[ -]\p{Lu}\p{Ll}{2,20})?\s+[-–—]|\p{Lu}\p{Ll}{2,20}\.|\p{Arabic}{2,20}(?:\s\p{Arabic}{2,20})?\s+[-–—])\s+`)},
	// Korean agencies: "(서울=연합뉴스) 김지훈 기자 =".
	{opensKorean, regexp.MustCompile(`^\([^()=]{1,12}=[^()]{1,12}\)\s*(?:\S{1,8}\s+){0,3}(?:기자|특파원)\s*=\s*`)},
}

// datelineLines is how many kept lines at the top of a body are searched
// for a dateline.
const datelineLines = 3

// stripDateline removes a leading dateline from a line, and reports
// whether it found one.
func stripDateline(line string) (string, bool) {
	head := line[:min(len(line), datelineBytes)]
	for _, d := range datelines {
		if !d.may(head) {
			continue
		}
		if loc := d.re.FindStringIndex(line); loc != nil && loc[1] < len(line) {
			return line[loc[1]:], true
		}
	}
	return line, false
}

// datelineBytes is how far into a line a dateline may reach.
const datelineBytes = 160

// Tests that a line's head may open a dateline of some pattern.
func hasDash(h string) bool {
	for i := 0; i < len(h); i++ {
		switch c := h[i]; {
		case c == '-' || c == ':' || c == '|':
			return true
		case c == 0xe2 && i+2 < len(h) && h[i+1] == 0x80 && (h[i+2] == 0x93 || h[i+2] == 0x94): // – —
			return true
		}
	}
	return false
}
func opensBracket(h string) bool { return strings.HasPrefix(h, "(") }
func hasEarlyDigit(h string) bool {
	for i := 0; i < min(len(h), 80); i++ {
		if h[i] >= '0' && h[i] <= '9' {
			return true
		}
	}
	return false
}
func opensCaseless(h string) bool {
	r, _ := utf8.DecodeRuneInString(h)
	return r >= 0x0590 && r <= 0x06ff || r >= 0x0e00 && r <= 0x0e7f
}
func opensPersian(h string) bool { return strings.HasPrefix(h, "به گزارش") }
func hasXinhua(h string) bool    { return strings.Contains(h, "日电") }
func opensJu(h string) bool      { return strings.HasPrefix(h, "据") }
func opensJaBracket(h string) bool {
	return strings.HasPrefix(h, "【") || strings.HasPrefix(h, "［") || strings.HasPrefix(h, "[")
}
func opensKorean(h string) bool { return strings.HasPrefix(h, "(") && strings.Contains(h, "=") }

// opensPlace reports whether a line may open with a place alone: its first
// word is followed by a dash or a full stop, and is not an abbreviation
// ("Mr. Lee").
func opensPlace(h string) bool {
	i := strings.IndexAny(h, " .")
	if i <= 0 || i > 60 {
		return false
	}
	return (h[i] == '.' || strings.ContainsAny(h[i:min(len(h), i+40)], "-–—")) && !isAbbreviation(h[:i])
}

// bylineRE matches a line that only names the writer: "By Jane Doe",
// "By Jane Doe and John Roe, Reuters".
var bylineRE = regexp.MustCompile(`^(?i:by)\s+\p{Lu}[\p{L}.'’-]*(?:\s+(?:\p{Lu}[\p{L}.'’-]*|and|&|in|,))*(?:\s*[,|/-]\s*\p{Lu}[\p{L} ]{0,30})?$`)

func isByline(line string) bool {
	return len(line) < 100 && bylineRE.MatchString(line)
}

// splitSentences appends the sentences of line to dst. A sentence ends at
// a full stop, question or exclamation mark of any script (see
// isSentenceEnd), after any closing quotes or brackets, followed by a space
// and then an upper-case letter, a letter of a script without case, a digit
// or an opening quote; or at a CJK stop (。！？), which needs no space after
// it. Initials ("U.S.", "J. Doe") and common abbreviations ("Mr.", "Gen.",
// "Jan.") do not end one. The rule only needs to be the same for every
// copy, so straight and curly quotes split alike.
func splitSentences(dst []string, line string) []string {
	start := 0
	for i := 0; i < len(line); {
		// ASCII other than . ! ? ends nothing: skip it without decoding
		// (most of a body).
		if c := line[i]; c < utf8.RuneSelf && c != '.' && c != '!' && c != '?' {
			i++
			continue
		}
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

// isCaseless reports whether r is a letter of a script without case
// (Arabic, Hebrew, CJK, Thai...), after which a sentence may begin.
func isCaseless(r rune) bool {
	return r >= utf8.RuneSelf && unicode.IsLetter(r) && !unicode.IsUpper(r) && !unicode.IsLower(r) && !unicode.IsTitle(r)
}

func isClosing(r rune) bool {
	switch r {
	case '"', '\'', '’', '”', '»', ')', ']', '」', '』', '）', '】', '》', '〉', '›':
		return true
	}
	return false
}

func isOpening(r rune) bool {
	switch r {
	case '"', '\'', '‘', '“', '«', '(', '[', '「', '『', '（', '【', '《', '〈', '‹', '„':
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
