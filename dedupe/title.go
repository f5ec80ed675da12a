package dedupe

import (
	"strings"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
)

// Titles as the title rule compares them. Feeds dress headlines: wire slugs
// in front ("UPDATE 2-", "【速報】", "[속보]", "СРОЧНО:"), the site's or the
// source's name behind (" - Reuters", " | DW", "（ロイター） - Yahoo!ニュース").
// Aggregator pools (Google News, Yahoo) carry several outlets' copies of a
// story in one feed, each title ending in its source's name.
//
// A trailing part after a separator (" - ", " | ", "|", " – ", " — ", " :: ",
// " · ") or in brackets at the end is removed when it is short (at most
// staticTailWords words) or when it is one of the feed's learned source
// suffixes: a tail found on sourceItems or more of the feed's items
// (learned like boilerplate sentences, stored with them, so a restart
// keeps them). Up to maxTails are removed, so a pool's own name and then
// the source's name inside it both go. The learned tails removed are the
// source an item names; two items of one feed may be joined by their
// titles only when both name a source and the sources differ, which is
// what an aggregator pool's copies of one story look like, and never what
// a feed's own recurring headlines ("Russia-Ukraine war: key events, day
// 912") look like.

const (
	// staticTailWords: a shorter tail is removed without being learned.
	staticTailWords = 4
	// learnTailWords: a longer tail is not a source name and is not
	// recorded for learning.
	learnTailWords = 8
	// titleHeadMinWords: what remains of a title must be at least this long.
	titleHeadMinWords = 3
	// sourceItems is on how many of a feed's items a tail must recur to be
	// learned as one of its source suffixes.
	sourceItems = 3
	maxTails    = 3
	maxSlugs    = 3
)

// titleInfo is a title as the title rule compares it.
type titleInfo struct {
	key    string   // normalised: slugs and source suffixes removed, folded, words spaced
	source string   // the learned source suffixes removed, folded; "" when none
	tails  []uint64 // tail hashes the feed's learning records
}

// titleSeparators split a site or source name off a headline.
var titleSeparators = []string{" - ", " | ", " – ", " — ", " :: ", " · ", " • ", "|"}

// slugs are the wire and site labels removed from the front of a title,
// folded, when followed by a separator (":", "-", "|", ".", "–", "—").
var slugs = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range foldAll("update", "wrapup", "refile", "corrected", "exclusive", "breaking", "breaking news",
		"watch", "live", "video", "analysis", "factbox", "explainer", "insight", "opinion", "lead",
		"direct", "en direct", "vidéo", "última hora", "en vivo", "exclusiva", "eilmeldung", "liveblog", "exklusiv",
		"срочно", "молния", "видео", "терміново", "наживо", "عاجل", "مباشر", "فيديو", "فوری", "ویدئو",
		"son dakika", "canlı", "快讯", "独家", "突发", "视频", "直播", "速報", "独自", "속보", "단독", "ด่วน",
		"έκτακτο", "live blog") {
		m[s] = true
	}
	return m
}()

// titleKey returns a headline normalised for comparison with the static
// rules only: what titleOf returns for a feed that has learned nothing.
func titleKey(title string) string {
	return parseTitle(title, nil).key
}

// titleOf parses an item's title with its feed's learned source suffixes,
// committed and in the transaction in progress.
func (e *Engine) titleOf(feed, title string) titleInfo {
	return parseTitle(title, func(h uint64) bool { return e.learned.has(feed, h) || e.tx.learned.has(feed, h) })
}

// tailHash is the hash under which a title tail is counted and learned; it
// lives with the sentence hashes of the feed's boilerplate and cannot
// collide with them in practice.
func tailHash(folded string) uint64 {
	return xxhash.Sum64String("wirefeed/title-tail\x00" + folded)
}

// parseTitle normalises a title, removing slugs and the tails that are
// short or learned (see the comment at the top of this file).
func parseTitle(title string, learned func(uint64) bool) titleInfo {
	var ti titleInfo
	t := foldSpaces(nfkc(stripMarkup(title)))
	t = stripSlugs(t)
	var sources []string
	for range maxTails {
		head, tail, ok := splitTail(t)
		if !ok {
			break
		}
		tailUnits := quickUnits(tail, (learnTailWords+1)*unitsPerWord)
		if tailUnits == 0 || tailUnits > learnTailWords*unitsPerWord || quickUnits(head, titleHeadMinWords*unitsPerWord) < titleHeadMinWords*unitsPerWord {
			break
		}
		folded := strings.TrimSpace(foldLine(tail))
		h := tailHash(folded)
		ti.tails = append(ti.tails, h)
		isLearned := learned != nil && learned(h)
		if !isLearned && tailUnits > staticTailWords*unitsPerWord {
			break
		}
		if isLearned {
			sources = append(sources, folded)
		}
		t = head
	}
	ti.source = strings.Join(sources, "\x1f")
	var b strings.Builder
	scanRuns(t, func(r run) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.Write(r.text)
	})
	ti.key = b.String()
	return ti
}

// splitTail splits the last tail off a title: the part in brackets at its
// end ("(X)", "[X]", "【X】"; NFKC has made full-width brackets plain), or
// after its last separator.
func splitTail(t string) (head, tail string, ok bool) {
	if closer, size := utf8.DecodeLastRuneInString(t); closer == ')' || closer == ']' || closer == '】' {
		opener := map[rune]string{')': "(", ']': "[", '】': "【"}[closer]
		end := len(t) - size
		if i := strings.LastIndex(t[:end], opener); i > 0 {
			return strings.TrimSpace(t[:i]), strings.TrimSpace(t[i+len(opener) : end]), true
		}
	}
	best := -1
	var sep string
	for _, s := range titleSeparators {
		if i := strings.LastIndex(t, s); i > best {
			best, sep = i, s
		}
	}
	if best <= 0 {
		return "", "", false
	}
	return strings.TrimSpace(t[:best]), strings.TrimSpace(t[best+len(sep):]), true
}

// stripSlugs removes wire slugs and labels from the front of a title:
// "UPDATE 2-", "EXCLUSIVE-", "СРОЧНО:", "DIRECT.", "مباشر|", and short
// bracketed tags: "【速報】", "[속보]", "(LEAD)".
func stripSlugs(t string) string {
	for range maxSlugs {
		switch {
		case strings.HasPrefix(t, "【"), strings.HasPrefix(t, "["), strings.HasPrefix(t, "("):
			closer := map[byte]string{'[': "]", '(': ")"}[t[0]]
			if closer == "" {
				closer = "】"
			}
			i := strings.Index(t, closer)
			if i < 0 || utf8.RuneCountInString(t[:i]) > 12 || strings.TrimSpace(t[i+len(closer):]) == "" {
				return t
			}
			t = strings.TrimSpace(t[i+len(closer):])
			continue
		}
		i := strings.IndexAny(t, ":-|.–—")
		if i <= 0 || i > 40 {
			return t
		}
		slug := strings.TrimSpace(foldLine(t[:i]))
		slug = strings.TrimRight(slug, "0123456789 ")
		if !slugs[slug] {
			return t
		}
		_, size := utf8.DecodeRuneInString(t[i:])
		t = strings.TrimSpace(t[i+size:])
	}
	return t
}
