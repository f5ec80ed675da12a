package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/internal/opml"
	"github.com/wirefeed/wirefeed/store"
)

// runFeeds is `wirefeed feeds`: commands that manage the list of feeds.
func runFeeds(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	sub := map[string]func(context.Context, []string, io.Writer, io.Writer) int{
		"import": runFeedsImport,
		"prune":  runFeedsPrune,
	}
	if len(args) > 0 {
		if run, ok := sub[args[0]]; ok {
			return run(ctx, args[1:], stdout, stderr)
		}
	}
	out := stderr
	code := exitUsage
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		out, code = stdout, exitOK
	}
	fmt.Fprint(out, `Usage: wirefeed feeds import [--write CONFIG] FILE.opml
       wirefeed feeds prune -config FILE [--dry-run]

Manage the list of feeds.

  import   turn another reader's OPML export into [[feeds]] tables: printed,
           or appended to CONFIG with --write
  prune    delete from the database the feeds the config no longer lists,
           with their items
`)
	return code
}

// runFeedsImport is `wirefeed feeds import`: it turns an OPML export into
// [[feeds]] tables, printed or appended to a config.
func runFeedsImport(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("feeds import", "feeds import [--write CONFIG] FILE.opml",
		"Read a subscription list exported by another feed reader (OPML) and print\n"+
			"it as [[feeds]] tables: names from the outlines' titles (made unique),\n"+
			"URLs from xmlUrl, the folders around a feed and its categories as tags.\n"+
			"With --write the tables are appended to CONFIG, which must stay valid;\n"+
			"feeds whose URL CONFIG has already are left out.\n"+
			"Exit status: 0 when imported, 1 when the OPML has problems (each named\n"+
			"with its outline and line) or CONFIG cannot be written.", stdout, stderr)
	write := fs.String("write", "", "append the feeds to this config file instead of printing them")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	// Flags may also follow the file name.
	src := fs.Arg(0)
	if code, done := parseFlags(fs, fs.Args()[1:], stdout); done {
		return code
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return exitUsage
	}
	f, err := os.Open(src)
	if err != nil {
		fmt.Fprintln(stderr, "wirefeed feeds import:", err)
		return exitFailure
	}
	feeds, err := opml.Parse(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(stderr, "wirefeed feeds import: %s: %v\n", src, strings.ReplaceAll(err.Error(), "\nopml: ", "\n"+src+": opml: "))
		return exitFailure
	}

	var existing *Config
	var old []byte
	if *write != "" {
		if old, err = os.ReadFile(*write); err != nil {
			fmt.Fprintln(stderr, "wirefeed feeds import:", err)
			return exitFailure
		}
		if existing, err = ParseConfig(*write, old); err != nil {
			fmt.Fprintf(stderr, "wirefeed feeds import: %s is not valid now; fix it first:\n%v\n", *write, err)
			return exitFailure
		}
	}
	tables, skipped := feedTables(feeds, existing)
	for _, s := range skipped {
		fmt.Fprintln(stderr, "skipped:", s)
	}
	if *write == "" {
		// What is printed must be a valid list of feeds.
		if len(feeds) > 0 {
			if _, err := ParseConfig(src, tables); err != nil {
				fmt.Fprintf(stderr, "wirefeed feeds import: %v\n", err)
				return exitFailure
			}
		}
		_, _ = stdout.Write(tables)
		return exitOK
	}
	if len(tables) == 0 {
		fmt.Fprintf(stdout, "no new feeds for %s\n", *write)
		return exitOK
	}
	var b bytes.Buffer
	b.Write(old)
	if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "\n# Imported from %s on %s.\n", filepath.Base(src), time.Now().UTC().Format(time.DateOnly))
	b.Write(tables)
	if _, err := ParseConfig(*write, b.Bytes()); err != nil {
		fmt.Fprintf(stderr, "wirefeed feeds import: %s would not be valid with the imported feeds; nothing written:\n%v\n", *write, err)
		return exitFailure
	}
	if err := replaceFile(*write, b.Bytes()); err != nil {
		fmt.Fprintln(stderr, "wirefeed feeds import:", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "added %d feeds to %s\n", bytes.Count(tables, []byte("[[feeds]]")), *write)
	return exitOK
}

