package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/wirefeed/wirefeed/feedout"
	"github.com/wirefeed/wirefeed/fetcher"
	"github.com/wirefeed/wirefeed/internal/redact"
	"github.com/wirefeed/wirefeed/store"
)

func runFetch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("fetch", "fetch -config FILE [--out DIR] [--force] [--quiet]",
		"Fetch every configured feed once, store what is new, and exit.\n"+
			"Feeds that are backing off after errors, or that a server asked to wait,\n"+
			"are skipped and listed unless --force is given.\n"+
			"With --out (or [static] dir in the config), every output in every format\n"+
			"and sources.opml are then written to DIR, each file atomically.\n"+
			"With --quiet only changes are printed (feeds newly failing, recovered or\n"+
			"gone), so cron mails only when something changed. On a terminal, progress\n"+
			"is shown on stderr.\n"+
			"Exit status: 0 when no feed is failing, 1 when some feed is failing (it\n"+
			"failed now, or was skipped while backing off after failures or gone),\n"+
			"2 for a bad config.", stdout, stderr)
	cf := addConfigFlags(fs, false)
	force := fs.Bool("force", false, "also fetch feeds that are backing off or were asked to wait")
	outDir := fs.String("out", "", "write the merged feed and every output as static files to this directory (default: [static] dir)")
	quiet := fs.Bool("quiet", false, "print only feeds whose state changed (newly failing, recovered, gone); log only errors")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	cfg, ok := cf.load(stderr)
	if !ok {
		return exitUsage
	}
	level := cfg.LogLevel
	if *quiet {
		level = "error"
	}
	logTo := stderr
	var prog *progress
	if !*quiet && isTerminal(stderr) {
		prog = &progress{w: stderr, total: len(cfg.Feeds)}
		logTo = prog
	}
	logger := newLogger(logTo, level, cfg.LogFormat, cfg.Redactor())
	var observe func(fetcher.Result)
	if prog != nil {
		observe = prog.observe
	}
	a, err := openApp(ctx, cfg, logger, observe)
	if err == nil {
		if err = loadIndex(ctx, a); err != nil {
			a.Close()
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "wirefeed fetch:", err)
		return exitFailure
	}
	defer a.Close()
	rep, err := a.runner.Run(ctx, cfg.DomainFeeds(), *force)
	prog.finish()
	if err != nil {
		fmt.Fprintln(stderr, "wirefeed fetch:", err)
		return exitFailure
	}
	a.maintain(ctx, duration(cfg.Store.Retention))
	if *quiet {
		printChanges(stdout, rep)
	} else {
		printReport(stdout, rep)
	}
	if dir := cmp.Or(*outDir, cfg.Static.Dir); dir != "" {
		if err := writeStatic(ctx, a.feedHandler(), dir, logger); err != nil {
			fmt.Fprintln(stderr, "wirefeed fetch:", err)
			return exitFailure
		}
	}
	if failing(rep) > 0 {
		return exitFailure
	}
	return exitOK
}

// inspectOutput is the JSON that `wirefeed inspect` prints.
type inspectOutput struct {
	Feed  inspectFeed   `json:"feed"`
	Items []inspectItem `json:"items"`
	// Skipped are the document's entries that were not kept, with why.
	Skipped []fetcher.SkippedItem `json:"skipped"`
	// Warnings are problems with a document that was read all the same
	// (cut short and repaired, GUIDs shared by different items).
	Warnings []string `json:"warnings"`
}

type inspectFeed struct {
	Title    string `json:"title"`
	Link     string `json:"link"`
	Language string `json:"language"`
	Updated  string `json:"updated"`
}

