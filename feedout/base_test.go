package feedout

import (
	"context"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
)

var channelLinkRE = regexp.MustCompile(`<channel>(?s:.*?)<link>([^<]*)</link>`)

// Issue 10, item 8: without server.base_url the RSS channel link is the
// server's address as the request reached it, never empty for a sane host;
// with base_url it is the base URL whatever the request says. The
// rendering cache keeps one rendering per host.
func TestRSSChannelLinkFromRequestHost(t *testing.T) {
	tests := []struct {
		name, base, host, proto, want string
	}{
		{"plain host", "", "news.example:8080", "", "http://news.example:8080/"},
		{"behind a TLS proxy", "", "news.example", "https", "https://news.example/"},
		{"another host, another rendering", "", "wire.example", "", "http://wire.example/"},
		{"IPv6 literal", "", "[::1]:8080", "", "http://[::1]:8080/"},
		{"host with markup is not echoed", "", `evil.example"><x`, "", ""},
		{"base_url wins", "https://feeds.example/wire/", "news.example", "", "https://feeds.example/wire/"},
	}
	_, plain := newTestHandler(t, HandlerOptions{})
	_, based := newTestHandler(t, HandlerOptions{Meta: Meta{BaseURL: "https://feeds.example/wire/"}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := plain
			if tt.base != "" {
				h = based
			}
			r := httptest.NewRequest("GET", "/feed.rss", nil)
			r.Host = tt.host
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				t.Fatalf("GET /feed.rss = %d", w.Code)
			}
			m := channelLinkRE.FindSubmatch(w.Body.Bytes())
			if m == nil {
				t.Fatalf("no channel <link> in %.300s", w.Body.String())
			}
			if got := string(m[1]); got != tt.want {
				t.Errorf("channel link = %q, want %q", got, tt.want)
			}
		})
	}
}

// Issue 10: a feed read with a warning (a document cut short, say) shows
// the warning on the status page.
func TestStatusShowsFeedWarning(t *testing.T) {
	st, h := newTestHandler(t, HandlerOptions{})
	_, err := st.Record(context.Background(), &wirefeed.Outcome{Feed: testFeeds[0], Attempted: t0.Add(time.Hour), Status: 200,
		Warnings: []string{"truncated: document cut short (line 9: unexpected EOF); read the 4 complete items before byte 812 of 900"}})
	if err != nil {
		t.Fatal(err)
	}
	w := get(t, h, "GET", "/")
	if !strings.Contains(w.Body.String(), "warning: truncated: document cut short") {
		t.Errorf("status page does not show the warning:\n%.2000s", w.Body.String())
	}
}