// feedTables writes feeds as [[feeds]] tables. Names are the outlines'
// titles (the URL's host for an untitled one), made unique, case-
// insensitively, among themselves and the feeds of existing; a feed whose
// URL existing (or an earlier outline) has already is left out and named
// in skipped.
func feedTables(feeds []opml.Feed, existing *Config) (tables []byte, skipped []string) {
	names := map[string]bool{}
	urls := map[string]string{}
	if existing != nil {
		for _, f := range existing.Feeds {
			names[strings.ToLower(f.Name)] = true
			urls[f.URL] = f.Name
		}
	}
	var b bytes.Buffer
	for _, f := range feeds {
		base := f.Title
		if base == "" {
			if u, err := url.Parse(f.URL); err == nil {
				base = u.Hostname()
			}
		}
		if utf8.RuneCountInString(base) > 90 {
			base = strings.TrimSpace(string([]rune(base)[:90]))
		}
		if have, dup := urls[f.URL]; dup {
			skipped = append(skipped, fmt.Sprintf("%s (line %d): %s is there already as %q", base, f.Line, redactURL(f.URL), have))
			continue
		}
		name := base
		for n := 2; names[strings.ToLower(name)]; n++ {
			name = fmt.Sprintf("%s (%d)", base, n)
		}
		names[strings.ToLower(name)] = true
		urls[f.URL] = name
		fmt.Fprintf(&b, "[[feeds]]\nname = %s\nurl = %s\n", tomlString(name), tomlString(f.URL))
		if len(f.Tags) > 0 {
			quoted := make([]string, len(f.Tags))
			for i, t := range f.Tags {
				quoted[i] = tomlString(t)
			}
			fmt.Fprintf(&b, "tags = [%s]\n", strings.Join(quoted, ", "))
		}
		b.WriteByte('\n')
	}
	return b.Bytes(), skipped
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// redactURL drops credentials from a URL shown to the operator.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}

// replaceFile writes body over path through a temporary file in the same
// directory and a rename, keeping path's permissions.
func replaceFile(path string, body []byte) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// runFeedsPrune is `wirefeed feeds prune`: it deletes from the database
// the feeds the config no longer lists, with their items.
func runFeedsPrune(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("feeds prune", "feeds prune -config FILE [--dry-run]",
		"Delete from the database every feed the config no longer lists, with its\n"+
			"items; a story that other feeds carried too stays, with its id. Without\n"+
			"pruning, such feeds stop being fetched and shown, and their items go\n"+
			"with retention.\n"+
			"Exit status: 0 when done (or nothing to prune), 1 on a database error.", stdout, stderr)
	cf := addConfigFlags(fs, false)
	dryRun := fs.Bool("dry-run", false, "list the feeds that would be pruned; change nothing")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	cfg, ok := cf.load(stderr)
	if !ok {
		return exitUsage
	}
	if _, err := os.Stat(cfg.DBPath()); err != nil && cfg.Store.DSN == "" {
		fmt.Fprintf(stderr, "wirefeed feeds prune: no database at %s\n", cfg.DBPath())
		return exitFailure
	}
	logger := newLogger(stderr, "warn", cfg.LogFormat, cfg.Redactor())
	st, err := store.Open(ctx, cfg.Database(), cfg.storeOptions(dedupe.New(cfg.dedupeOptions(logger)), logger))
	if err != nil {
		fmt.Fprintln(stderr, "wirefeed feeds prune:", err)
		return exitFailure
	}
	defer st.Close()
	keep := make([]string, len(cfg.Feeds))
	for i, f := range cfg.Feeds {
		keep[i] = f.Name
	}
	pruned, err := st.PruneFeeds(ctx, keep, *dryRun)
	if err != nil {
		fmt.Fprintln(stderr, "wirefeed feeds prune:", err)
		return exitFailure
	}
	verb := "pruned"
	if *dryRun {
		verb = "would prune"
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, f := range pruned {
		fmt.Fprintf(tw, "%s\t%s\t%d items\n", verb, f.Name, f.Items)
	}
	tw.Flush()
	summary := "pruned"
	if *dryRun {
		summary = "would be pruned"
	}
	fmt.Fprintf(stdout, "%d feeds %s; %d configured\n", len(pruned), summary, len(cfg.Feeds))
	return exitOK
}
