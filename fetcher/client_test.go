package fetcher

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"testing"
)

func TestIsPublicAddr(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		// Public unicast.
		{"8.8.8.8", true}, {"151.101.1.140", true}, {"2a04:4e42::396", true}, {"2001:4860:4860::8888", true},
		// Loopback.
		{"127.0.0.1", false}, {"127.255.255.254", false}, {"::1", false},
		// Private (RFC 1918).
		{"10.0.0.1", false}, {"10.255.255.255", false}, {"172.16.0.1", false}, {"172.31.255.255", false}, {"192.168.1.1", false},
		{"172.15.255.255", true}, {"172.32.0.1", true}, {"11.0.0.1", true},
		// Link-local, including the cloud metadata address.
		{"169.254.169.254", false}, {"169.254.0.1", false}, {"fe80::1", false}, {"fe80::1%eth0", false},
		// Carrier-grade NAT.
		{"100.64.0.1", false}, {"100.127.255.255", false}, {"100.63.255.255", true}, {"100.128.0.1", true},
		// Multicast and broadcast.
		{"224.0.0.1", false}, {"239.255.255.250", false}, {"ff02::1", false}, {"ff0e::1", false}, {"255.255.255.255", false},
		// Unspecified and "this network".
		{"0.0.0.0", false}, {"0.1.2.3", false}, {"::", false},
		// IPv6 unique local (and the deprecated site-local).
		{"fc00::1", false}, {"fd12:3456:789a::1", false}, {"fec0::1", false},
		// Ranges net.IP's helpers miss.
		{"198.18.0.1", false}, {"198.19.255.255", false}, {"240.0.0.1", false}, {"192.0.2.1", false}, {"198.51.100.7", false},
		{"203.0.113.9", false}, {"192.0.0.8", false},
		// Addresses that embed private IPv4 ones.
		{"::ffff:10.0.0.1", false}, {"::ffff:127.0.0.1", false}, {"::ffff:169.254.169.254", false}, {"::ffff:8.8.8.8", true},
		{"64:ff9b::a00:1", false}, {"2002:a00:1::", false}, {"2001::1", false}, {"::ffff:0:a00:1", false},
		{"2001:db8::1", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := isPublicAddr(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("isPublicAddr(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
	if isPublicAddr(netip.Addr{}) {
		t.Error("isPublicAddr(zero Addr) = true, want false")
	}
}

// guardClient returns a client that refuses non-public addresses, where
// only the given loopback server counts as public: it stands in for a
// public feed server in tests that must reach one.
func guardClient(public *httptest.Server, resolve func(context.Context, string) ([]netip.Addr, error)) *Client {
	var publicAP netip.AddrPort
	if public != nil {
		publicAP = netip.MustParseAddrPort(public.Listener.Addr().String())
	}
	return NewClient(ClientOptions{
		Resolve: resolve,
		publicAddr: func(ap netip.AddrPort) bool {
			return ap == publicAP || isPublicAddr(ap.Addr())
		},
	})
}

func TestClientRefusesNonPublicAddresses(t *testing.T) {
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "secret")
	}))
	defer internal.Close()
	iu, _ := url.Parse(internal.URL)
	port := iu.Port()

	public := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	}))
	defer public.Close()

	rebind := func(ctx context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "localhost":
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		case "rebind.example":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		case "mapped.example":
			return []netip.Addr{netip.MustParseAddr("::ffff:127.0.0.1")}, nil
		}
		return nil, errors.New("no such host")
	}
	tests := []struct {
		name string
		url  string
	}{
		{"loopback literal", internal.URL},
		{"localhost name", "http://localhost:" + port + "/"},
		{"IPv4-mapped IPv6 literal", "http://[::ffff:127.0.0.1]:" + port + "/"},
		{"redirect to loopback", public.URL + "/?to=" + url.QueryEscape(internal.URL)},
		{"redirect to IPv4-mapped loopback", public.URL + "/?to=" + url.QueryEscape("http://[::ffff:127.0.0.1]:"+port+"/")},
		{"name that resolves to loopback (DNS rebinding)", "http://rebind.example:" + port + "/"},
		{"name that resolves to IPv4-mapped loopback", "http://mapped.example:" + port + "/"},
		{"redirect to a name that resolves to loopback", public.URL + "/?to=" + url.QueryEscape("http://rebind.example:"+port+"/")},
	}
	c := guardClient(public, rebind)
	defer c.CloseIdleConnections()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.Get(context.Background(), Request{URL: tt.url})
			if !errors.Is(err, ErrPrivateAddress) {
				t.Fatalf("Get(%s) = %v, %v; want an error wrapping ErrPrivateAddress", tt.url, resp, err)
			}
		})
	}

	t.Run("allowed when the config says so", func(t *testing.T) {
		c := NewClient(ClientOptions{AllowPrivate: true})
		defer c.CloseIdleConnections()
		resp, err := c.Get(context.Background(), Request{URL: internal.URL})
		if err != nil || string(resp.Body) != "secret" {
			t.Fatalf("Get = %v, %v; want the body with AllowPrivate", resp, err)
		}
	})
	t.Run("the stand-in public server is reachable", func(t *testing.T) {
		// Without this the cases above could pass for the wrong reason.
		ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
		defer ok.Close()
		c := guardClient(ok, nil)
		defer c.CloseIdleConnections()
		if _, err := c.Get(context.Background(), Request{URL: ok.URL}); err != nil {
			t.Fatalf("Get(stand-in public server) error: %v", err)
		}
	})
}

func TestClientResolveErrors(t *testing.T) {
	c := NewClient(ClientOptions{Resolve: func(context.Context, string) ([]netip.Addr, error) { return nil, errors.New("no such host") }})
	_, err := c.Get(context.Background(), Request{URL: "http://nowhere.invalid/feed"})
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Fatalf("Get error = %v, want a *net.DNSError with IsNotFound", err)
	}
}
