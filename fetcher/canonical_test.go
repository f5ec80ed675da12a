package fetcher

import (
	"net/url"
	"testing"
)

func TestCanonicalURL(t *testing.T) {
	base, _ := url.Parse("https://news.example.com/world/index.html")
	tests := []struct {
		name string
		raw  string
		base *url.URL
		want string
	}{
		{"already canonical", "https://news.example.com/world/a-story", nil, "https://news.example.com/world/a-story"},
		{"scheme and host case folded", "HTTPS://News.Example.COM/World/Story", nil, "https://news.example.com/World/Story"},
		{"default https port dropped", "https://news.example.com:443/a", nil, "https://news.example.com/a"},
		{"default http port dropped", "http://news.example.com:80/a", nil, "http://news.example.com/a"},
		{"other port kept", "http://news.example.com:8080/a", nil, "http://news.example.com:8080/a"},
		{"trailing dot of host dropped", "https://news.example.com./a", nil, "https://news.example.com/a"},
		{"fragment dropped", "https://news.example.com/a#comments", nil, "https://news.example.com/a"},
		{"user info dropped", "https://user:pw@news.example.com/a", nil, "https://news.example.com/a"},
		{"empty path becomes slash", "https://news.example.com", nil, "https://news.example.com/"},
		{"utm parameters dropped", "https://news.example.com/a?utm_source=rss&utm_medium=feed&utm_campaign=x", nil, "https://news.example.com/a"},
		{"click ids dropped", "https://news.example.com/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&msclkid=5", nil, "https://news.example.com/a"},
		{"tracking key case insensitive", "https://news.example.com/a?UTM_Source=x&FBCLID=y", nil, "https://news.example.com/a"},
		{"meaningful parameters kept and sorted", "https://news.example.com/article?id=42&utm_source=x&cat=world", nil, "https://news.example.com/article?cat=world&id=42"},
		{"repeated values sorted", "https://news.example.com/a?t=b&t=a", nil, "https://news.example.com/a?t=a&t=b"},
		{"amp path suffix", "https://news.example.com/world/story/amp", nil, "https://news.example.com/world/story"},
		{"amp path suffix with slash", "https://news.example.com/world/story/amp/", nil, "https://news.example.com/world/story"},
		{"amp extension", "https://news.example.com/world/story.amp", nil, "https://news.example.com/world/story"},
		{"amp html extension", "https://news.example.com/world/story.amp.html", nil, "https://news.example.com/world/story.html"},
		{"amp query flag", "https://news.example.com/world/story?amp", nil, "https://news.example.com/world/story"},
		{"amp query true", "https://news.example.com/world/story?amp=1&id=3", nil, "https://news.example.com/world/story?id=3"},
		{"outputType amp", "https://news.example.com/world/story?outputType=amp", nil, "https://news.example.com/world/story"},
		{"word ending in amp kept", "https://news.example.com/world/champ", nil, "https://news.example.com/world/champ"},
		{"relative path resolved", "story.html", base, "https://news.example.com/world/story.html"},
		{"root-relative resolved", "/europe/story", base, "https://news.example.com/europe/story"},
		{"protocol-relative resolved", "//cdn.example.net/x", base, "https://cdn.example.net/x"},
		{"dot segments cleaned", "https://news.example.com/a/./b/../c", nil, "https://news.example.com/a/c"},
		{"dot segments resolved against base", "../top", base, "https://news.example.com/top"},
		{"escaped path kept", "https://news.example.com/a%2Fb", nil, "https://news.example.com/a%2Fb"},
		{"unicode host lowered", "https://NEWS.example.com/ü", nil, "https://news.example.com/%C3%BC"},
		{"IPv6 host", "http://[2001:DB8::1]:8080/a", nil, "http://[2001:db8::1]:8080/a"},
		{"white space trimmed", "  https://news.example.com/a \n", nil, "https://news.example.com/a"},
		{"javascript refused", "javascript:alert(1)", base, ""},
		{"data refused", "data:text/html,<script>alert(1)</script>", nil, ""},
		{"mailto refused", "mailto:desk@example.com", nil, ""},
		{"relative without base refused", "/a/b", nil, ""},
		{"empty", "", base, ""},
		{"garbage", "http://[::1", nil, ""},
		{"host of a single dot (found by fuzzing)", "//.", base, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canonicalURL(tt.raw, tt.base); got != tt.want {
				t.Errorf("canonicalURL(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

// Canonicalising twice changes nothing: the stored URL is a fixed point, so
// a link compared with a stored one compares equal.
func TestCanonicalURLIdempotent(t *testing.T) {
	for _, raw := range []string{
		"HTTPS://News.Example.COM:443/World/Story/amp/?utm_source=x&b=2&a=1#top",
		"http://example.com/a%20b?q=a+b&r=%2F",
		"https://example.com/path;params?x",
	} {
		once := canonicalURL(raw, nil)
		if twice := canonicalURL(once, nil); twice != once {
			t.Errorf("canonicalURL(%q) = %q, but canonicalURL of that = %q", raw, once, twice)
		}
	}
}
