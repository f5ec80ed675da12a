package fetcher

import (
	"net/netip"
	"net/url"
	"path"
	"sort"
	"strings"
)

// trackingParams are query parameters that identify a campaign or a click,
// never the document. Keys are lower case; prefixes end in '_'.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "gclsrc": true, "msclkid": true,
	"yclid": true, "twclid": true, "igshid": true, "mc_cid": true, "mc_eid": true,
	"_ga": true, "_gl": true, "_hsenc": true, "_hsmi": true, "mkt_tok": true,
	"oly_anon_id": true, "oly_enc_id": true, "vero_id": true, "wt.mc_id": true,
	"cmpid": true, "ocid": true, "ncid": true, "sr_share": true, "smid": true,
	"at_medium": true, "at_campaign": true, "at_custom1": true, "at_custom2": true,
	"at_custom3": true, "at_custom4": true, "ito": true, "xtor": true,
	"guccounter": true, "guce_referrer": true, "guce_referrer_sig": true,
	"s_cid": true,
}

var trackingPrefixes = []string{"utm_", "pk_", "mtm_", "hsa_", "__s", "spm"}

func isTrackingParam(key string) bool {
	k := strings.ToLower(key)
	if trackingParams[k] {
		return true
	}
	for _, p := range trackingPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// canonicalURL resolves raw against base and reduces it to the form under
// which two links to the same article compare equal: http(s) only, scheme
// and host in lower case, default port, fragment and tracking parameters
// removed, AMP variants mapped to the article, remaining parameters sorted.
// It returns "" when raw is not a usable http(s) link.
func canonicalURL(raw string, base *url.URL) string {
	u := resolveLink(raw, base)
	if u == nil {
		return ""
	}
	host, ok := canonicalHost(u)
	if !ok {
		return ""
	}
	u.Host = host
	u.User = nil
	u.Fragment = ""
	u.RawFragment = ""
	stripAMPPath(u)
	cleanPath(u)
	if u.RawQuery != "" {
		u.RawQuery = canonicalQuery(u.Query())
	}
	u.ForceQuery = false
	out := u.String()
	if check, err := url.Parse(out); err != nil || check.Hostname() == "" {
		return "" // a host url.Parse let through but cannot read back
	}
	return out
}

// resolveLink parses raw and resolves it against base; it returns nil
// unless the result is an http(s) URL with a host.
func resolveLink(raw string, base *url.URL) *url.URL {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil
	}
	if u.Host == "" {
		return nil
	}
	return u
}

// canonicalHost returns u's host in lower case without a trailing dot or
// the scheme's default port; ok is false when no usable host is left.
func canonicalHost(u *url.URL) (host string, ok bool) {
	host = strings.ToLower(u.Hostname())
	host = strings.TrimRight(host, ".")
	if host == "" {
		return "", false // "http://./" and the like
	}
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		if _, err := netip.ParseAddr(host); err != nil {
			return "", false // a colon outside an IPv6 literal: no usable host
		}
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return host, true
}

// stripAMPPath maps the path of an AMP variant to the article's: /amp,
// /amp/ and .amp endings (the query's ?amp and ?outputType=amp are
// canonicalQuery's). Endings are stripped until none is left, so the
// result is a fixed point ("x.amp.amp" is not left as "x.amp").
func stripAMPPath(u *url.URL) {
	amp := false
	p := u.EscapedPath()
	for stripped := true; stripped; {
		switch {
		case strings.HasSuffix(p, "/amp"), strings.HasSuffix(p, "/amp/"):
			p = strings.TrimSuffix(strings.TrimSuffix(p, "/"), "/amp")
		case strings.HasSuffix(p, ".amp"):
			p = strings.TrimSuffix(p, ".amp")
		case strings.HasSuffix(p, ".amp.html"):
			p = strings.TrimSuffix(p, ".amp.html") + ".html"
		default:
			stripped = false
		}
		amp = amp || stripped
	}
	if !amp {
		return
	}
	if p == "" {
		p = "/"
	}
	if unescaped, err := url.PathUnescape(p); err == nil {
		u.Path = unescaped
		u.RawPath = ""
		if u.EscapedPath() != p {
			u.RawPath = p
		}
	}
}

// cleanPath gives an empty path its slash and resolves "." and ".."
// segments, keeping a trailing slash.
func cleanPath(u *url.URL) {
	if u.Path == "" {
		u.Path = "/"
		return
	}
	if strings.Contains(u.Path, "/./") || strings.Contains(u.Path, "/../") {
		clean := path.Clean(u.Path)
		if strings.HasSuffix(u.Path, "/") && clean != "/" {
			clean += "/"
		}
		u.Path = clean
		u.RawPath = ""
	}
}

// canonicalQuery returns q without tracking parameters and AMP switches,
// encoded in a stable order.
func canonicalQuery(q url.Values) string {
	for k, vs := range q {
		lk := strings.ToLower(k)
		switch {
		case isTrackingParam(k):
			delete(q, k)
		case lk == "amp" && (len(vs) == 0 || vs[0] == "" || vs[0] == "1" || vs[0] == "true"):
			delete(q, k)
		case lk == "outputtype" && len(vs) > 0 && strings.EqualFold(vs[0], "amp"):
			delete(q, k)
		}
	}
	return encodeSorted(q)
}

// encodeSorted is url.Values.Encode with a stable order of keys and values.
func encodeSorted(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		vs := q[k]
		sort.Strings(vs)
		for _, v := range vs {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			if v != "" {
				b.WriteByte('=')
				b.WriteString(url.QueryEscape(v))
			}
		}
	}
	return b.String()
}
