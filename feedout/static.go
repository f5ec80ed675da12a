package feedout

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
)

// WriteStatic writes every output in every format, and sources.opml, under
// dir: feed.rss, feed.atom, feed.json, feeds/<name>.<ext>. Each file is
// written to a temporary file in the same directory and renamed over the
// old one, so a web server serving dir never sees half a file. A file
// whose bytes would not change is left alone, keeping its modification
// time (and a static server's ETag) stable. Static files carry no next
// links: a static server cannot answer before=.
func (h *Handler) WriteStatic(ctx context.Context, dir string) error {
	files := map[string][]byte{"sources.opml": h.opml.body}
	outs := []*output{h.main}
	for _, o := range h.opts.Outputs {
		outs = append(outs, h.outputs[o.Name])
	}
	for _, out := range outs {
		req, err := h.parseRequest(url.Values{}, out)
		if err != nil {
			return fmt.Errorf("feedout: static export: %w", err)
		}
		for _, f := range Formats {
			rd, err := h.rendering(ctx, out, f, req, false)
			if err != nil {
				return fmt.Errorf("feedout: static export of %s: %w", outputLabel(out), err)
			}
			name := h.opts.Meta.Path + "." + string(f)
			if out.Name != "" {
				name = filepath.Join("feeds", out.Name+"."+string(f))
			}
			files[name] = rd.body
		}
	}
	for name, body := range files {
		if err := writeFileAtomic(filepath.Join(dir, name), body); err != nil {
			return fmt.Errorf("feedout: static export: %w", err)
		}
	}
	return nil
}

// Export writes the bytes that GET /feed.<f>?limit=<limit> (or
// /feeds/<name>.<f>?limit=<limit> for a named output) would serve now; a
// limit of 0 leaves the parameter out.
func (h *Handler) Export(ctx context.Context, w io.Writer, name string, f Format, limit int) error {
	out := h.main
	if name != "" {
		if out = h.outputs[name]; out == nil {
			return fmt.Errorf("feedout: export: no output named %q", name)
		}
	}
	v := url.Values{}
	if limit != 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	req, err := h.parseRequest(v, out)
	if err != nil {
		return fmt.Errorf("feedout: export: %w", err)
	}
	rd, err := h.rendering(ctx, out, f, req, true)
	if err != nil {
		return fmt.Errorf("feedout: export of %s: %w", outputLabel(out), err)
	}
	_, err = w.Write(rd.body)
	return err
}

func outputLabel(out *output) string {
	if out.Name == "" {
		return "the main feed"
	}
	return "output " + strconv.Quote(out.Name)
}

// writeFileAtomic replaces path with body by way of a synced temporary file
// and a rename, unless path holds body already.
func writeFileAtomic(path string, body []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, body) {
		return nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename this finds nothing
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// Sync the directory so the rename itself survives a power loss.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
