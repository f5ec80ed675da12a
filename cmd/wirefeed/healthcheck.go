package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// runHealthcheck is `wirefeed healthcheck`: it asks a running daemon
// whether it is ready (Docker's HEALTHCHECK).
func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("healthcheck", "healthcheck [-config FILE] [-url URL]",
		"Ask a running daemon whether it is ready (for Docker's HEALTHCHECK): its\n"+
			"/readyz answers when a write to its database commits and its fetch cycles\n"+
			"run as scheduled.\n"+
			"Exit status: 0 when ready, 1 when not.", stdout, stderr)
	path := fs.String("config", "", "config file; the daemon's server.listen address is probed")
	target := fs.String("url", "", "URL to probe (default http://<server.listen>/readyz, or http://127.0.0.1:8080/readyz; /healthz asks only whether it answers)")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	u := *target
	if u == "" {
		listen := defaultConfig().Server.Listen
		if *path != "" {
			cfg, ok := loadConfig(*path, stderr)
			if !ok {
				return exitUsage
			}
			listen = cfg.Server.Listen
		}
		u = "http://" + probeAddress(listen) + "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		fmt.Fprintln(stderr, "wirefeed healthcheck:", err)
		return exitUsage
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, "wirefeed healthcheck:", err)
		return exitFailure
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "wirefeed healthcheck: %s: HTTP %d: %s\n", u, resp.StatusCode, strings.TrimSpace(string(body)))
		return exitFailure
	}
	fmt.Fprintln(stdout, strings.TrimSpace(string(body)))
	return exitOK
}

// probeAddress turns a listen address into one to connect to: an empty or
// wildcard host means the daemon is reachable on loopback.
func probeAddress(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
