// Package htmlsafe holds the one HTML policy wirefeed applies to content
// from sources, and the one policy for the plain-text labels around it
// (titles, names, categories: Label): when an item is fetched (fetcher) and
// again when the merged feed is written (feedout), so both agree on what a
// reader may receive.
package htmlsafe

import "github.com/microcosm-cc/bluemonday"

// policy starts from bluemonday's user-generated-content policy (no script,
// style, event handlers, iframes, forms or javascript: URLs) and keeps the
// markup a news article needs. A bluemonday policy is safe for concurrent
// use once built.
var policy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireNoFollowOnLinks(false)
	p.AllowAttrs("datetime").OnElements("time")
	p.AllowElements("figure", "figcaption", "picture", "time", "mark", "small")
	return p
}()

// Sanitize returns s with active content removed. It is safe for
// concurrent use.
func Sanitize(s string) string { return policy.Sanitize(s) }
