package feedout

import (
	"net/http/httptest"
	"regexp"
	"testing"
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
