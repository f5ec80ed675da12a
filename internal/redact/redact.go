// Package redact hides the secrets that feed URLs carry (user:password@,
// API keys and tokens in the query) from everything that leaves the
// process: the merged feed, static files, the status page, OPML, logs and
// command output. Only the fetcher uses a feed's real URL.
//
// One Redactor serves every consumer, so they all agree on what is secret:
// the userinfo of any URL, the values of query parameters with a secret
// name (DefaultParams plus the config's), and, wherever they appear in a
// text, the secret values of the configured feed URLs themselves.
package redact

import (
	"net/url"
	"sort"
	"strings"
)

// DefaultParams are the query parameter names whose values are always
// secret, compared without regard to case.
var DefaultParams = []string{"key", "api_key", "apikey", "token", "access_token", "auth", "sig", "signature", "password"}

// Mask replaces a secret.
const Mask = "REDACTED"

// minSecret is the shortest value scrubbed from free text: shorter values
// ("1", "en") would mangle unrelated words.
const minSecret = 4

// Redactor removes secrets from URLs and texts. A nil *Redactor, like one
// from New with no arguments, redacts userinfo and DefaultParams. It is
// safe for concurrent use.
type Redactor struct {
	params map[string]bool   // lower-case secret parameter names
	values *strings.Replacer // secret values of the configured URLs; nil when none
}

var defaultRedactor = New(nil)

// New returns a Redactor for the secret parameter names params (added to
// DefaultParams) that also scrubs the secrets of the given URLs (their
// userinfo and secret parameter values) from any text.
func New(params []string, urls ...string) *Redactor {
	r := &Redactor{params: map[string]bool{}}
	for _, p := range DefaultParams {
		r.params[p] = true
	}
	for _, p := range params {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
			r.params[p] = true
		}
	}
	seen := map[string]bool{}
	var secrets []string
	addSecret := func(v string) {
		for _, s := range []string{v, url.QueryEscape(v), url.PathEscape(v)} {
			if len(s) >= minSecret && !seen[s] {
				seen[s] = true
				secrets = append(secrets, s)
			}
		}
	}
	for _, raw := range urls {
		for _, v := range r.secretsOf(raw) {
			addSecret(v)
		}
	}
	if len(secrets) > 0 {
		// Longest first, so a secret that contains another is masked whole.
		sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
		pairs := make([]string, 0, 2*len(secrets))
		for _, s := range secrets {
			pairs = append(pairs, s, Mask)
		}
		r.values = strings.NewReplacer(pairs...)
	}
	return r
}

func (r *Redactor) get() *Redactor {
	if r == nil {
		return defaultRedactor
	}
	return r
}

// secretsOf returns the secret values in raw: its user name and password,
// and the values of its secret query parameters, decoded.
func (r *Redactor) secretsOf(raw string) []string {
	var out []string
	p := split(raw)
	if p.userinfo != "" {
		name, pass, _ := strings.Cut(p.userinfo, ":")
		for _, v := range []string{name, pass} {
			if u, err := url.PathUnescape(v); err == nil {
				v = u
			}
			if v != "" {
				out = append(out, v)
			}
		}
	}
	for _, kv := range strings.FieldsFunc(p.query+"&"+strings.TrimPrefix(p.fragment, "#"), func(c rune) bool { return c == '&' || c == ';' }) {
		k, v, _ := strings.Cut(kv, "=")
		if r.secretParam(k) && v != "" {
			out = append(out, v)
			if u, err := url.QueryUnescape(v); err == nil && u != v {
				out = append(out, u)
			}
		}
	}
	return out
}

func (r *Redactor) secretParam(name string) bool {
	if u, err := url.QueryUnescape(name); err == nil {
		name = u
	}
	return r.params[strings.ToLower(strings.TrimSpace(name))]
}

