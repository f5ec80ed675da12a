// Package fetcher gets feeds from the network and turns them into normalised
// wirefeed items: one shared HTTP client with timeouts and a guard against
// private addresses, conditional GET, decompression with a size cap,
// character-set decoding, parsing with gofeed, item normalisation, and the
// cycle runner and scheduler that fetch every configured feed.
package fetcher

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// Default limits used when ClientOptions leaves a field zero.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultMaxBodyBytes  = 8 << 20
	DefaultMaxRedirects  = 5
	DefaultUserAgent     = "wirefeed/dev (+https://github.com/wirefeed/wirefeed)"
	defaultDialTimeout   = 10 * time.Second
	defaultHeaderTimeout = 20 * time.Second
)

// ErrPrivateAddress is returned (wrapped) when a feed resolves to an address
// the client refuses to connect to: loopback, private, link-local and the
// like, unless ClientOptions.AllowPrivate is set.
var ErrPrivateAddress = errors.New("fetcher: refusing to connect to a non-public address")

// ErrTooManyRedirects is returned (wrapped) when a feed redirects more often
// than ClientOptions.MaxRedirects allows.
var ErrTooManyRedirects = errors.New("fetcher: too many redirects")

// ClientOptions configures a Client. The zero value is usable: public
// addresses only, the default timeouts, body cap and User-Agent.
type ClientOptions struct {
	// Timeout bounds the whole exchange, body included. The wait for
	// response headers and the dial are also bounded by it (and by 20 s
	// and 10 s at most).
	Timeout      time.Duration
	MaxBodyBytes int64 // cap on the decompressed body
	MaxRedirects int
	UserAgent    string
	AllowPrivate bool // permit loopback/private addresses (tests, intranet feeds)
	// Resolve, when set, replaces DNS: it returns the addresses of host.
	// The address guard still checks whatever address is dialled, so a
	// resolver that answers with a private address is refused like DNS
	// rebinding would be. Tests and benchmarks use it to give many host
	// names to one local server.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)

	// publicAddr, in tests, says which addresses count as public, so a
	// loopback test server can stand in for a public one.
	publicAddr func(netip.AddrPort) bool
}

// Client fetches feed documents. It is safe for concurrent use; create one
// and share it.
type Client struct {
	http         *http.Client
	userAgent    string
	maxBodyBytes int64
}

// NewClient returns a Client with its own transport.
func NewClient(opts ClientOptions) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxRedirects <= 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	dialer := &net.Dialer{Timeout: min(defaultDialTimeout, opts.Timeout), KeepAlive: 30 * time.Second}
	if !opts.AllowPrivate {
		public := opts.publicAddr
		if public == nil {
			public = func(ap netip.AddrPort) bool { return isPublicAddr(ap.Addr()) }
		}
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			return refusePrivate(public, address)
		}
	}
	dial := dialer.DialContext
	if opts.Resolve != nil {
		dial = resolvingDial(dialer, opts.Resolve)
	}
	transport := &http.Transport{
		Proxy:                  nil, // a proxy would be dialled instead of the feed host and defeat the address guard
		DialContext:            dial,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  min(defaultHeaderTimeout, opts.Timeout),
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	maxRedirects := opts.MaxRedirects
	return &Client{
		http: &http.Client{
			Transport: transport,
			Timeout:   opts.Timeout,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) > maxRedirects {
					return fmt.Errorf("%w (%d)", ErrTooManyRedirects, maxRedirects)
				}
				return nil
			},
		},
		userAgent:    opts.UserAgent,
		maxBodyBytes: opts.MaxBodyBytes,
	}
}

// CloseIdleConnections closes idle keep-alive connections.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// resolvingDial dials host names through resolve instead of DNS, trying
// each address in turn. Literal addresses are dialled as they are.
func resolvingDial(d *net.Dialer, resolve func(context.Context, string) ([]netip.Addr, error)) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		if _, err := netip.ParseAddr(host); err == nil {
			return d.DialContext(ctx, network, address)
		}
		addrs, err := resolve(ctx, host)
		if err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: err.Error(), Name: host, IsNotFound: true}}
		}
		if len(addrs) == 0 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
		}
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("bad port %q", port)
		}
		var first error
		for _, a := range addrs {
			c, err := d.DialContext(ctx, network, netip.AddrPortFrom(a, uint16(p)).String())
			if err == nil {
				return c, nil
			}
			if first == nil {
				first = err
			}
		}
		return nil, first
	}
}

// refusePrivate runs in the dialer after DNS resolution, on the address that
// is about to be connected, so redirects and DNS rebinding cannot get past it.
func refusePrivate(public func(netip.AddrPort) bool, address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, address)
	}
	if !public(ap) {
		return fmt.Errorf("%w: %s (set allow_private_addresses to permit it)", ErrPrivateAddress, ap.Addr())
	}
	return nil
}

// deniedPrefixes are the ranges that are not globally reachable unicast
// addresses. net.IP's helpers miss several of them (CGNAT, benchmarking,
// NAT64, 6to4, reserved), so the list is explicit.
var deniedPrefixes = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",          // "this network", unspecified
		"10.0.0.0/8",         // private
		"100.64.0.0/10",      // carrier-grade NAT
		"127.0.0.0/8",        // loopback
		"169.254.0.0/16",     // link-local (cloud metadata lives here)
		"172.16.0.0/12",      // private
		"192.0.0.0/24",       // IETF protocol assignments
		"192.0.2.0/24",       // TEST-NET-1
		"192.88.99.0/24",     // 6to4 relay anycast
		"192.168.0.0/16",     // private
		"198.18.0.0/15",      // benchmarking
		"198.51.100.0/24",    // TEST-NET-2
		"203.0.113.0/24",     // TEST-NET-3
		"224.0.0.0/4",        // multicast
		"240.0.0.0/4",        // reserved, includes broadcast
		"::/128",             // unspecified
		"::1/128",            // loopback
		"64:ff9b::/96",       // NAT64
		"64:ff9b:1::/48",     // local-use NAT64
		"100::/64",           // discard-only
		"2001::/32",          // Teredo
		"2001:db8::/32",      // documentation
		"2002::/16",          // 6to4
		"fc00::/7",           // unique local
		"fe80::/10",          // link-local
		"fec0::/10",          // deprecated site-local
		"ff00::/8",           // multicast
		"::ffff:0:0:0/96",    // IPv4-translated
		"2001:10::/28",       // ORCHID
		"2001:2::/48",        // benchmarking
		"3fff::/20",          // documentation (RFC 9637)
		"5f00::/16",          // segment routing SIDs
		"2620:4f:8000::/48",  // AS112 direct delegation
		"192.31.196.0/24",    // AS112
		"192.52.193.0/24",    // AMT
		"192.175.48.0/24",    // AS112 direct delegation
		"255.255.255.255/32", // broadcast
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

// isPublicAddr reports whether ip is a globally reachable unicast address
// that a feed may live on. IPv4-mapped IPv6 addresses are judged as the IPv4
// address they carry.
func isPublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() {
		return false
	}
	for _, p := range deniedPrefixes {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}