type inspectItem struct {
	GUID        string   `json:"guid"`
	URL         string   `json:"url"`
	Title       string   `json:"title"`
	Summary     string   `json:"summary"`
	Text        string   `json:"text"`
	ContentHTML string   `json:"content_html"`
	Published   string   `json:"published"`
	Updated     string   `json:"updated"`
	Authors     []string `json:"authors"`
	Categories  []string `json:"categories"`
}

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("inspect", "inspect [--allow-private] FILE|URL",
		"Parse and normalise one feed and print it as JSON: what wirefeed would store.\n"+
			"A URL is fetched as the daemon fetches it (same client and guards); a FILE\n"+
			"is read as if served with no HTTP headers.", stdout, stderr)
	allowPrivate := fs.Bool("allow-private", false, "permit loopback and private addresses")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	src := fs.Arg(0)
	// What inspect prints may be pasted into an issue: the secrets of the
	// URL it was given stay out of its output and its errors.
	red := redact.New(nil, src)
	var body []byte
	var contentType, base string
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		c := fetcher.NewClient(fetcher.ClientOptions{AllowPrivate: *allowPrivate, UserAgent: userAgent()})
		defer c.CloseIdleConnections()
		resp, err := c.Get(ctx, fetcher.Request{URL: src})
		if err != nil {
			fmt.Fprintf(stderr, "wirefeed inspect: %s\n", red.Text(err.Error()))
			return exitFailure
		}
		body, contentType, base = resp.Body, resp.ContentType, resp.FinalURL
	} else {
		b, err := os.ReadFile(src)
		if err != nil {
			fmt.Fprintf(stderr, "wirefeed inspect: %v\n", err)
			return exitFailure
		}
		body = b
	}
	doc, err := fetcher.Parse(body, contentType, base, time.Now(), fetcher.Limits{})
	if err != nil {
		fmt.Fprintf(stderr, "wirefeed inspect: %s: %s\n", red.URL(src), red.Text(err.Error()))
		return exitFailure
	}
	out := inspectOutput{
		Feed:     inspectFeed{Title: doc.Meta.Title, Link: red.Link(doc.Meta.Link), Language: doc.Meta.Language, Updated: rfc3339(doc.Meta.Updated)},
		Items:    make([]inspectItem, 0, len(doc.Items)),
		Skipped:  append([]fetcher.SkippedItem{}, doc.Skipped...),
		Warnings: nonNil(doc.Warnings),
	}
	for i, sk := range out.Skipped {
		out.Skipped[i].GUID, out.Skipped[i].Reason = red.Link(sk.GUID), red.Text(sk.Reason)
	}
	for i, w := range out.Warnings {
		out.Warnings[i] = red.Text(w)
	}
	for _, it := range doc.Items {
		out.Items = append(out.Items, inspectItem{
			GUID: red.Link(it.GUID), URL: red.Link(it.URL), Title: it.Title, Summary: it.Summary, Text: it.Text, ContentHTML: it.ContentHTML,
			Published: rfc3339(it.Published), Updated: rfc3339(it.Updated),
			Authors: nonNil(it.Authors), Categories: nonNil(it.Categories),
		})
	}
	bw := bufio.NewWriter(stdout)
	enc := json.NewEncoder(bw)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "wirefeed inspect: %v\n", err)
		return exitFailure
	}
	if err := bw.Flush(); err != nil {
		return exitFailure
	}
	return exitOK
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("export", "export -config FILE -format rss|atom|json [--limit N] [--output NAME]",
		"Render the merged feed from the database to stdout: the same bytes the\ndaemon serves for the same limit.", stdout, stderr)
	cf := addConfigFlags(fs, false)
	format := fs.String("format", "atom", "rss, atom or json")
	limit := fs.Int("limit", 0, "entries (default: server.default_limit)")
	output := fs.String("output", "", "a named output from [[outputs]] (default: the main feed)")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	cfg, ok := cf.load(stderr)
	if !ok {
		return exitUsage
	}
	f, err := feedout.ParseFormat(*format)
	if err != nil {
		fmt.Fprintln(stderr, "wirefeed export:", err)
		return exitUsage
	}
	// -limit 0 leaves ?limit= out, as GET /feed.<format> does: the default
	// (server.default_limit, or the output's max_items) applies.
	if *limit < 0 || *limit > feedout.MaxLimit {
		fmt.Fprintf(stderr, "wirefeed export: -limit must be between 1 and %d\n", feedout.MaxLimit)
		return exitUsage
	}
	st, err := openExisting(ctx, cfg, "export", stderr)
	if err != nil {
		return exitFailure
	}
	defer st.Close()
	a := &app{cfg: cfg, store: st, logger: newLogger(stderr, cfg.LogLevel, cfg.LogFormat, cfg.Redactor())}
	bw := bufio.NewWriter(stdout)
	// The handler's own path: the bytes GET /feed.<format>?limit=N serves.
	if err := a.feedHandler().Export(ctx, bw, *output, f, *limit); err != nil {
		fmt.Fprintln(stderr, "wirefeed export:", err)
		return exitFailure
	}
	if err := bw.Flush(); err != nil {
		return exitFailure
	}
	return exitOK
}

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

// openExisting opens the database for a command that only reads it,
// read-only (it may belong to the daemon's user) and without creating one
// where there is none; problems are printed to stderr.
func openExisting(ctx context.Context, cfg *Config, cmd string, stderr io.Writer) (*store.Store, error) {
	if _, err := os.Stat(cfg.DBPath()); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("no database at %s (run wirefeed fetch or serve first)", cfg.DBPath())
		} else {
			err = readError(cfg.DBPath(), err)
		}
		fmt.Fprintf(stderr, "wirefeed %s: %v\n", cmd, err)
		return nil, err
	}
	st, err := store.Open(ctx, cfg.DBPath(), store.Options{ReadOnly: true})
	if err != nil {
		err = readError(cfg.DBPath(), err)
		fmt.Fprintf(stderr, "wirefeed %s: %v\n", cmd, err)
	}
	return st, err
}
