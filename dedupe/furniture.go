package dedupe

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Known boilerplate. Sites wrap wire copy in furniture: ad markers, share
// and follow buttons, "See also <another headline>", newsletter and cookie
// notices, photo captions, agency credits, in every language the feeds
// come in. Each is recognised as a whole line of the body (a paragraph),
// never inside running text, so a story that merely mentions a newsletter
// keeps its sentence. What these rules miss, a feed's learned boilerplate
// usually catches (see Engine).
//
// The lists are matched against the line folded as tokens are (lower case,
// accents and letter variants folded, see script.go) with its punctuation
// kept, so "À LIRE AUSSI :", "a lire aussi :" and "اقرا ايضا" match their
// entries.

// furniturePrefixes open a furniture line of at most furnitureMaxWords
// words, in the languages of international news: en, fr, es, pt, de, it,
// ru, uk, ar, fa, tr, zh, ja, ko, th, el.
var furniturePrefixes = foldAll(
	// en
	"see also", "read more", "read also", "also read", "read next", "read:", "related:", "related stories",
	"related articles", "related news", "related coverage", "related topics", "more important news", "more news",
	"more on this", "more from", "advertisement", "sponsored", "story continues", "article continues", "continue reading",
	"sign up", "subscribe", "follow us", "follow our", "share this", "share on", "share via",
	"share:", "click here", "tap here", "download the", "download our", "get our", "get the latest",
	"join our", "don't miss", "do not miss", "recommended", "trending", "most read", "most popular",
	"popular now", "watch:", "watch now", "listen:", "listen to this", "photo:", "photos:",
	"image:", "file photo", "(photo", "[photo", "picture:", "video:", "(video", "editor's note",
	"this article was", "this story was", "this story has been", "this article has been", "copyright",
	"©", "(c) ", "all rights reserved", "reporting by", "additional reporting", "editing by", "writing by",
	"compiled by", "(reporting", "(additional reporting", "(editing", "(writing", "source:", "sources:",
	"with inputs from", "with input from", "with agency inputs", "originally published",
	"we use cookies", "by continuing", "never miss", "support our", "support independent", "[embedded",
	"embedded content", "you may also like", "you might also like", "top stories", "latest news",
	"breaking news", "news alert", "keep reading", "more stories", "bookmark", "copy link",
	"leave a comment", "print this", "email this", "tags:", "topics:", "filed under",
	// fr
	"lire aussi", "à lire aussi", "à lire", "lire également", "voir aussi", "à voir aussi", "lire la suite",
	"la suite après", "publicité", "abonnez-vous", "s'abonner", "partager", "suivez-nous", "sur le même sujet",
	"pour aller plus loin", "mis à jour", "publié le", "(avec afp)", "avec afp", "source :", "crédit photo",
	// es, pt
	"lea también", "lee también", "leer también", "ver también", "te puede interesar", "le puede interesar",
	"noticias relacionadas", "relacionado:", "relacionadas:", "más información", "publicidad", "suscríbete",
	"síguenos", "compartir", "con información de", "fuente:", "actualizado", "publicado el",
	"leia também", "leia mais", "veja também", "saiba mais", "publicidade", "assine", "siga-nos",
	"compartilhe", "fonte:", "atualizado",
	// de, it
	"lesen sie auch", "lesen sie mehr", "mehr zum thema", "auch interessant", "das könnte sie auch interessieren",
	"anzeige", "werbung", "teilen", "folgen sie uns", "weiterlesen", "quelle:", "abonnieren sie", "stand:",
	"aktualisiert", "leggi anche", "pubblicità", "condividi", "iscriviti",
	// ru, uk
	"читайте также", "смотрите также", "по теме", "новости по теме", "ещё по теме", "реклама", "поделиться",
	"подписывайтесь", "подпишитесь", "источник:", "фото:", "нашли ошибку", "опубликовано", "обновлено",
	"читайте також", "дивіться також", "новини за темою", "за темою", "поділитися", "підписуйтеся",
	"підписуйтесь", "джерело:", "помітили помилку", "опубліковано", "оновлено",
	// ar, fa
	"اقرأ أيضا", "اقرأ أيضاً", "اقرأ المزيد", "شاهد أيضا", "أخبار ذات صلة", "مواضيع ذات صلة", "إعلان",
	"مشاركة", "شارك", "تابعونا", "تابعوا", "اشترك", "المصدر:", "نشر في", "نُشر في", "آخر تحديث", "تاريخ النشر",
	"بیشتر بخوانید", "بخوانید:", "اخبار مرتبط", "مطالب مرتبط", "تبلیغات", "اشتراک\u200cگذاری", "عضو شوید",
	"منبع:", "تاریخ انتشار",
	// tr, el
	"ilgili haberler", "ayrıca okuyun", "bunu da okuyun", "bunlar da ilginizi", "reklam", "paylaş", "abone ol",
	"takip edin", "bizi takip", "kaynak:", "güncelleme", "yayınlanma",
	"διαβάστε επίσης", "διαβάστε ακόμη", "σχετικά άρθρα", "διαφήμιση", "κοινοποίηση", "εγγραφείτε",
	// zh, ja, ko, th
	"相关新闻", "相关阅读", "相關新聞", "相關閱讀", "延伸阅读", "延伸閱讀", "推荐阅读", "推薦閱讀", "责任编辑",
	"責任編輯", "编辑：", "編輯：", "来源：", "來源：", "分享到", "广告", "廣告", "扫码", "点击", "原标题",
	"发布时间", "更新于",
	"関連記事", "【関連記事】", "関連ニュース", "あわせて読みたい", "合わせて読みたい", "広告", "続きを読む",
	"この記事の続き", "最終更新",
	"관련기사", "관련 기사", "[관련기사]", "함께 보면 좋은", "공유하기", "광고", "무단 전재", "무단전재",
	"저작권자", "기자 구독", "송고시간",
	"ข่าวที่เกี่ยวข้อง", "อ่านเพิ่มเติม", "โฆษณา", "ติดตามข่าวสาร",
)

