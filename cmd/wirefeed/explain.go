package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/store"
)

func runExplain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("explain", "explain -config FILE ITEM ITEM",
		"Compare two stored items as the deduplicator does and print the similarity\n"+
			"figures and the decision: why they are or are not the same story.\n"+
			"An ITEM is a canonical URL, a GUID or an item id (the output shows ids).\n"+
			"Exit status: 0 when both items were compared, 1 when one is not stored.", stdout, stderr)
	path := fs.String("config", "", "config file (TOML)")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return exitUsage
	}
	cfg, ok := loadConfig(*path, stderr)
	if !ok {
		return exitUsage
	}
	st, err := openExisting(ctx, cfg, "explain", stderr)
	if err != nil {
		return exitFailure
	}
	defer st.Close()
	var items [2]wirefeed.StoredItem
	for i, ref := range fs.Args() {
		it, err := st.FindItem(ctx, ref)
		if errors.Is(err, store.ErrNotFound) {
			fmt.Fprintf(stderr, "wirefeed explain: no stored item %q (give an item id, a URL or a GUID)\n", ref)
			return exitFailure
		}
		if err != nil {
			fmt.Fprintln(stderr, "wirefeed explain:", err)
			return exitFailure
		}
		items[i] = it
	}
	engine := dedupe.New(cfg.dedupeOptions(newLogger(stderr, cfg.LogLevel, cfg.LogFormat, cfg.Redactor())))
	if err := engine.LoadBoilerplate(ctx, st); err != nil {
		fmt.Fprintln(stderr, "wirefeed explain:", err)
		return exitFailure
	}
	var x dedupe.Explanation
	err = st.ReadLookup(ctx, func(l wirefeed.Lookup) error {
		var err error
		x, err = engine.Explain(ctx, l, items[0], items[1])
		return err
	})
	if err != nil {
		fmt.Fprintln(stderr, "wirefeed explain:", err)
		return exitFailure
	}
	// The items' links may carry the secrets of their feeds' URLs.
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return exitFailure
	}
	if _, err := io.WriteString(stdout, cfg.Redactor().Text(buf.String())); err != nil {
		return exitFailure
	}
	return exitOK
}