// URL returns a feed URL fit to be shown: without userinfo, with the value
// of every secret query parameter replaced by Mask, and without any known
// secret value. Everything else is kept byte for byte, so the URL still
// says which feed it is.
func (r *Redactor) URL(raw string) string {
	r = r.get()
	p := split(raw)
	p.query = r.maskParams(p.query)
	// Fragments are not sent, but OAuth-style links carry tokens there.
	if p.fragment != "" {
		p.fragment = "#" + r.maskParams(p.fragment[1:])
	}
	p.userinfo = ""
	return r.scrub(p.join())
}

// maskParams replaces the values of secret parameters in a query string,
// whose pairs are separated by '&' (or ';', which old servers accept).
func (r *Redactor) maskParams(q string) string {
	if q == "" {
		return q
	}
	var b strings.Builder
	for q != "" {
		end := strings.IndexAny(q, "&;")
		if end < 0 {
			end = len(q)
		}
		kv := q[:end]
		if k, _, ok := strings.Cut(kv, "="); ok && r.secretParam(k) {
			kv = k + "=" + Mask
		}
		b.WriteString(kv)
		if end < len(q) {
			b.WriteByte(q[end])
			end++
		}
		q = q[end:]
	}
	return b.String()
}

// Link returns an article link fit to be shown: without userinfo and
// without any known secret value. Unlike URL it keeps the query
// parameters, whose names mean something else on a news site ("key" may
// name the article).
func (r *Redactor) Link(raw string) string {
	r = r.get()
	p := split(raw)
	if p.userinfo == "" {
		return r.scrub(raw)
	}
	p.userinfo = ""
	return r.scrub(p.join())
}

// Text returns s with every URL in it (anything of the form scheme://...)
// passed through URL, and every known secret value masked. Error messages
// from net/http quote the URL they are about; log lines and the status
// page's last errors go through Text.
func (r *Redactor) Text(s string) string {
	r = r.get()
	if !strings.Contains(s, "://") {
		return r.scrub(s)
	}
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, "://")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		start := i
		for start > 0 && isSchemeChar(rest[start-1]) {
			start--
		}
		end := i + 3
		for end < len(rest) && !isURLEnd(rest[end]) {
			end++
		}
		b.WriteString(rest[:start])
		if start == i { // "://" with no scheme before it: not a URL
			b.WriteString(rest[i:end])
		} else {
			b.WriteString(r.URL(rest[start:end]))
		}
		rest = rest[end:]
	}
	return r.scrub(b.String())
}

func (r *Redactor) scrub(s string) string {
	if r.values == nil {
		return s
	}
	return r.values.Replace(s)
}

// Error returns err with its message redacted by Text; errors.Is and
// errors.As still see the errors it wraps. It returns nil for nil.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: r.Text(err.Error()), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func isSchemeChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
}

// isURLEnd reports whether c ends a URL inside a text: white space,
// quotes and angle brackets, which a URL cannot hold unescaped.
func isURLEnd(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '"', '\'', '<', '>', '`', '\\':
		return true
	}
	return false
}

// parts is a URL cut into its pieces without any decoding, so it can be
// put back together unchanged.
type parts struct {
	prefix   string // scheme and "://", or "" for a URL without authority
	userinfo string
	host     string // host[:port]
	path     string
	query    string // without '?'
	hasQuery bool
	fragment string // with '#'
}

func split(raw string) parts {
	var p parts
	rest := raw
	if i := strings.Index(rest, "://"); i >= 0 {
		p.prefix, rest = rest[:i+3], rest[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		authority := rest[:end]
		rest = rest[end:]
		// The last '@' ends the userinfo: a password may hold '@' when
		// it is not escaped.
		if at := strings.LastIndexByte(authority, '@'); at >= 0 {
			p.userinfo, authority = authority[:at], authority[at+1:]
			if p.userinfo == "" {
				p.userinfo = "@" // "http://@host": drop the stray '@' too
			}
		}
		p.host = authority
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		p.fragment, rest = rest[i:], rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		p.query, p.hasQuery, rest = rest[i+1:], true, rest[:i]
	}
	p.path = rest
	return p
}

func (p parts) join() string {
	s := p.prefix + p.host + p.path
	if p.hasQuery {
		s += "?" + p.query
	}
	return s + p.fragment
}
