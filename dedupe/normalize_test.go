package dedupe

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/wirefeed/wirefeed"
)

func TestWords(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Xi’s visit — “a new chapter”", "xis visit a new chapter"},
		{"Xi's visit -- \"a new chapter\"", "xis visit a new chapter"},
		{"1,200 troops and 3.5 percent", "1,200 troops and 3.5 percent"},
		{"U.S.-China talks", "u s china talks"},
		{"ﬁnal ＡＢＣ", "final abc"},                   // NFKC: ligature, full-width letters
		{"São Paulo, Đà Nẵng", "sao paulo đa nang"}, // accents folded; đ is a letter of its own
		{"end.", "end"},
		{"", ""},
	}
	for _, tc := range cases {
		if got := strings.Join(Words(tc.in), " "); got != tc.want {
			t.Errorf("Words(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStripDateline(t *testing.T) {
	cases := []struct{ in, want string }{
		{"BERLIN (dpa) - The government said", "The government said"},
		{"WASHINGTON, June 14 (Reuters) - The government said", "The government said"},
		{"UNITED NATIONS (AP) — The council voted", "The council voted"},
		{"Geneva, 3 March (AFP) – The talks began", "The talks began"},
		{"New Delhi, June 14: The ministry said", "The ministry said"},
		{"SEOUL, Jan. 5 (Yonhap) -- North Korea fired", "North Korea fired"},
		{"(Reuters) - The ministry said", "The ministry said"},
		{"NEW YORK — Stocks fell", "Stocks fell"},
		{"Berlin (dpa) - Die Regierung", "Die Regierung"},
		// not datelines
		{"US-China talks resumed on Monday.", "US-China talks resumed on Monday."},
		{"China's exports rose sharply — the fastest pace in a year.", "China's exports rose sharply — the fastest pace in a year."},
		{"The minister (left) - seen here - spoke.", "The minister (left) - seen here - spoke."},
		{"A U.S. drone crashed.", "A U.S. drone crashed."},
	}
	for _, tc := range cases {
		if got, _ := stripDateline(tc.in); got != tc.want {
			t.Errorf("stripDateline(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestIsFurniture(t *testing.T) {
	cases := []struct {
		line string
		want bool
	}{
		{"Advertisement", true},
		{"More important news", true},
		{"See also Prince Harry seems completely enamored with Canada", true},
		{"SEE ALSO: Markets rally as oil slips", true},
		{"Read more: EU agrees sanctions on tankers", true},
		{"Sign up for our World Briefing newsletter, delivered every weekday morning.", true},
		{"We use cookies to improve your experience on our site. By continuing to browse, you agree to our use of cookies.", true},
		{"Updated on 06/14/2023 at 12:11 pm", true},
		{"June 21, 2024", true},
		{"International Relations", true},
		{"Editor’s note: This story has been updated with additional details.", true},
		{"The post Finland reopens border appeared first on Daily Meridian.", true},
		{"© 2024 Daily Meridian. All rights reserved.", true},
		// copy
		{"He declined to comment.", false},
		{"“We will respond.”", false},
		{"The ministry said its newsletter to diplomats had been leaked, and that an inquiry would examine how the document reached reporters in three capitals last week.", false},
		{"Chinese Foreign Minister Qin Gang has blamed the US for new difficulties.", false},
	}
	for _, tc := range cases {
		if got := isFurniture(tc.line); got != tc.want {
			t.Errorf("isFurniture(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}

func TestIsCredit(t *testing.T) {
	cases := []struct {
		s    string
		want bool
	}{
		{"(Reporting by Marta Keller; Editing by Daniel Osei)", true},
		{"(AFP)", true},
		{"— AFP", true},
		{"-- dpa", true},
		{"– dpa", true},
		{"The talks — by all accounts — failed.", false},
		{"AFP", true},
		{"Additional reporting by Olena Kravets.", true},
		{"© Agence France-Presse", true},
		{"The agency said so.", false},
		{"NATO", true}, // a lone upper-case word: rare in copy, common as a credit
		{"Iran's envoy said the resolution was politically motivated.", false},
	}
	for _, tc := range cases {
		if got := isCredit(tc.s); got != tc.want {
			t.Errorf("isCredit(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestSplitSentences(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"One thing. Another thing.", []string{"One thing.", "Another thing."}},
		{`He said "yes." Then he left.`, []string{`He said "yes."`, "Then he left."}},
		{"He said “yes.” Then he left.", []string{"He said “yes.”", "Then he left."}},
		{"The U.S. envoy met Mr. Lee. They talked.", []string{"The U.S. envoy met Mr. Lee.", "They talked."}},
		{"It grew 3.5 percent. Prices rose.", []string{"It grew 3.5 percent.", "Prices rose."}},
		{"Was it? Yes! 2024 was hard.", []string{"Was it?", "Yes!", "2024 was hard."}},
		{"no capital. after it", []string{"no capital. after it"}},
	}
	for _, tc := range cases {
		if got := splitSentences(nil, tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("splitSentences(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTitleKey(t *testing.T) {
	cases := []struct{ in, want string }{
		{"China blames US for new problems - Reuters", "china blames us for new problems"},
		{"UPDATE 2-China blames US for new problems", "china blames us for new problems"},
		{"China blames US for “new problems” | DW News", "china blames us for new problems"},
		{"EXCLUSIVE: China blames US for new problems", "china blames us for new problems"},
		{"US-China talks - a new chapter begins in Beijing today", "us china talks a new chapter begins in beijing today"},
		{"Peace talks - Live", "peace talks live"}, // too short to lose a tail
	}
	for _, tc := range cases {
		if got := titleKey(tc.in); got != tc.want {
			t.Errorf("titleKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCleanBodyDropsTitleLineAndMarkup(t *testing.T) {
	title := "Finland to reopen one border crossing with Russia"
	plain := "Finland will reopen one rail crossing on its border with Russia for freight traffic, the government said."
	variants := []string{
		plain,
		title + "\n\n" + plain,
		"<p>" + strings.ReplaceAll(plain, " ", "&nbsp;") + "</p>",
		"HELSINKI (Reuters) - " + plain + "\n\n(Reporting by A. Writer; Editing by B. Editor)",
		"By Aino Virtanen\n\n" + plain + "\n\nhttps://example.com/story?utm_source=x",
		"Advertisement\n\n" + strings.ReplaceAll(plain, "'", "’") + "\n\nShare this article",
	}
	want := cleanBody(plain, title, nil, nil).words
	for _, v := range variants {
		if got := cleanBody(v, title, nil, nil).words; !slices.Equal(got, want) {
			t.Errorf("cleanBody(%q) differs from the plain copy: %d words, want %d", v, len(got), len(want))
		}
	}
}

// sharedExample reads ../shared/examples/republished-wire-story.txt in
// place, or skips.
func sharedExample(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedDir(t, "examples"), "republished-wire-story.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRealRepublication checks the real content-farm republication in
// ../shared/examples against the agency copy it came from. The agency copy
// is rebuilt from the example itself by removing what the farm added (its
// header lines, "More important news", the "See also" line and the
// editorial asides), so nothing of it is copied into this repository.
func TestRealRepublication(t *testing.T) {
	farm := sharedExample(t)
	var paras []string
	for _, p := range strings.Split(farm, "\n\n") {
		p = strings.TrimSpace(p)
		if p != "" {
			paras = append(paras, p)
		}
	}
	// The agency copy: from the lede on, without the farm's insertions.
	var agency []string
	started := false
	for _, p := range paras {
		if strings.HasPrefix(p, "Chinese Foreign Minister") {
			started = true
		}
		if !started || p == "More important news" || strings.HasPrefix(p, "See also") {
			continue
		}
		for _, aside := range []string{" Between America and wanting to destroy China.", ", which it certainly isn’t"} {
			p = strings.Replace(p, aside, "", 1)
		}
		agency = append(agency, p)
	}
	if len(agency) < 5 {
		t.Fatalf("could not find the agency copy in the example (%d paragraphs)", len(agency))
	}
	e := New(Options{})
	farmP := e.prepare("farm", "China blames US for “new problems”.", farm)
	agencyP := e.prepare("dpa", "China blames US for new difficulties in relations", text(agency...))
	o := compare(farmP.body, agencyP.body)
	t.Logf("farm vs agency: Jaccard %.3f containment %.3f lede %.2f", o.Jaccard, o.Containment, o.Lede)
	if !e.strong(o) || o.Jaccard < 0.8 {
		t.Errorf("the republication is not recognised as the agency copy: %+v", o)
	}
	cleanedFarm := cleanBody(farm, "China blames US for “new problems”.", nil, nil)
	for _, junk := range []string{"more important news", "prince harry seems completely enamored with canada", "updated on", "international relations"} {
		if containsRun(cleanedFarm.words, appendWordHashes(nil, junk)) {
			t.Errorf("cleaned farm copy still holds %q", junk)
		}
	}
	// A one-sentence summary of it, under another headline.
	summary := firstSentence(agency[0])
	s := e.prepare("brief", "Qin blames Washington", summary)
	if o := compare(s.body, farmP.body); !e.strong(o) {
		t.Errorf("the summary does not match the farm copy: %+v", o)
	}
}

// containsRun reports whether the word hashes ws hold the run sub.
func containsRun(ws, sub []uint64) bool {
	for i := 0; i+len(sub) <= len(ws); i++ {
		if slices.Equal(ws[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

func TestRepresentative(t *testing.T) {
	at := t0
	m := func(id int64, feed, txt string, pub time.Duration) wirefeed.Member {
		return wirefeed.Member{ItemID: id, FeedName: feed, Text: txt, Published: at.Add(pub)}
	}
	long := "The council voted to extend the mission for a year. The resolution calls for elections. Russia and China abstained."
	furnished := "Advertisement\n\nThe council voted to extend the mission.\n\nSign up for our newsletter, delivered every weekday morning to your inbox for free.\n\nShare this article\n\nSee also: Markets rally as oil slips on demand worries in Asia and Europe"
	cases := []struct {
		name      string
		preferred []string
		ms        []wirefeed.Member
		want      int64
	}{
		{"preferred source wins", []string{"AFP", "Reuters"}, []wirefeed.Member{m(1, "Farm", long, 0), m(2, "reuters", "Short.", time.Hour), m(3, "AFP", "Short.", 2*time.Hour)}, 3},
		{"fullest clean text, not the most furniture", nil, []wirefeed.Member{m(1, "Farm", furnished, 0), m(2, "Wire", long, time.Hour)}, 2},
		{"earliest among equals", nil, []wirefeed.Member{m(1, "A", long, time.Hour), m(2, "B", long, 0)}, 2},
		{"first stored among the same", nil, []wirefeed.Member{m(5, "A", long, 0), m(4, "B", long, 0)}, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := New(Options{PreferredSources: tc.preferred})
			if got := tc.ms[e.Representative(tc.ms)].ItemID; got != tc.want {
				t.Errorf("representative is item %d, want %d", got, tc.want)
			}
		})
	}
}

func FuzzCleanBody(f *testing.F) {
	for _, s := range []string{
		"BERLIN (dpa) - The government said.\n\nAdvertisement\n\n(Reporting by X)",
		"<p>Xi&#8217;s visit &amp; “talks”</p><br>See also: a headline",
		"U.S. envoy met Mr. Lee. They talked.\u00a0\u00a0Then 3.5 percent…",
		"<", "&", "(", "\n\n\n", "ＡＢＣ ﬁnal",
		"新华社北京8月17日电（记者王晓明）中国与东盟国家。\n\n相关新闻\n\n责任编辑：李娜",
		"القاهرة (رويترز) - قالت وزارة الخارجية إن الـمفاوضاتُ ستستأنف.\n\nاقرأ أيضا: عنوان",
		"กรุงเทพฯ 17 ส.ค. (สำนักข่าวไทย) - รัฐมนตรี ไทย ๑.๖ กิโลเมตร",
		"МОСКВА, 17 августа. /ТАСС/. Пётр сказал.\n\nЧитайте также: заголовок",
		"Bookmark\n\nShare\n\nWhatsApp\n\nSet X as your preferred source on Google\n\nThe text.",
	} {
		f.Add(s, "A title - Site")
	}
	f.Fuzz(func(t *testing.T, body, title string) {
		c := cleanBody(body, title, nil, nil)
		again := cleanBody(body, title, nil, nil)
		if !slices.Equal(c.words, again.words) || !slices.Equal(c.fresh, again.fresh) {
			t.Fatalf("cleanBody is not deterministic")
		}
		for _, w := range Words(body) {
			if w == "" || strings.IndexFunc(w, unicode.IsSpace) >= 0 || strings.ToLower(w) != w && !strings.ContainsFunc(w, unicode.IsMark) {
				t.Fatalf("Words(%q) yields %q", body, w)
			}
		}
		if len(c.words) > 0 {
			s := shingle(c.words, c.units)
			if len(s.set) == 0 || len(s.set) > len(c.words) {
				t.Fatalf("%d shingles from %d words", len(s.set), len(c.words))
			}
		}
		_ = titleKey(title)
	})
}

// TestFoldSpaces checks foldSpaces against its definition (white space of
// any kind, runs folded to one plain space, trimmed) on random lines made
// of the bytes its table classes apart.
func TestFoldSpaces(t *testing.T) {
	alphabet := []string{"a", "é", "日", " ", "  ", "\t", "\n", "\r", "\v", "\f", "\u00a0", "\u2003", "\u0085", "\u3000", ".", "\xff", "\xe2\x80"}
	r := rand.New(rand.NewPCG(3, 13))
	for range 20000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		line := b.String()
		want := strings.Join(strings.FieldsFunc(line, unicode.IsSpace), " ")
		if got := foldSpaces(line); got != want {
			t.Fatalf("foldSpaces(%q) = %q, want %q", line, got, want)
		}
	}
}