// furnitureIndex lists the furniture prefixes by their first byte.
var furnitureIndex = func() (ix [256][]string) {
	for _, p := range furniturePrefixes {
		ix[p[0]] = append(ix[p[0]], p)
	}
	return ix
}()

// furnitureContains mark a short line (at most furnitureShortWords words)
// wherever they occur in it.
var furnitureContains = foldAll(
	"cookie", "newsletter", "appeared first on", "all rights reserved", "privacy policy", "terms of use",
	"javascript", "your inbox", "sign up for", "subscribe to", "follow us on", "whatsapp channel",
	"telegram channel", "google news", "click here", "preferred source",
	"boletín", "канал в telegram", "ctrl+enter", "telegram-канал", "نشرتنا البريدية", "خبرنامه",
	"کانال تلگرام", "bültenimize", "微信公众号", "会員登録", "友だち追加", "line official",
	"whatsapp kanal", "canal de whatsapp", "whatsapp-kanal", "takip edin", "قناتنا في واتساب",
)

const (
	furnitureMaxWords   = 30
	furnitureShortWords = 25
	labelMaxWords       = 4  // a line this short without closing punctuation is a label
	stampMaxWords       = 12 // "Updated on 06/14/2023 at 12:11 pm"
)

// stampPrefixes open a line that only dates the page.
var stampPrefixes = []string{"updated", "last updated", "published", "first published", "posted", "modified"}

// isFurniture reports whether a body line is site furniture rather than
// copy.
func isFurniture(line string) bool {
	return isFurnitureUnits(line, quickUnits(line, (furnitureMaxWords+1)*unitsPerWord))
}

// isFurnitureUnits is isFurniture for a line whose length in word units
// (quickUnits) the caller has.
func isFurnitureUnits(line string, units int) bool {
	if units == 0 {
		return true
	}
	if units <= labelMaxWords*unitsPerWord && !endsSentence(line) {
		return true // "Advertisement", "More important news", "World", "June 21, 2024", "相关新闻"
	}
	if units > furnitureMaxWords*unitsPerWord {
		return false
	}
	head := strings.TrimLeft(foldLine(prefixOf(line, furnitureHeadBytes)), "•*>-–—|#▶►»▷■□◆◇・ \t")
	if head == "" {
		return true
	}
	for _, p := range furnitureIndex[head[0]] {
		if strings.HasPrefix(head, p) {
			return true
		}
	}
	low := head
	if len(line) > furnitureHeadBytes {
		low = foldLine(line)
	}
	if units <= furnitureShortWords*unitsPerWord {
		for _, c := range furnitureContains {
			if strings.Contains(low, c) {
				return true
			}
		}
	}
	if units <= stampMaxWords*unitsPerWord && strings.ContainsAny(low, "0123456789") {
		for _, p := range stampPrefixes {
			if strings.HasPrefix(low, p) {
				return true
			}
		}
		if isStamp(low) {
			return true
		}
	}
	return false
}

