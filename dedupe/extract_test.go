package dedupe

import (
	"slices"
	"strings"
	"testing"
)

// intlStory returns a base story of the multilingual set: its record.
func intlStory(t *testing.T, lang, id string) record {
	t.Helper()
	for _, r := range readRecords(t, "intl/"+lang+".txt") {
		if r.id == id {
			return r
		}
	}
	t.Fatalf("no record %s in intl/%s.txt", id, lang)
	return record{}
}

// fullPage is en-S1 as a news site puts its whole page into
// content:encoded, normalised as the fetcher normalises it.
func fullPage(t *testing.T, s record, related ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`<div><a href="https://cna.example/asia">Asia</a></div><h1>` + s.get("title") + `</h1>`)
	b.WriteString(`<p>` + s.get("standfirst") + `</p>`)
	b.WriteString(`<figure><img src="https://cna.example/a.jpg" alt=""><figcaption>` + s.get("caption") + ` (Photo: Reuters/Denis Balibouse)</figcaption></figure>`)
	b.WriteString(`<div><time datetime="2026-08-17T05:45:00Z">17 Aug 2026 05:45AM (Updated: 17 Aug 2026 06:10AM)</time></div>`)
	b.WriteString(`<ul><li><a href="#">Bookmark</a></li><li><a href="#">Share</a></li><li><a href="#">WhatsApp</a></li><li><a href="#">Telegram</a></li><li><a href="#">Facebook</a></li><li><a href="#">Twitter</a></li><li><a href="#">Email</a></li><li><a href="#">LinkedIn</a></li></ul>`)
	b.WriteString(`<p><a href="https://www.google.com/preferences/source?q=cna">Set CNA as your preferred source on Google</a></p>`)
	for i, p := range s.body {
		if i == 0 {
			p = "GENEVA: " + p
		}
		b.WriteString("<p>" + p + "</p>")
		if i == 2 {
			b.WriteString("<p>Advertisement</p>")
		}
	}
	b.WriteString(`<p>Source: Reuters/fs</p><div><h3>Related:</h3><ul>`)
	for _, r := range related {
		b.WriteString(`<li><a href="https://cna.example/r">` + r + `</a></li>`)
	}
	b.WriteString(`</ul></div><div><h3>Also worth reading</h3></div><p><a href="https://cna.example/x">Chile's copper output falls for third month on mine stoppages</a></p>`)
	return fetchedText(b.String())
}

func TestExtractFullPage(t *testing.T) {
	s := intlStory(t, "en", "en-S1")
	page := fullPage(t, s, "Philippines and Japan sign pact allowing troops to train on each other's soil", "Kenya, Ethiopia to reopen Moyale border post")
	var tr bodyTrace
	cleanBody(page, s.get("title"), nil, &tr)
	if !slices.Equal(tr.Kept, s.body) {
		t.Errorf("compared text:\n%s\nwant the wire text:\n%s", strings.Join(tr.Kept, "\n"), strings.Join(s.body, "\n"))
	}
	dropped := map[string]string{}
	for _, d := range tr.Dropped {
		dropped[d.Line] = d.Why
	}
	for line, why := range map[string]string{
		"Asia":              "furniture",
		s.get("title"):      "title repeated",
		s.get("standfirst"): "outside the article",
		s.get("caption") + " (Photo: Reuters/Denis Balibouse)": "caption",
		"17 Aug 2026 05:45AM (Updated: 17 Aug 2026 06:10AM)":   "furniture",
		"Set CNA as your preferred source on Google":           "furniture",
		"Kenya, Ethiopia to reopen Moyale border post":         "heading",
		"Advertisement": "furniture",
	} {
		if got, ok := dropped[line]; !ok || !strings.Contains(got, why) {
			t.Errorf("%q left out as %q, want %q", line, got, why)
		}
	}
}

// TestExtractKeepsPlainBodies checks that bodies without a page around
// them lose nothing but their furniture: a copy desk's inserted lines do
// not cut an article into parts, and a summary without a full stop is
// kept.
func TestExtractKeepsPlainBodies(t *testing.T) {
	s := intlStory(t, "en", "en-S2")
	cases := []struct {
		name string
		body []string
		want []string
	}{
		{"furniture between paragraphs",
			[]string{s.body[0], "Advertisement", "Read also: Kenya, Ethiopia to reopen Moyale border post", s.body[1], s.body[2]},
			s.body[:3]},
		{"summary without a full stop", []string{"Philippines and Japan sign troop access pact as China watches"},
			[]string{"Philippines and Japan sign troop access pact as China watches"}},
		{"thai paragraphs have no full stops", intlStory(t, "th", "th-S1").body, intlStory(t, "th", "th-S1").body},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var tr bodyTrace
			cleanBody(strings.Join(tc.body, "\n\n"), "A title that is not in the body at all", nil, &tr)
			if !slices.Equal(tr.Kept, tc.want) {
				t.Errorf("kept:\n%s\nwant:\n%s", strings.Join(tr.Kept, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
