package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/wirefeed/wirefeed/feedout"
	"github.com/wirefeed/wirefeed/fetcher"
	"github.com/wirefeed/wirefeed/internal/redact"
)

// inspectOutput is the JSON that `wirefeed inspect` prints. Its shape is
// the command's own, not the domain types' (which carry no JSON tags):
// dates are RFC 3339 strings, "" when unknown; lists are never null; and
// links are redacted.
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

// runInspect is `wirefeed inspect`: it parses and normalises one feed, a
// file or a URL, and prints it as JSON.
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
		Feed:     inspectFeed{Title: doc.Meta.Title, Link: red.Link(doc.Meta.Link), Language: doc.Meta.Language, Updated: feedout.FormatTime(doc.Meta.Updated)},
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
			Published: feedout.FormatTime(it.Published), Updated: feedout.FormatTime(it.Updated),
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

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