// furnitureHeadBytes is how much of a line the furniture prefixes are
// matched against: the longest prefix is shorter.
const furnitureHeadBytes = 96

// prefixOf returns at most the first n bytes of s, cut at a rune boundary.
func prefixOf(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// isStamp reports whether a short line only dates the page, in any
// language: it has a time of day, and numbers make up two fifths of its
// words ("17 ส.ค. 2569 12:10 น. (อัปเดต 12:41 น.)", "Published August 17,
// 2026 at 07:20 GMT", "입력 2026.08.17 07:50").
func isStamp(low string) bool {
	fields := strings.Fields(low)
	digits, clock := 0, false
	for _, f := range fields {
		if strings.ContainsAny(f, "0123456789") {
			digits++
		}
		if i := strings.IndexAny(f, ":："); i > 0 && i < len(f)-1 && f[i-1] >= '0' && f[i-1] <= '9' {
			clock = true
		}
	}
	return clock && 5*digits >= 2*len(fields)
}

// captionMarks are the credits that mark a photo caption.
var captionMarks = foldAll(
	"(photo", "photo:", "photo :", "photos:", "(foto", "foto:", "(фото", "фото:", "(صورة", "صورة:", "(عکس",
	"عکس:", "写真：", "（写真", "图片来源", "图/", "（图", "사진=", "자료사진", "(사진", "fotoğraf:", "(fotoğraf",
	"ภาพ:", "(ภาพ", "φωτογραφία:", "(φωτογραφία", "reuters/", "afp/", "ap photo", "getty images", "/archivo",
	"/archive", "picture alliance", "picture-alliance", "file photo", "epa/", "efe/", "xinhua/", "视觉中国",
	"© ", "(c) ",
)

// captionMaxWords: a longer line is not a caption.
const captionMaxWords = 45

// isCaption reports whether a line is a photo caption: a short line that
// credits a photographer or photo agency, or a Japanese caption's
// "＝17日、首相官邸" place-and-date tail.
func isCaption(line string, units int) bool {
	if units > captionMaxWords*unitsPerWord {
		return false
	}
	low := foldLine(line)
	for _, m := range captionMarks {
		if strings.Contains(low, m) {
			return true
		}
	}
	// "…に臨む首相＝17日、首相官邸": NFKC made "＝" "=".
	if i := strings.LastIndex(low, "="); i > 0 {
		rest := low[i+1:]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j > 0 && strings.HasPrefix(rest[j:], "日") {
			return true
		}
	}
	return false
}

// sentenceEnds are the runes that end a sentence: Latin, CJK (full and
// half width), Arabic and Urdu, Devanagari, Myanmar, Khmer and Armenian
// stops, question and exclamation marks.
func isSentenceEnd(r rune) bool {
	switch r {
	case '.', '!', '?', '…', '。', '！', '？', '｡', '؟', '۔', '।', '॥', '။', '។', '։':
		return true
	}
	return false
}

// endsSentence reports whether line ends like a sentence, possibly inside
// closing quotes or brackets.
func endsSentence(line string) bool {
	line = strings.TrimRightFunc(line, func(r rune) bool { return unicode.IsSpace(r) || isClosing(r) })
	r, _ := utf8.DecodeLastRuneInString(line)
	return isSentenceEnd(r)
}

// creditPrefixes open a sentence that credits the copy.
var creditPrefixes = foldAll(
	"reporting by", "additional reporting", "editing by", "writing by", "compiled by", "©", "copyright",
	"(c) ", "source:", "with inputs from", "with input from", "source :", "quelle:", "fuente:", "fonte:",
	"источник:", "джерело:", "المصدر:", "منبع:", "kaynak:", "来源：", "來源：", "（完）", "(끝)", "(끝)",
	"con información de", "por materialam", "по материалам", "за матеріалами",
)

// isCredit reports whether a sentence credits the copy rather than telling
// the story: "(Reporting by ...; Editing by ...)", "(AFP)", "— dpa",
// "AFP", "（完）".
func isCredit(s string) bool {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return true
	case s[0] == '(' && strings.HasSuffix(strings.TrimRight(s, "."), ")"),
		strings.HasPrefix(s, "（") && strings.HasSuffix(s, "）"):
		return quickUnits(s, 26*unitsPerWord) <= 25*unitsPerWord
	case startsWithDash(s):
		return quickUnits(s, 5*unitsPerWord) <= 4*unitsPerWord
	case len(s) <= 8 && countWords(s, 2) == 1 && strings.ToUpper(s) == s && strings.IndexFunc(s, unicode.IsLetter) >= 0:
		return true // a bare agency name: "AFP", "AP", "DPA"
	}
	first := s[0]
	if first >= 'A' && first <= 'Z' {
		first += 'a' - 'A'
	}
	if first < utf8.RuneSelf && creditIndex[first] == nil {
		return false // no credit opens with it: spare the folding
	}
	low := foldLine(prefixOf(s, 48))
	for _, p := range creditIndex[low[0]] {
		if strings.HasPrefix(low, p) {
			return true
		}
	}
	return false
}

// startsWithDash reports whether s opens with a hyphen, en or em dash
// (reading only its first character, where IndexFunc read every sentence
// without one to its end).
func startsWithDash(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r == '-' || r == '–' || r == '—'
}

// creditIndex lists the credit prefixes by their first byte.
var creditIndex = func() (ix [256][]string) {
	for _, p := range creditPrefixes {
		ix[p[0]] = append(ix[p[0]], p)
	}
	return ix
}()

// countWords counts the space-separated words of s, stopping at limit.
func countWords(s string, limit int) int {
	n := 0
	in := false
	for _, r := range s {
		if r == ' ' || r < utf8.RuneSelf && r <= '\r' && r >= '\t' || r >= utf8.RuneSelf && unicode.IsSpace(r) {
			in = false
			continue
		}
		if !in {
			if n++; n >= limit {
				return n
			}
			in = true
		}
	}
	return n
}

// quickUnits estimates the length of a line in word units without
// normalising it: words, and the characters of unspaced scripts at their
// weight. It stops counting at limit.
func quickUnits(s string, limit int) int {
	n := 0
	in := false
	for i := 0; i < len(s) && n < limit; {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if c == ' ' || c <= '\r' && c >= '\t' {
				in = false
			} else if !in {
				n += unitsPerWord
				in = true
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch _, cl := fold(r); cl {
		case runeCJK, runeSEA:
			n += runeUnits[cl]
			in = false
		case runeWord, runeExpand, runeIgnore, runeApos:
			if !in {
				n += unitsPerWord
				if isHangul(r) {
					n += hangulWordUnits - unitsPerWord
				}
				in = true
			}
		default:
			in = false
		}
	}
	return n
}

// unspacedClass returns runeCJK or runeSEA for the letters of the main
// blocks of unspaced scripts, else 0; a fast check for quickUnits.
func unspacedClass(r rune) uint8 {
	switch {
	case r >= 0x4e00 && r <= 0x9fff, r >= 0x3041 && r <= 0x30ff && r != 0x30fb, r >= 0x3400 && r <= 0x4dbf:
		return runeCJK
	case r >= 0x0e01 && r <= 0x0e4e, r >= 0x0e81 && r <= 0x0ecd, r >= 0x1000 && r <= 0x109f, r >= 0x1780 && r <= 0x17dd:
		return runeSEA
	}
	return 0
}

// foldLine returns s folded for matching the furniture lists: NFKC, lower
// case, letter variants folded (see fold), punctuation and spacing kept.
func foldLine(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range nfkc(s) {
		f, c := fold(r)
		switch c {
		case runeWord, runeCJK, runeSEA:
			b.WriteRune(f)
		case runeExpand:
			x, y := expand(r)
			b.WriteRune(x)
			b.WriteRune(y)
		case runeIgnore:
		case runeApos:
			b.WriteByte('\'')
		default:
			if unicode.IsSpace(r) {
				b.WriteByte(' ')
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// foldAll folds list entries as foldLine folds lines.
func foldAll(xs ...string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = foldLine(x)
	}
	return out
}
